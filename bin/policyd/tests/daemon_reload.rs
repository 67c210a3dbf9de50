//! policyd's reload promises against the real binary: every way a policy
//! directory changes in practice is picked up within a bounded time, a bad
//! set never replaces a good one, and traffic never sees a failure or a
//! half-loaded policy while reloads happen.

#[path = "daemon/harness.rs"]
mod harness;

use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use harness::{authorize, provider, Daemon, PolicyDir};
use serde_json::Value;

const FAST: [&str; 2] = ["--debounce", "10ms"];

fn start(dir: &PolicyDir, extra: &[&str]) -> Daemon {
    let mut args = vec!["--policies", dir.arg()];
    args.extend_from_slice(&FAST);
    args.extend_from_slice(extra);
    Daemon::start(&args)
}

fn provider_of(d: &Daemon, url: &str) -> Value {
    let r = d.post("/v1/authorize", &authorize(url));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["provider"].clone()
}

#[test]
fn a_new_file_is_picked_up() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    let d = start(&dir, &[]);
    let first = dir.revision();
    assert_eq!(d.policy()["revision"], first);
    assert_eq!(provider_of(&d, "https://b.test/auth"), Value::Null);

    // Written in place: a reader may catch it empty (a valid, empty file)
    // before the text lands, so only the final revision is certain.
    dir.write("b.policy", &provider("b", "b.test", ""));
    let view = d.wait_revision(&dir.revision());
    assert_ne!(view["revision"], first);
    assert!(view["generation"].as_u64().unwrap() >= 2);
    assert_eq!(view["files"].as_array().unwrap().len(), 2);
    assert_eq!(provider_of(&d, "https://b.test/auth"), "b");

    // Editor droppings and hidden files are not policy files: the reload
    // they trigger finds nothing new.
    let unchanged = view["reloads"]["unchanged"].as_u64().unwrap();
    let generation = view["generation"].clone();
    dir.write(".c.policy", &provider("c", "c.test", ""));
    dir.write("c.policy.swp", "garbage {");
    dir.write("notes.txt", "garbage {");
    let view = d.wait_policy("a reload that found nothing new", |v| {
        v["reloads"]["unchanged"].as_u64().unwrap() > unchanged
    });
    assert_eq!(view["generation"], generation);
    assert_eq!(view["files"].as_array().unwrap().len(), 2);
    assert_eq!(view["reloads"]["failed"], 0);
    assert_eq!(provider_of(&d, "https://c.test/auth"), Value::Null);
}

#[test]
fn vim_style_saves_are_picked_up() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    let d = start(&dir, &[]);

    // Save by writing a temporary file and renaming it over the original.
    dir.write_atomic("a.policy", &provider("a2", "a.test", ""));
    d.wait_revision(&dir.revision());
    assert_eq!(provider_of(&d, "https://a.test/auth"), "a2");

    // Vim with a backup: probe file 4913, rename the original to `a.policy~`,
    // write a fresh `a.policy`, delete the backup.
    std::fs::write(dir.file("4913"), "").unwrap();
    std::fs::remove_file(dir.file("4913")).unwrap();
    std::fs::rename(dir.file("a.policy"), dir.file("a.policy~")).unwrap();
    dir.write("a.policy", &provider("a3", "a.test", ""));
    std::fs::remove_file(dir.file("a.policy~")).unwrap();
    d.wait_revision(&dir.revision());
    assert_eq!(provider_of(&d, "https://a.test/auth"), "a3");
}

/// Lays out a ConfigMap volume: `..TS/` holds the files, `..data` points at
/// it, and each visible file is a symlink through `..data`.
fn configmap_version(dir: &PolicyDir, version: &str, files: &[(&str, String)]) {
    let data = dir.file(version);
    std::fs::create_dir(&data).unwrap();
    for (name, text) in files {
        std::fs::write(data.join(name), text).unwrap();
    }
    // The kubelet's atomic writer: new symlink, renamed over `..data`.
    let tmp = dir.file("..data_tmp");
    symlink(version, &tmp).unwrap();
    std::fs::rename(&tmp, dir.file("..data")).unwrap();
    for (name, _) in files {
        let link = dir.file(name);
        if std::fs::symlink_metadata(&link).is_err() {
            symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
}

#[test]
fn kubernetes_data_symlink_swaps_are_picked_up() {
    let dir = PolicyDir::new();
    configmap_version(
        &dir,
        "..2024_01_01_00_00_00.1",
        &[("a.policy", provider("v1", "a.test", ""))],
    );
    let d = start(&dir, &[]);
    assert_eq!(provider_of(&d, "https://a.test/auth"), "v1");

    configmap_version(
        &dir,
        "..2024_01_01_00_01_00.2",
        &[("a.policy", provider("v2", "a.test", ""))],
    );
    std::fs::remove_dir_all(dir.file("..2024_01_01_00_00_00.1")).unwrap();
    let view = d.wait_revision(&dir.revision());
    assert_eq!(view["generation"], 2);
    assert_eq!(provider_of(&d, "https://a.test/auth"), "v2");
    // Names are the visible paths, never the timestamped directory.
    let names = view["files"].to_string();
    assert!(!names.contains("..2024"), "{names}");
}

#[test]
fn deleting_files_is_picked_up_but_an_empty_directory_is_refused() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    dir.write("b.policy", &provider("b", "b.test", ""));
    let d = start(&dir, &[]);
    std::fs::remove_file(dir.file("b.policy")).unwrap();
    let view = d.wait_revision(&dir.revision());
    assert_eq!(view["files"].as_array().unwrap().len(), 1);
    assert_eq!(provider_of(&d, "https://b.test/auth"), Value::Null);

    // Deleting everything is far more likely a botched deploy than an
    // intent to serve nothing: keep the last good set.
    let before = view["revision"].clone();
    std::fs::remove_file(dir.file("a.policy")).unwrap();
    let view = d.wait_failures(0);
    assert_eq!(view["revision"], before);
    assert!(view["last_reload"]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("no .policy files"));
    assert_eq!(provider_of(&d, "https://a.test/auth"), "a");
}

#[test]
fn an_invalid_file_keeps_the_last_good_policy_until_fixed() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    let d = start(&dir, &[]);
    let good = dir.revision();

    dir.write(
        "b.policy",
        "provider \"b\" {\n  match host == \"b.test\"\n  authorise { drop resource }\n}\n",
    );
    let view = d.wait_failures(0);
    assert_eq!(view["revision"], good);
    assert_eq!(view["generation"], 1);
    assert_eq!(view["stale"], true);
    assert_eq!(view["serving"], true);
    assert_eq!(view["last_reload"]["result"], "failed");
    let rendered = view["last_reload"]["diagnostics"].as_str().unwrap();
    assert!(rendered.contains("b.policy:3:3"), "{rendered}");
    assert!(
        rendered.contains("authorize"),
        "the help suggests the right name: {rendered}"
    );
    assert!(
        !rendered.contains('\u{1b}'),
        "diagnostics must have no colour codes"
    );
    let error = &view["last_reload"]["errors"][0];
    assert!(
        error["code"].as_str().unwrap().starts_with("policy::E"),
        "{error}"
    );
    assert!(
        error["location"]
            .as_str()
            .unwrap()
            .ends_with("b.policy:3:3"),
        "{error}"
    );
    let r = d.get("/readyz");
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (200, Value::from("stale"))
    );
    d.wait_stderr("reload failed");
    assert!(d.get("/metrics").body.contains("policyd_policy_stale 1"));
    // Decisions go on with the last good policy.
    let r = d.post(
        "/v1/authorize",
        &authorize("https://a.test/auth?resource=x"),
    );
    assert_eq!(
        (r.status, r.json()["revision"].clone()),
        (200, Value::from(good.clone()))
    );

    // The periodic rescan does not count the same failure again.
    d.signal("HUP");
    let view = d.wait_failures(1);
    assert_eq!(view["last_reload"]["trigger"], "sighup");

    dir.write_atomic("b.policy", &provider("b", "b.test", ""));
    let view = d.wait_revision(&dir.revision());
    assert_eq!(view["stale"], false);
    assert_eq!(view["generation"], 2);
    assert_eq!(view["reloads"]["ok"], 1);
    // "ok", or "unchanged" when a second event batch re-read the same files.
    assert_ne!(view["last_reload"]["result"], "failed");
    assert!(view["last_reload"].get("diagnostics").is_none());
    assert_eq!(d.get("/readyz").json()["status"], "ready");
    assert_eq!(provider_of(&d, "https://b.test/auth"), "b");
}

#[test]
fn fail_closed_refuses_decisions_until_fixed() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    let d = start(&dir, &["--on-reload-error", "fail-closed"]);
    dir.write_atomic("a.policy", "provider {");
    let view = d.wait_failures(0);
    assert_eq!(
        (view["serving"].clone(), view["stale"].clone()),
        (Value::from(false), Value::from(true))
    );
    let r = d.post("/v1/authorize", &authorize("https://a.test/auth"));
    assert_eq!(
        (r.status, r.error_code()),
        (503, "policy_unavailable".to_string())
    );
    let r = d.get("/readyz");
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (503, Value::from("unavailable"))
    );

    dir.write_atomic("a.policy", &provider("a", "a.test", "drop prompt"));
    d.wait_revision(&dir.revision());
    assert_eq!(
        d.post("/v1/authorize", &authorize("https://a.test/auth"))
            .status,
        200
    );
    assert_eq!(d.get("/readyz").status, 200);
}

#[test]
fn without_the_watcher_sighup_and_the_periodic_rescan_reload() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    let d = start(&dir, &["--no-watch", "--rescan-interval", "1h"]);
    dir.write("b.policy", &provider("b", "b.test", ""));
    d.signal("HUP");
    let view = d.wait_revision(&dir.revision());
    assert_eq!(view["last_reload"]["trigger"], "sighup");

    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    let d = start(&dir, &["--no-watch", "--rescan-interval", "50ms"]);
    dir.write("b.policy", &provider("b", "b.test", ""));
    let view = d.wait_revision(&dir.revision());
    assert_eq!(view["last_reload"]["trigger"], "periodic");
}

/// What one client saw.
struct Seen {
    /// The newest revision index confirmed served before the request left.
    floor: usize,
    /// How many revisions existed when the answer arrived.
    ceiling: usize,
    status: u16,
    revision: String,
    tag: Option<String>,
}

#[test]
fn traffic_sees_no_failure_and_no_unknown_revision_during_100_reloads() {
    let dir = PolicyDir::new();
    let a = provider("t", "idp.test", "");
    let b = |i: usize| format!("# version {i}\nset tag = \"v{i}\"\n");
    let name = |f: &str| dir.file(f).display().to_string();
    let revision_of = |i: usize| {
        let (an, bn, bt) = (name("a.policy"), name("b.policy"), b(i));
        oauth_policy::Policy::from_sources([(an.as_str(), a.as_str()), (bn.as_str(), bt.as_str())])
            .unwrap()
            .revision()
            .to_string()
    };
    dir.write("a.policy", &a);
    dir.write("b.policy", &b(0));
    let d = start(&dir, &[]);

    // revisions[i] is version i's; a revision may be served once it is listed.
    let revisions = Arc::new(RwLock::new(vec![revision_of(0)]));
    let confirmed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (revisions, confirmed, stop) = (revisions.clone(), confirmed.clone(), stop.clone());
            let addr = d.addr;
            std::thread::spawn(move || {
                let mut conn = harness::Conn::connect(addr);
                let body = authorize("https://idp.test/auth?resource=r&state=s");
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let floor = confirmed.load(Ordering::SeqCst);
                    let r = conn.post("/v1/authorize", &body).expect("request failed");
                    let ceiling = revisions.read().unwrap().len();
                    let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
                    let url = v["url"].as_str().unwrap_or("");
                    seen.push(Seen {
                        floor,
                        ceiling,
                        status: r.status,
                        revision: v["revision"].as_str().unwrap_or("").to_string(),
                        tag: url.split("tag=").nth(1).map(str::to_string),
                    });
                }
                seen
            })
        })
        .collect();

    let started = Instant::now();
    let (mut valid, mut invalid) = (0, 0);
    let mut version = 0;
    for step in 1..=100 {
        if step % 4 == 0 {
            // An invalid set: the daemon must keep serving `version`.
            let failed = d.policy()["reloads"]["failed"].as_u64().unwrap();
            dir.write_atomic("b.policy", &format!("# broken {step}\nset tag = \n"));
            let view = d.wait_failures(failed);
            assert_eq!(
                view["revision"],
                revisions.read().unwrap()[version].as_str()
            );
            invalid += 1;
        } else {
            version += 1;
            revisions.write().unwrap().push(revision_of(version));
            dir.write_atomic("b.policy", &b(version));
            d.wait_revision(&revisions.read().unwrap()[version]);
            confirmed.store(version, Ordering::SeqCst);
            valid += 1;
        }
    }
    let reload_time = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();

    let revisions = revisions.read().unwrap();
    assert_eq!((valid, invalid), (75, 25));
    assert!(
        seen.len() >= 200,
        "only {} requests during {reload_time:?}",
        seen.len()
    );
    for s in &seen {
        assert_eq!(s.status, 200, "a request failed during reloads");
        let i = revisions
            .iter()
            .position(|r| *r == s.revision)
            .unwrap_or_else(|| panic!("unknown revision {:?}", s.revision));
        assert!(
            s.floor <= i && i < s.ceiling,
            "revision #{i} served outside its window [{}, {})",
            s.floor,
            s.ceiling
        );
        // The decision was made by that revision's rules, whole.
        assert_eq!(s.tag.as_deref(), Some(format!("v{i}").as_str()));
    }
    let distinct: std::collections::BTreeSet<&str> =
        seen.iter().map(|s| s.revision.as_str()).collect();
    assert!(
        distinct.len() > 10,
        "traffic saw only {} revisions",
        distinct.len()
    );
    eprintln!(
        "{} requests saw {} revisions during 100 reloads in {reload_time:?}",
        seen.len(),
        distinct.len()
    );
    let view = d.policy();
    assert_eq!(view["reloads"]["ok"], 75);
    assert_eq!(view["reloads"]["failed"], 25);
    assert_eq!(view["generation"], 76);
    assert!(reload_time < Duration::from_secs(30), "{reload_time:?}");
}

#[test]
fn replicas_with_the_same_files_at_different_paths_agree_on_the_revision() {
    let (one, two) = (PolicyDir::new(), PolicyDir::new());
    for dir in [&one, &two] {
        dir.write("a.policy", &provider("a", "a.test", ""));
        dir.write("b.policy", &provider("b", "b.test", ""));
    }
    assert_ne!(one.path(), two.path());
    assert_eq!(one.revision(), two.revision());
    let d = start(&two, &[]);
    assert_eq!(d.policy()["revision"], one.revision());
    // A different name is a different policy.
    let three = PolicyDir::new();
    three.write("a.policy", &provider("a", "a.test", ""));
    three.write("c.policy", &provider("b", "b.test", ""));
    assert_ne!(three.revision(), one.revision());
}

/// What the client saw during the storm.
struct Answer {
    status: u16,
    body: String,
    revision: String,
    provider: Value,
    tag: Option<String>,
}

#[test]
fn a_storm_of_in_place_rewrites_never_serves_a_half_written_file() {
    let dir = PolicyDir::new();
    let version = |i: usize| provider("t", "idp.test", &format!("set tag = \"v{i}\""));
    let name = dir.file("a.policy").display().to_string();
    let revision_of = |i: usize| {
        oauth_policy::Policy::from_sources([(name.as_str(), version(i).as_str())])
            .unwrap()
            .revision()
            .to_string()
    };
    let revisions: Vec<String> = (0..=100).map(revision_of).collect();
    dir.write("a.policy", &version(0));
    // The default debounce: what a deployer gets.
    let d = Daemon::start(&["--policies", dir.arg()]);

    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (stop, addr) = (stop.clone(), d.addr);
        std::thread::spawn(move || {
            let mut conn = harness::Conn::connect(addr);
            let body = authorize("https://idp.test/auth?resource=r");
            let mut seen = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let r = conn.post("/v1/authorize", &body).expect("request failed");
                let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
                let url = v["url"].as_str().unwrap_or("");
                seen.push(Answer {
                    status: r.status,
                    body: r.body.clone(),
                    revision: v["revision"].as_str().unwrap_or("").to_string(),
                    provider: v["provider"].clone(),
                    tag: url.split("tag=").nth(1).map(str::to_string),
                });
            }
            seen
        })
    };
    // 100 in-place rewrites (truncate, then write) within about a second.
    let started = Instant::now();
    for i in 1..=100 {
        dir.write("a.policy", &version(i));
        std::thread::sleep(Duration::from_millis(10));
    }
    let storm = started.elapsed();
    d.wait_revision(&revisions[100]);
    stop.store(true, Ordering::SeqCst);
    let seen = client.join().unwrap();

    assert!(!seen.is_empty());
    for s in &seen {
        assert_eq!(s.status, 200, "a request failed during the storm");
        let i = revisions
            .iter()
            .position(|r| *r == s.revision)
            .unwrap_or_else(|| {
                panic!(
                    "served revision {:?}, not a complete version: {}\nstderr:\n{}",
                    s.revision,
                    s.body,
                    d.stderr()
                )
            });
        assert_eq!(
            s.provider, "t",
            "decided without the provider (revision #{i})"
        );
        assert_eq!(s.tag.as_deref(), Some(format!("v{i}").as_str()));
    }
    let view = d.policy();
    let reloads = view["reloads"].clone();
    eprintln!(
        "storm of 100 writes in {storm:?}: {} requests, reloads {reloads}, generation {}",
        seen.len(),
        view["generation"]
    );
    assert_eq!(view["reloads"]["failed"], 0, "{view:#}");
}

#[test]
fn a_reload_that_removes_most_providers_is_warned_about_and_counted() {
    let dir = PolicyDir::new();
    let three: String = ["a", "b", "c"]
        .iter()
        .map(|n| provider(n, &format!("{n}.test"), ""))
        .collect();
    dir.write("all.policy", &three);
    let d = start(&dir, &[]);
    // Two of three providers gone: believed (after a second look), but loud.
    dir.write_atomic("all.policy", &provider("a", "a.test", ""));
    d.wait_revision(&dir.revision());
    assert_eq!(provider_of(&d, "https://b.test/auth"), Value::Null);
    let m = d.get("/metrics").body;
    assert!(
        m.contains("policyd_reloads_removing_most_providers_total 1"),
        "{m}"
    );
    d.wait_stderr("removes most providers");
    // Adding them back is not suspicious.
    dir.write_atomic("all.policy", &three);
    d.wait_revision(&dir.revision());
    let m = d.get("/metrics").body;
    assert!(
        m.contains("policyd_reloads_removing_most_providers_total 1"),
        "{m}"
    );
}

#[test]
fn a_served_file_left_empty_is_taken_as_being_written_and_never_loaded() {
    let dir = PolicyDir::new();
    dir.write("a.policy", &provider("a", "a.test", ""));
    dir.write("b.policy", &provider("b", "b.test", ""));
    let d = start(&dir, &[]);
    let before = d.policy()["revision"].clone();
    // What an in-place write looks like between truncation and write, for
    // as long as a stalled writer takes.
    dir.write("b.policy", "");
    d.wait_stderr("did not settle");
    let view = d.policy();
    assert_eq!(view["revision"], before);
    assert_eq!(view["reloads"]["failed"], 0);
    assert_eq!(provider_of(&d, "https://b.test/auth"), "b");
    let m = d.get("/metrics").body;
    assert!(
        m.contains(r#"policyd_reloads_total{result="unsettled"} "#),
        "{m}"
    );
    // Deleting it is an answer the daemon believes.
    std::fs::remove_file(dir.file("b.policy")).unwrap();
    d.wait_revision(&dir.revision());
    assert_eq!(provider_of(&d, "https://b.test/auth"), Value::Null);
}

#[test]
fn an_overlay_on_the_embedded_library_hot_reloads() {
    // An operator with no local changes yet: an empty overlay directory.
    let overlay = PolicyDir::new();
    let mut args = vec!["--overlay", overlay.arg()];
    args.extend_from_slice(&FAST);
    let d = Daemon::start(&args);
    let custom = "https://login.acme.com/authorize?client_id=c&response_type=code";
    assert_eq!(provider_of(&d, custom), Value::Null);
    let view = d.policy();
    assert_eq!(view["source"], "builtin");
    assert_eq!(view["layers"].as_array().unwrap().len(), 2);
    assert_eq!(view["layers"][0]["name"], "builtin");
    assert_eq!(view["layers"][1]["files"], 0);
    let builtin_revision = view["layers"][0]["revision"].clone();

    // The Auth0 custom domain, three lines, renamed into place.
    overlay.write_atomic(
        "acme.policy",
        "extend provider \"auth0\" {\n  also match host == \"login.acme.com\"\n}\n",
    );
    let view = d.wait_policy("the overlay loaded", |v| v["layers"][1]["files"] == 1);
    assert_eq!(view["layers"][0]["revision"], builtin_revision);
    assert_eq!(provider_of(&d, custom), "auth0");

    // An overlay error keeps the last good policy and is reported with its place.
    let failed = view["reloads"]["failed"].as_u64().unwrap();
    overlay.write_atomic(
        "acme.policy",
        "extend provider \"auht0\" {\n  also match host == \"login.acme.com\"\n}\n",
    );
    let view = d.wait_failures(failed);
    let errors = view["last_reload"]["errors"].to_string();
    assert!(errors.contains("policy::E040"), "{errors}");
    assert!(errors.contains("did you mean `auth0`?"), "{errors}");
    assert_eq!(provider_of(&d, custom), "auth0");
}
