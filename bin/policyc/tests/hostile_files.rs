//! Policy files as an attacker or an unlucky operator leaves them: a FIFO
//! named `x.policy` (reading it would block forever), a huge sparse file
//! (reading it whole would exhaust memory), bytes that are not UTF-8.

mod cli_support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::{Fixture, Run};
use oauth_policy::{LoadError, Policy};

/// Longest any of these runs may take before the test calls it a hang: a
/// guard so a regression fails instead of blocking `cargo test`, not a
/// performance bound (a good run takes milliseconds).
const HANG: Duration = Duration::from_secs(60);

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Opens the FIFO's write end, which releases a reader blocked on it, so a
/// failing test ends instead of leaving a thread or a process hanging.
#[cfg(unix)]
fn release(fifo: &Path) {
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(fifo);
}

/// Runs `policyc ARGS` in `dir`, killing it (and failing) if it hangs.
fn run_bounded(dir: &Path, args: &[&str], fifo: &Path) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_policyc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            release(fifo);
            let _ = child.kill();
            let _ = child.wait();
            panic!("policyc {args:?} blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_not_read() {
    let f = Fixture::new("fifo")
        .file("ok.policy", "drop a\n")
        .file("tests/cases.json", "{}\n");
    let fifo = f.dir.join("x.policy");
    mkfifo(&fifo);
    mkfifo(&f.dir.join("cases.json"));

    // The library: an E020 load error, at once.
    let (tx, rx) = mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || tx.send(Policy::load(&path)).unwrap());
    let loaded = rx.recv_timeout(HANG).unwrap_or_else(|_| {
        release(&fifo);
        panic!("Policy::load blocked on a FIFO")
    });
    let err = loaded.unwrap_err();
    assert!(matches!(err, LoadError::NotAFile { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read {}: it is a named pipe (FIFO), not a regular file",
            fifo.display()
        )
    );

    // A directory with a FIFO among its files loads the regular ones.
    let p = Policy::load(&f.dir).unwrap();
    assert_eq!(p.files().len(), 1);

    let runs: Vec<String> = [
        &["lint", "x.policy"][..],
        &["lint", "--format", "json", "x.policy"],
        &["fmt", "x.policy"],
        &["apply", "--policies", "x.policy", "https://a.example/"],
        &["test", "ok.policy", "cases.json"],
        &["lint", "--config", "cases.json", "ok.policy"],
    ]
    .iter()
    .map(|args| {
        format!(
            "$ policyc {}\n{}",
            args.join(" "),
            run_bounded(&f.dir, args, &fifo).all()
        )
    })
    .collect();
    insta::assert_snapshot!(runs.join("\n"));
}

/// A 1 TiB sparse file: only the limit (plus one byte) is ever read, and the
/// error gives the real size.
#[cfg(unix)]
#[test]
fn a_huge_file_is_read_only_up_to_the_limit() {
    let f = Fixture::new("huge");
    let path = f.dir.join("huge.policy");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(1 << 40).unwrap();
    drop(file);
    let err = Policy::load(&path).unwrap_err();
    let d = err.diagnostics();
    assert_eq!(d.len(), 1, "{err:?}");
    assert_eq!(d[0].code_str(), "policy::E004");
    assert_eq!(
        d[0].to_string(),
        format!(
            "the file is 1099511627776 bytes, more than the {} byte limit",
            oauth_policy::MAX_FILE_BYTES
        )
    );
}

/// The source snippet is shown, with the bad byte underlined (it used to be
/// a miette "OutOfBounds" message: the span pointed into an empty text).
#[test]
fn lint_shows_where_a_file_is_not_utf8() {
    let f = Fixture::new("not-utf8");
    std::fs::write(
        f.dir.join("a.policy"),
        b"drop a if b\n# caf\xe9 hi\ndrop c\n".as_slice(),
    )
    .unwrap();
    let human = f.run(&["lint", "a.policy"]);
    assert!(!human.stderr.contains("OutOfBounds"), "{}", human.stderr);
    let json = f.run(&["lint", "--format", "json", "a.policy"]);
    insta::assert_snapshot!(format!("{}\n{}", human.all(), json.all()));
}
