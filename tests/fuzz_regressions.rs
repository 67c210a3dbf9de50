//! Replays every input the fuzzer ever failed on (tests/fuzz_regressions/
//! <target>/<name>) through the same property checks the fuzz targets run.
//! Add a crash by copying its artifact there; see fuzz/README.md.

#[path = "support/fuzz_invariants.rs"]
mod fuzz_invariants;

use std::path::Path;

/// Runs every saved input of one target (each directory starts with one
/// known-good seed, so the checks always run on something); names the file
/// that fails. Returns how many inputs it replayed.
fn replay(target: &str) -> usize {
    let check = checker(target);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        eprintln!("replaying {}", file.display());
        check(&data);
    }
    files.len()
}

/// Replays one input of `known/<target>/`: a crash found by the fuzzer and
/// not fixed yet, each under its own `#[ignore]`d test that says why (none
/// now: the last one, `set a = "${a}${a}"` doubling, is capped since issue 10).
#[allow(dead_code)]
fn replay_known(target: &str, name: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions/known")
        .join(target)
        .join(name);
    checker(target)(&std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
}

fn checker(target: &str) -> fuzz_invariants::Check {
    fuzz_invariants::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .expect("a known target")
}

#[test]
fn policy_fmt() {
    assert!(replay("policy_fmt") > 0, "no inputs: the directory moved?");
}

#[test]
fn authorize() {
    assert!(replay("authorize") > 0, "no inputs: the directory moved?");
}

#[test]
fn token() {
    assert!(replay("token") > 0, "no inputs: the directory moved?");
}

#[test]
fn callback() {
    assert!(replay("callback") > 0, "no inputs: the directory moved?");
}
