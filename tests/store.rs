//! PolicyStore: hot reload with keep-last-good in the embedder's process.
//! Each test waits for a condition with a generous deadline; none asserts
//! on timing.
#![cfg(feature = "watch")]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oauth_policy::store::{
    OnReloadError, PolicyStore, ReloadResult, SkipReason, StoreBuilder, Trigger, WatchEvent,
};
use oauth_policy::{LoadError, Policy, Request};

const DEBOUNCE: Duration = Duration::from_millis(50);

fn provider(name: &str, host: &str) -> String {
    format!("provider \"{name}\" {{\n  match host == \"{host}\"\n}}\n")
}

/// Renames a complete file into place, as deployers should.
fn write_atomic(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Waits up to 10 s for `done`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn builder(dir: &Path) -> StoreBuilder {
    PolicyStore::builder().dir(dir).debounce(DEBOUNCE)
}

fn provider_for(store: &PolicyStore, host: &str) -> Option<String> {
    let req = Request::authorize(&format!("https://{host}/authorize?client_id=c")).unwrap();
    store.current().apply(&req).provider().map(str::to_string)
}

/// Every result the `on_reload` hook saw, with the revision after it.
type Seen = Arc<Mutex<Vec<(ReloadResult, String, Option<(usize, usize)>)>>>;

fn recording(b: StoreBuilder) -> (StoreBuilder, Seen) {
    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    let b = b.on_reload(move |e| {
        sink.lock()
            .unwrap()
            .push((e.result, e.revision.to_string(), e.removes_most));
    });
    (b, seen)
}

#[test]
fn the_initial_load_fails_as_policy_load_does() {
    let empty = tempfile::tempdir().unwrap();
    let err = PolicyStore::watch(empty.path()).unwrap_err();
    assert!(matches!(err, LoadError::Empty { .. }), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.policy"),
        "provider \"a\" {\n  nonsense\n}\n",
    )
    .unwrap();
    let from_store = PolicyStore::watch(dir.path()).unwrap_err();
    let from_load = Policy::load(dir.path()).unwrap_err();
    assert_eq!(from_store.to_string(), from_load.to_string());
    assert_eq!(
        format!("{:?}", from_store.diagnostics()),
        format!("{:?}", from_load.diagnostics())
    );
}

#[test]
fn an_edit_is_served_through_current() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let store = builder(dir.path()).build().unwrap();
    let first = store.status();
    assert_eq!(first.generation, 1);
    assert_eq!(first.last_result(), ReloadResult::Initial);
    assert_eq!(first.revision, Policy::load(dir.path()).unwrap().revision());
    let held = store.current();

    write_atomic(dir.path(), "b.policy", &provider("b", "b.test"));
    let expected = Policy::load(dir.path()).unwrap().revision().to_string();
    wait_until("the new revision", || {
        store.current().revision() == expected
    });
    assert_eq!(provider_for(&store, "b.test").as_deref(), Some("b"));
    let status = store.status();
    assert_eq!(status.generation, 2);
    assert!(!status.stale);
    assert_eq!(status.counts.swapped, 1);
    // A handle taken before the reload is unchanged.
    assert_eq!(held.revision(), first.revision);
}

#[test]
fn a_broken_edit_keeps_the_last_good_policy_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let store = builder(dir.path()).build().unwrap();
    let good = store.status().revision.clone();

    write_atomic(
        dir.path(),
        "b.policy",
        "provider \"b\" {\n  match host == \"b.test\"\n  authorise { drop resource }\n}\n",
    );
    wait_until("the failure", || store.status().stale);
    let status = store.status();
    assert_eq!(status.revision, good);
    assert_eq!(store.current().revision(), good);
    assert!(status.serving);
    assert_eq!(status.last_result(), ReloadResult::Failed);
    assert_eq!(status.counts.failed, 1);
    assert!(status.last_error().is_some());
    let error = &status.last_reload.errors[0];
    assert!(error.code.starts_with("policy::E"), "{error:?}");
    let at = error.location.as_deref().unwrap();
    assert!(at.ends_with("b.policy:3:3"), "{at}");
    assert!(store.current_checked().is_ok());
    assert_eq!(provider_for(&store, "a.test").as_deref(), Some("a"));

    // Fixed: served, no longer stale.
    write_atomic(dir.path(), "b.policy", &provider("b", "b.test"));
    wait_until("the fix", || !store.status().stale);
    let status = store.status();
    assert_eq!(status.generation, 2);
    assert!(status.last_error().is_none());
    assert_eq!(provider_for(&store, "b.test").as_deref(), Some("b"));
}

#[test]
fn fail_closed_refuses_until_the_files_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let store = builder(dir.path())
        .on_reload_error(OnReloadError::FailClosed)
        .build()
        .unwrap();
    let good = store.current_checked().unwrap().revision().to_string();

    write_atomic(dir.path(), "a.policy", "provider {");
    wait_until("the failure", || store.status().stale);
    let status = store.status();
    assert!(!status.serving);
    let refused = store.current_checked().unwrap_err();
    assert_eq!(refused.revision, good);
    // `current` still hands out the last good policy (e.g. for display).
    assert_eq!(store.current().revision(), good);

    write_atomic(dir.path(), "a.policy", &provider("a2", "a.test"));
    wait_until("the fix", || store.current_checked().is_ok());
    assert!(store.status().serving);
    assert_eq!(provider_for(&store, "a.test").as_deref(), Some("a2"));
}

#[test]
fn a_file_written_in_two_steps_is_never_served_half_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let (b, seen) = recording(builder(dir.path()).debounce(Duration::from_millis(200)));
    let store = b.build().unwrap();

    // In place, in two writes: the first ends mid-block.
    let full = format!("{}{}", provider("b1", "b1.test"), provider("b2", "b2.test"));
    let (head, _) = full.split_at(full.len() - 10);
    std::fs::write(dir.path().join("b.policy"), head).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(dir.path().join("b.policy"), &full).unwrap();

    let expected = Policy::load(dir.path()).unwrap().revision().to_string();
    wait_until("the complete file", || {
        store.current().revision() == expected
    });
    assert!(!store.status().stale);
    let swapped: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(r, _, _)| *r == ReloadResult::Swapped)
        .map(|(_, rev, _)| rev.clone())
        .collect();
    assert_eq!(swapped, vec![expected]);
    // The half-written text does not parse: had it been read, it would be a
    // failed round, so none may have happened.
    assert!(
        !seen
            .lock()
            .unwrap()
            .iter()
            .any(|(r, _, _)| *r == ReloadResult::Failed),
        "the half-written file was read"
    );
}

#[test]
fn a_served_file_left_empty_is_never_loaded_but_deleting_it_is() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    std::fs::write(dir.path().join("b.policy"), provider("b", "b.test")).unwrap();
    let (b, seen) = recording(builder(dir.path()));
    let store = b.build().unwrap();
    let before = store.status().revision.clone();

    std::fs::write(dir.path().join("b.policy"), "").unwrap();
    wait_until("the round to give up", || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|(r, _, _)| *r == ReloadResult::Skipped(SkipReason::Unsettled))
    });
    assert_eq!(store.status().revision, before);
    assert_eq!(provider_for(&store, "b.test").as_deref(), Some("b"));

    std::fs::remove_file(dir.path().join("b.policy")).unwrap();
    wait_until("the deletion", || provider_for(&store, "b.test").is_none());
}

#[test]
fn removing_most_providers_is_believed_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let three: String = ["a", "b", "c"]
        .iter()
        .map(|n| provider(n, &format!("{n}.test")))
        .collect();
    std::fs::write(dir.path().join("all.policy"), &three).unwrap();
    let (b, seen) = recording(builder(dir.path()));
    let store = b.build().unwrap();

    write_atomic(dir.path(), "all.policy", &provider("a", "a.test"));
    wait_until("the reload", || store.status().generation == 2);
    assert_eq!(provider_for(&store, "b.test"), None);
    let seen = seen.lock().unwrap();
    let swapped: Vec<_> = seen
        .iter()
        .filter(|(r, _, _)| *r == ReloadResult::Swapped)
        .collect();
    assert_eq!(swapped.len(), 1);
    assert_eq!(swapped[0].2, Some((2, 3)));
}

#[test]
fn an_overlay_on_the_embedded_library_hot_reloads() {
    let overlay = tempfile::tempdir().unwrap();
    let store = PolicyStore::builder()
        .builtin()
        .overlay(overlay.path())
        .debounce(DEBOUNCE)
        .build()
        .unwrap();
    assert!(store.reloads());
    let layers = store.current().layers().to_vec();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0].name, "builtin");
    assert_eq!(layers[1].files, 0);
    assert_eq!(provider_for(&store, "login.acme.com"), None);

    write_atomic(
        overlay.path(),
        "acme.policy",
        "extend provider \"auth0\" {\n  also match host == \"login.acme.com\"\n}\n",
    );
    wait_until("the overlay", || {
        provider_for(&store, "login.acme.com").as_deref() == Some("auth0")
    });
    assert_eq!(store.current().layers()[0].revision, layers[0].revision);

    write_atomic(
        overlay.path(),
        "acme.policy",
        "extend provider \"auht0\" {\n  also match host == \"login.acme.com\"\n}\n",
    );
    wait_until("the failure", || store.status().stale);
    let status = store.status();
    assert!(status
        .last_reload
        .errors
        .iter()
        .any(|e| e.code == "policy::E040"));
    assert_eq!(
        provider_for(&store, "login.acme.com").as_deref(),
        Some("auth0")
    );
}

#[test]
fn the_embedded_library_alone_never_reloads() {
    let store = PolicyStore::builder().build().unwrap();
    assert!(!store.reloads());
    assert!(!store.reload_now());
    assert_eq!(store.current().layers()[0].name, "builtin");
    assert_eq!(store.status().revision, Policy::builtin().revision());
}

#[test]
fn reload_now_reloads_without_file_events_and_reports_a_known_failure_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let store = builder(dir.path())
        .file_events(false)
        .rescan_interval(None)
        .build()
        .unwrap();

    write_atomic(dir.path(), "a.policy", &provider("a2", "a.test"));
    assert!(store.reload_now());
    wait_until("the reload", || store.status().generation == 2);
    let status = store.status();
    assert_eq!(status.last_reload.trigger, Trigger::ReloadNow);
    assert_eq!(provider_for(&store, "a.test").as_deref(), Some("a2"));

    write_atomic(dir.path(), "a.policy", "provider {");
    store.reload_now();
    wait_until("the failure", || store.status().counts.failed == 1);
    store.reload_now();
    wait_until("the same failure, reported again", || {
        store.status().counts.failed == 2
    });
}

#[test]
fn the_periodic_rescan_reloads_without_file_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let store = builder(dir.path())
        .file_events(false)
        .rescan_interval(Some(Duration::from_millis(50)))
        .build()
        .unwrap();
    write_atomic(dir.path(), "a.policy", &provider("a2", "a.test"));
    wait_until("the rescan", || {
        provider_for(&store, "a.test").as_deref() == Some("a2")
    });
    assert_eq!(store.status().last_reload.trigger, Trigger::Periodic);
}

#[test]
fn the_watch_hook_hears_each_directory_watched() {
    let base = tempfile::tempdir().unwrap();
    let overlay = tempfile::tempdir().unwrap();
    std::fs::write(base.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let _store = builder(base.path())
        .overlay(overlay.path())
        .on_watch(move |e| {
            if let WatchEvent::Watching(dir) = e {
                sink.lock().unwrap().push(dir.to_path_buf());
            }
        })
        .build()
        .unwrap();
    let watched = seen.lock().unwrap().clone();
    assert_eq!(
        watched,
        vec![base.path().to_path_buf(), overlay.path().to_path_buf()]
    );
}

#[test]
fn dropping_the_store_joins_its_thread() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    // The hook (and this Arc with it) lives on the worker thread.
    let alive = Arc::new(());
    let held = Arc::clone(&alive);
    let store = builder(dir.path())
        .on_reload(move |_| {
            let _ = &held;
        })
        .build()
        .unwrap();
    // Mid-round: a change is being waited out.
    write_atomic(dir.path(), "a.policy", &provider("a2", "a.test"));
    store.reload_now();
    assert_eq!(Arc::strong_count(&alive), 2);
    drop(store);
    assert_eq!(
        Arc::strong_count(&alive),
        1,
        "the worker outlived the store"
    );
}

#[test]
fn a_panicking_hook_does_not_stop_reloads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.policy"), provider("a", "a.test")).unwrap();
    let store = builder(dir.path())
        .on_reload(|_| panic!("a hook bug"))
        .build()
        .unwrap();
    write_atomic(dir.path(), "a.policy", &provider("a2", "a.test"));
    wait_until("the first reload", || store.status().generation == 2);
    write_atomic(dir.path(), "a.policy", &provider("a3", "a.test"));
    wait_until("the second reload", || store.status().generation == 3);
}
