//! `policyc fmt` end to end.

mod cli_support;

use cli_support::Fixture;

const MESSY: &str = "# header\n\nprovider   \"p\" {   # open\nmatch host==\"p.example\"\n  authorize{\n  drop   resource   if ( scope )   # why\n     # own line\n  add \"x\" to scope if resource and not ((scope contains \"x\"))\n  }\n}\n";

#[test]
fn rewrites_files_and_lists_them() {
    let f = Fixture::new("fmt-write")
        .file("a.policy", MESSY)
        .file("b.policy", "stop\n");
    let run = f.run(&["fmt"]);
    insta::assert_snapshot!(format!(
        "{}\n--- a.policy\n{}",
        run.all(),
        f.read("a.policy")
    ));
    // Formatting is idempotent: a second run changes nothing.
    let again = f.run(&["fmt", "--check"]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, ""),
        "{}",
        again.all()
    );
}

#[test]
fn check_lists_without_writing() {
    let f = Fixture::new("fmt-check")
        .file("a.policy", MESSY)
        .file("b.policy", "stop\n");
    let run = f.run(&["fmt", "--check", "a.policy", "b.policy"]);
    insta::assert_snapshot!(run.all());
    assert_eq!(f.read("a.policy"), MESSY);
}

#[test]
fn standard_input() {
    let f = Fixture::new("fmt-stdin");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_policyc"));
    let mut child = cmd
        .args(["fmt", "-"])
        .current_dir(&f.dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"drop   x if(a)")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "drop x if a\n");
}

#[test]
fn errors() {
    let f = Fixture::new("fmt-errors")
        .file("bad.policy", "provider \"p\" {\n  match host == \n}\n")
        .file("empty/README", "no policies\n");
    insta::assert_snapshot!(f
        .run(&["fmt", "bad.policy", "missing.policy", "empty"])
        .all());
    assert_eq!(
        f.read("bad.policy"),
        "provider \"p\" {\n  match host == \n}\n"
    );
}
