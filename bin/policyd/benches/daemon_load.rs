//! Load generator for `policyd` on loopback: throughput and latency of
//! `POST /v1/authorize` under N keep-alive connections, then the reload
//! latency (file renamed into place → first decision carrying the new
//! revision). Run it with
//!
//!     cargo bench --bench daemon_load -- [--seconds 5] [--connections 2] [--reloads 20] [--debounce 100ms]
//!
//! It starts its own daemon (the release build of `policyd`) on a free
//! port with a copy of the embedded library, and stops it at the end. Only
//! loopback traffic; every loop is bounded in time or count.

#[path = "../tests/daemon/harness.rs"]
mod harness;

use std::path::Path;
use std::time::{Duration, Instant};

use harness::{authorize, Daemon, PolicyDir};

const SEED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com&state=xyz123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

struct Options {
    seconds: u64,
    connections: usize,
    reloads: usize,
    debounce: String,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 5,
        connections: 2,
        reloads: 20,
        debounce: "100ms".into(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--seconds" => o.seconds = value.parse().expect("--seconds N"),
            "--connections" => o.connections = value.parse().expect("--connections N"),
            "--reloads" => o.reloads = value.parse().expect("--reloads N"),
            "--debounce" => o.debounce = value,
            // `cargo bench` passes `--bench`; ignore anything else too.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    o
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let o = options();
    let dir = PolicyDir::new();
    for f in oauth_policy::Policy::try_builtin().unwrap().files() {
        let name = Path::new(&*f.name).file_name().unwrap().to_str().unwrap();
        dir.write(name, &f.text);
    }
    let daemon = Daemon::start(&["--policies", dir.arg(), "--debounce", &o.debounce]);
    println!(
        "policyd at {} ({} policy files, debounce {}), {} connection(s), {} s",
        daemon.addr,
        oauth_policy::Policy::load(dir.path())
            .unwrap()
            .files()
            .len(),
        o.debounce,
        o.connections,
        o.seconds
    );

    // Throughput and latency.
    let body = authorize(SEED);
    let warm_until = Instant::now() + Duration::from_millis(500);
    let mut warm = daemon.connect();
    while Instant::now() < warm_until {
        assert_eq!(warm.post("/v1/authorize", &body).unwrap().status, 200);
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(o.seconds);
    let workers: Vec<_> = (0..o.connections)
        .map(|_| {
            let mut conn = daemon.connect();
            let body = body.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(200_000);
                let mut failed = 0u64;
                while Instant::now() < until {
                    let t = Instant::now();
                    match conn.post("/v1/authorize", &body) {
                        Ok(r) if r.status == 200 => latencies.push(t.elapsed()),
                        _ => failed += 1,
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut failed = 0;
    for w in workers {
        let (l, f) = w.join().unwrap();
        all.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed();
    all.sort();
    println!(
        "/v1/authorize: {} requests in {:.2} s = {:.0} req/s; latency p50 {} p90 {} p99 {} max {}; {} failed",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        us(percentile(&all, 0.50)),
        us(percentile(&all, 0.90)),
        us(percentile(&all, 0.99)),
        us(*all.last().unwrap()),
        failed
    );

    // Reload latency: rename a new version into place, then decide until a
    // decision carries its revision.
    let mut conn = daemon.connect();
    let mut reload = Vec::new();
    for i in 0..o.reloads {
        let text = format!("# load generator version {i}\nset lg_version = \"{i}\"\n");
        let tmp = dir.file(".zz-load.policy.tmp");
        std::fs::write(&tmp, &text).unwrap();
        let names: Vec<(String, String)> = oauth_policy::read_sources(dir.path())
            .unwrap()
            .into_iter()
            .map(|f| (f.name.to_string(), f.text.to_string()))
            .filter(|(n, _)| !n.ends_with("zz-load.policy"))
            .chain([(
                dir.file("zz-load.policy").display().to_string(),
                text.clone(),
            )])
            .collect();
        let expected =
            oauth_policy::Policy::from_sources(names.iter().map(|(n, t)| (n.as_str(), t.as_str())))
                .unwrap()
                .revision()
                .to_string();
        let t = Instant::now();
        std::fs::rename(&tmp, dir.file("zz-load.policy")).unwrap();
        let deadline = t + Duration::from_secs(10);
        loop {
            let r = conn.post("/v1/authorize", &body).unwrap();
            if r.json()["revision"] == expected.as_str() {
                reload.push(t.elapsed());
                break;
            }
            assert!(
                Instant::now() < deadline,
                "reload {i} not served within 10 s"
            );
        }
    }
    reload.sort();
    if !reload.is_empty() {
        println!(
            "reload (rename → first decision with the new revision), {} reloads: p50 {:.1} ms, max {:.1} ms (debounce {})",
            reload.len(),
            percentile(&reload, 0.5).as_secs_f64() * 1e3,
            reload.last().unwrap().as_secs_f64() * 1e3,
            o.debounce
        );
    }
}
