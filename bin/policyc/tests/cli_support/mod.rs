//! Shared by the `cli_*` tests: a scratch directory of policy files and a
//! way to run `policyc` in it (no colour, relative paths, so output is stable).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory, removed on drop.
pub struct Fixture {
    pub dir: PathBuf,
}

/// What a run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code and both streams, for a snapshot.
    pub fn all(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Fixture {
    /// An empty scratch directory.
    pub fn new(name: &str) -> Self {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("policyc-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Fixture { dir }
    }

    /// Writes `text` to `rel` (directories created as needed).
    pub fn file(self, rel: &str, text: &str) -> Self {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Reads a file back.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    /// Runs `policyc ARGS` in the directory with `NO_COLOR=1`.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(&self.dir, args, &[("NO_COLOR", "1")])
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `policyc ARGS` in `dir` with extra environment variables.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_policyc"));
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The repository root (where `policies/` is).
pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .unwrap()
}

/// A one-case test file naming `provider`, so `L007` stays quiet.
pub fn tests_for(providers: &[&str]) -> String {
    let cases: Vec<String> = providers
        .iter()
        .map(|p| {
            format!(
                r#"{{"id": "{p}-smoke", "provider": "{p}", "input_url": "https://{p}.example/authorize?a=b", "expect": {{}}}}"#
            )
        })
        .collect();
    format!("{{\"authorize\": [{}]}}\n", cases.join(", "))
}
