//! Embeds every top-level `policies/*.policy` file as the default library.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=policies");
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("policies");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        p.extension().is_some_and(|e| e == "policy") && !name.starts_with('.')
    });
    files.sort();
    let mut out = String::from("/// The embedded policy files: (name, text), in load order.\npub static BUILTIN: &[(&str, &str)] = &[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let _ = writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            format!("policies/{name}"),
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("builtin.rs");
    if let Err(e) = fs::write(&target, out) {
        println!("cargo:warning=cannot write {}: {e}", target.display());
    }
}
