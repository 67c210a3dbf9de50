//! `policyc lint` on a generated directory of 1000 providers (50 files of
//! 20 blocks, each with authorize, token and callback rules, and a case file
//! naming every provider). The target is "well under a second".
//!
//! `lint/library`: reading the files, the case file and running every check
//! and lint rule (what `policyc lint` does before printing).
//! `lint/policyc`: the `policyc lint --deny-warnings DIR` process end to end.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use oauth_policy::read_sources;
use oauth_policy::testing::CaseFile;
use oauth_policy::{AnalyzeOptions, Policy};

const FILES: usize = 50;
const PER_FILE: usize = 20;

fn provider(out: &mut String, n: usize) {
    let host = if n.is_multiple_of(5) {
        format!("host ~ r\"^[a-z0-9-]+\\.tenant{n}\\.example\\.com$\"")
    } else {
        format!("host in [\"login{n}.example.com\", \"login{n}.example.org\"]")
    };
    let _ = write!(
        out,
        r#"# Provider {n}: generated for the lint benchmark.
provider "p{n}" {{
  match {host} and path ~ r"^/oauth2/(v2\.0/)?(authorize|token)$"

  authorize {{
    # v2 has no resource parameter.
    drop resource if scope and path ~ r"/v2\.0/"
    add "openid" to scope if not scope contains "openid"
    default prompt = "select_account" if not login_hint
    deny "prompt=none needs a session" if prompt == "none" and not id_token_hint
  }}

  token {{
    drop resource if scope
    convert scope to space
  }}

  callback {{
    when error == "access_denied" and error_description ~ r"^AADSTS65004" classify consent_required hint "consent needed"
    when error == "invalid_request" classify misconfiguration not retryable
  }}
}}

"#
    );
}

/// Writes the generated policy directory once and returns it.
fn generate() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("policyc-lint-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tests")).unwrap_or_else(|e| panic!("{e}"));
    let mut cases = Vec::new();
    for f in 0..FILES {
        let mut text = String::new();
        for i in 0..PER_FILE {
            let n = f * PER_FILE + i;
            provider(&mut text, n);
            cases.push(format!(
                r#"{{"id": "p{n}", "provider": "p{n}", "input_url": "https://login{n}.example.com/oauth2/authorize?scope=openid", "expect": {{}}}}"#
            ));
        }
        std::fs::write(dir.join(format!("f{f:03}.policy")), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let json = format!("{{\"authorize\": [{}]}}", cases.join(",\n"));
    std::fs::write(dir.join("tests/cases.json"), json).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn lint_dir(dir: &Path) -> usize {
    let files = read_sources(dir).unwrap_or_else(|e| panic!("{e}"));
    let cases = CaseFile::read(&dir.join("tests/cases.json")).unwrap_or_else(|e| panic!("{e}"));
    let tested = cases.authorize.iter().map(|c| c.provider.clone());
    let opts = AnalyzeOptions::default().with_tested(tested);
    Policy::analyze(files, &opts).diagnostics.len()
}

fn bench(c: &mut Criterion) {
    let dir = generate();
    // The generated policy is clean: a finding would mean the benchmark
    // measures error reporting instead of linting.
    assert_eq!(lint_dir(&dir), 0);
    let mut g = c.benchmark_group("lint");
    g.sample_size(20);
    g.bench_function("library", |b| b.iter(|| lint_dir(&dir)));
    g.bench_function("policyc", |b| {
        b.iter(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_policyc"))
                .args(["lint", "--deny-warnings"])
                .arg(&dir)
                .env("NO_COLOR", "1")
                .output()
                .unwrap_or_else(|e| panic!("{e}"))
                .status;
            assert!(status.success());
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
