//! With `--format json`, errors are one JSON document on stdout
//! (`{"error": {code, message, help, diagnostics: [...]}}`, docs/cli.md) and
//! nothing on stderr: a script that asked for JSON always gets JSON.

mod cli_support;

use cli_support::{Fixture, Run};

fn fixture() -> Fixture {
    Fixture::new("json-errors")
        .file(
            "ok.policy",
            "provider \"p\" {\n  match host == \"id.example\"\n}\n",
        )
        .file(
            "bad.policy",
            "provider \"p\" {\n  match hst ~ \"(\"\n}\nprovider \"p\" {\n  match host == \"x\"\n}\n",
        )
        .file("empty/README", "no policies here\n")
        .file("cases/broken.json", "{\"authorize\": [}\n")
}

/// Each run's command line and output; stdout must parse as JSON with an
/// `error` object and stderr must be empty.
fn runs(f: &Fixture, commands: &[&[&str]]) -> String {
    commands
        .iter()
        .map(|args| {
            let run: Run = f.run(args);
            let doc: serde_json::Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {}", run.all()));
            assert!(
                doc.get("error").is_some() || doc.get("file_errors").is_some(),
                "{args:?}: {doc}"
            );
            assert_eq!(run.stderr, "", "{args:?} wrote to stderr");
            assert_eq!(run.code, 1, "{args:?}");
            format!("$ policyc {args:?}\n{}", run.stdout)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn load_errors() {
    let f = fixture();
    insta::assert_snapshot!(runs(
        &f,
        &[
            &[
                "apply",
                "--format",
                "json",
                "--policies",
                "bad.policy",
                "https://id.example/a"
            ],
            &[
                "classify",
                "--format",
                "json",
                "--policies",
                "missing",
                "https://gw.example/cb"
            ],
            &[
                "explain",
                "--format",
                "json",
                "--policies",
                "empty",
                "https://id.example/a"
            ],
            &[
                "test",
                "--format",
                "json",
                "bad.policy",
                "cases/broken.json"
            ],
            &["lint", "--format", "json", "missing", "empty"],
        ],
    ));
}

#[test]
fn bad_input_and_usage() {
    let f = fixture();
    insta::assert_snapshot!(runs(
        &f,
        &[
            &[
                "apply",
                "--format",
                "json",
                "--policies",
                "ok.policy",
                "not a url"
            ],
            &[
                "apply",
                "--format",
                "json",
                "--token",
                "--body",
                "a=\u{1}",
                "https://id.example/t"
            ],
            &[
                "classify",
                "--format",
                "json",
                "--policies",
                "ok.policy",
                "--provider",
                "q",
                "https://gw.example/cb"
            ],
            &["classify", "--format", "json", "--form", "a=b&\t"],
            &["explain", "--format", "json", "--callback", "mailto:x@y"],
            &["test", "--format", "json", "ok.policy"],
            &["test", "--format", "json", "ok.policy", "cases/broken.json"],
        ],
    ));
}
