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
/// not fixed yet, each under its own `#[ignore]`d test that says why.
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

// Known failures, in the fuzz targets' input format. Not found by the fuzzer
// (an issue-10 repro); kept so the checks replay it once the fix lands.

#[test]
#[ignore = "issue 10: 18 × `set a = \"${a}${a}\"` makes a 262 KB URL; produced values are not capped at the request limits yet"]
fn known_policy_fmt_doubling_set() {
    replay_known("policy_fmt", "doubling-set");
}
