//! Shared by the daemon tests: start the real `policyd` on a free loopback
//! port, talk HTTP/1.1 to it over a plain `TcpStream`, and poll its status
//! with bounded loops.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long anything the daemon is asked to do may take in a test.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A running `policyd`, killed when dropped.
pub struct Daemon {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// Why a daemon did not start.
#[derive(Debug)]
pub struct StartError {
    pub status: Option<ExitStatus>,
    pub stderr: String,
}

impl Daemon {
    /// Starts `policyd --listen 127.0.0.1:0 ARGS…` and waits for its address.
    pub fn start(args: &[&str]) -> Daemon {
        Self::try_start(args).unwrap_or_else(|e| panic!("policyd did not start: {e:?}"))
    }

    /// Like `start`, but returns the exit status and stderr of a daemon
    /// that refused to start.
    pub fn try_start(args: &[&str]) -> Result<Daemon, StartError> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_policyd"));
        cmd.args(["--listen", "127.0.0.1:0"]).args(args);
        Self::spawn(cmd)
    }

    /// Starts `policyd` with at most `fds` open file descriptors
    /// (`ulimit -n`), as on a host with a low limit.
    pub fn start_with_fd_limit(fds: u32, args: &[&str]) -> Daemon {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", r#"ulimit -n "$0" && exec "$@""#])
            .arg(fds.to_string())
            .arg(env!("CARGO_BIN_EXE_policyd"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args);
        Self::spawn(cmd).unwrap_or_else(|e| panic!("policyd did not start: {e:?}"))
    }

    fn spawn(mut cmd: Command) -> Result<Daemon, StartError> {
        let mut child = cmd
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn policyd");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        let lines = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(addr.trim().parse::<SocketAddr>().ok());
                }
                lines.lock().unwrap().push(line);
            }
        });
        match rx.recv_timeout(DEADLINE) {
            Ok(Some(addr)) => Ok(Daemon {
                child,
                addr,
                stderr,
            }),
            _ => {
                let deadline = Instant::now() + DEADLINE;
                let mut status = None;
                while Instant::now() < deadline {
                    if let Ok(Some(s)) = child.try_wait() {
                        status = Some(s);
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                let _ = child.kill();
                let _ = child.wait();
                // Let the reader thread drain the pipe.
                std::thread::sleep(Duration::from_millis(50));
                let stderr = stderr.lock().unwrap().join("\n");
                Err(StartError { status, stderr })
            }
        }
    }

    /// Everything the daemon has written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Waits (bounded) until stderr contains `text`; returns all of it.
    pub fn wait_stderr(&self, text: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let err = self.stderr();
            if err.contains(text) {
                return err;
            }
            assert!(Instant::now() < deadline, "never logged {text:?}:\n{err}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends a signal (`TERM`, `HUP`, …) with kill(1).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "policyd did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A new keep-alive connection.
    pub fn connect(&self) -> Conn {
        Conn::connect(self.addr)
    }

    /// `GET path` on a fresh connection.
    pub fn get(&self, path: &str) -> Response {
        self.connect()
            .send("GET", path, None, b"")
            .expect("GET failed")
    }

    /// `POST path` with a JSON body, on a fresh connection.
    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.connect()
            .send(
                "POST",
                path,
                Some("application/json"),
                body.to_string().as_bytes(),
            )
            .expect("POST failed")
    }

    /// `GET /v1/policy` as JSON.
    pub fn policy(&self) -> Value {
        let r = self.get("/v1/policy");
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// Polls `/v1/policy` until `done` holds, at most `DEADLINE`; returns
    /// the view that satisfied it.
    pub fn wait_policy(&self, what: &str, mut done: impl FnMut(&Value) -> bool) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let view = self.policy();
            if done(&view) {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last /v1/policy: {view:#}\nstderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until `/v1/policy` serves `revision`.
    pub fn wait_revision(&self, revision: &str) -> Value {
        self.wait_policy(&format!("revision {revision}"), |v| {
            v["revision"] == revision
        })
    }

    /// Waits until the failed-reload count exceeds `before`.
    pub fn wait_failures(&self, before: u64) -> Value {
        self.wait_policy(&format!("more than {before} failed reloads"), |v| {
            v["reloads"]["failed"].as_u64().unwrap() > before
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The stable error code of a JSON error answer.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
            .to_string()
    }
}

/// A keep-alive HTTP/1.1 connection: just enough client for these tests
/// (Content-Length bodies, which is all the daemon sends).
pub struct Conn {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Conn {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream),
            addr,
        }
    }

    /// Sends one request and reads its response.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<Response> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;
        self.read_response()
    }

    /// Sends only a request head declaring a `declared`-byte body, and reads
    /// the answer (for limits the server enforces before reading the body).
    pub fn send_head_only(&mut self, path: &str, declared: usize) -> std::io::Result<Response> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n",
            self.addr
        );
        self.reader.get_mut().write_all(head.as_bytes())?;
        self.read_response()
    }

    /// Writes raw bytes (to send a request in pieces).
    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// Reads one response (after `write_raw`).
    pub fn read(&mut self) -> std::io::Result<Response> {
        self.read_response()
    }

    /// `POST path` with a JSON body.
    pub fn post(&mut self, path: &str, body: &Value) -> std::io::Result<Response> {
        self.send(
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    fn read_response(&mut self) -> std::io::Result<Response> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(bad("connection closed before a response"));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| bad("no Content-Length"))?;
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(Response {
            status,
            headers,
            body: String::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?,
        })
    }
}

/// A temporary policy directory.
pub struct PolicyDir {
    dir: tempfile::TempDir,
}

impl PolicyDir {
    /// An empty directory.
    pub fn new() -> PolicyDir {
        PolicyDir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Its path as a flag value.
    pub fn arg(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    /// A file in it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in place.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.file(name), text).unwrap();
    }

    /// Writes a hidden temporary file and renames it over `name`, as
    /// deployers and many editors save.
    pub fn write_atomic(&self, name: &str, text: &str) {
        let tmp = self.file(&format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.file(name)).unwrap();
    }

    /// The revision the library computes for the directory as it is now
    /// (the same names and texts the daemon reads).
    pub fn revision(&self) -> String {
        oauth_policy::Policy::load(self.path())
            .unwrap()
            .revision()
            .to_string()
    }
}

/// A provider block matching `host` that drops `resource`, plus `extra` rules.
pub fn provider(name: &str, host: &str, extra: &str) -> String {
    format!(
        "provider \"{name}\" {{\n  match host == \"{host}\"\n  authorize {{\n    drop resource\n    {extra}\n  }}\n}}\n"
    )
}

/// An authorize request body for `url`.
pub fn authorize(url: &str) -> Value {
    serde_json::json!({ "url": url })
}
