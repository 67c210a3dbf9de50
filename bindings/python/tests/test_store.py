"""Hot reload through PolicyStore: an edit is picked up, a broken edit keeps
the last good policy and says why, a fixed one swaps in again."""

import time

import pytest

from oauth_policy import LoadError, Policy, PolicyStore, Request

POLICY = """provider "acme" {{
  match host == "login.acme.example"
  authorize {{ drop {param} }}
}}
"""

URL = "https://login.acme.example/authorize?client_id=c&resource=r&audience=a"


def wait_for(predicate, what, timeout=20.0):
    """Polls until ``predicate()`` holds (a bound on waiting, not a timing
    assertion: the reload normally lands within a few debounces)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def replace(path, text):
    # Writers rename complete files into place (see docs/daemon.md).
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def test_reload_keep_last_good_and_recover(tmp_path):
    policy_file = tmp_path / "acme.policy"
    policy_file.write_text(POLICY.format(param="resource"))
    store = PolicyStore.watch(tmp_path, debounce=0.05)
    status = store.status
    assert status["generation"] == 1 and not status["stale"] and status["serving"]
    assert status["last_reload"]["result"] == "initial"
    first = store.current()
    assert isinstance(first, Policy)
    out = first.apply(Request.authorize(URL))
    assert (out.provider, [c.param for c in out.changes]) == ("acme", ["resource"])

    replace(policy_file, POLICY.format(param="audience"))
    wait_for(lambda: store.status["generation"] == 2, "the edit to load")
    out = store.current().apply(Request.authorize(URL))
    assert [c.param for c in out.changes] == ["audience"]
    # The policy taken before the reload is unchanged.
    assert [c.param for c in first.apply(Request.authorize(URL)).changes] == ["resource"]
    assert store.status["reloads"]["ok"] == 1

    good = store.status["revision"]
    replace(policy_file, "provider \"acme\" {\n  authorise { drop x }\n}\n")
    wait_for(lambda: store.status["stale"], "the broken edit to be reported")
    status = store.status
    assert status["revision"] == good and status["serving"]
    assert status["last_reload"]["result"] == "failed"
    [err] = [e for e in status["last_reload"]["errors"] if "authorise" in e["message"]]
    assert err["code"].startswith("policy::E") and err["location"].endswith("acme.policy:2:3")
    assert store.current().revision == good

    replace(policy_file, POLICY.format(param="client_id"))
    wait_for(lambda: not store.status["stale"], "the fix to load")
    assert store.status["generation"] == 3
    assert [c.param for c in store.current().apply(Request.authorize(URL)).changes] == ["client_id"]


def test_fail_closed(tmp_path):
    policy_file = tmp_path / "acme.policy"
    policy_file.write_text(POLICY.format(param="resource"))
    store = PolicyStore.watch(tmp_path, debounce=0.05, on_reload_error="fail_closed")
    replace(policy_file, "not a policy\n")
    wait_for(lambda: store.status["stale"], "the failure")
    assert store.status["serving"] is False


def test_watch_fails_like_load(tmp_path):
    (tmp_path / "a.policy").write_text("provider {\n")
    with pytest.raises(LoadError) as info:
        PolicyStore.watch(tmp_path)
    assert info.value.diagnostics[0].file.endswith("a.policy")


def test_builtin_with_overlay(tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    store = PolicyStore.builtin([overlay], debounce=0.05)
    url = "https://login.acme.example/authorize?client_id=c"
    assert store.current().apply(Request.authorize(url)).provider is None
    replace(overlay / "acme.policy", 'extend provider "auth0" { also match host == "login.acme.example" }\n')
    wait_for(lambda: store.status["generation"] == 2, "the overlay to load")
    assert store.current().apply(Request.authorize(url)).provider == "auth0"
    assert store.reload_now() is True
    assert PolicyStore.builtin().reload_now() is False


def test_bad_settings(tmp_path):
    (tmp_path / "a.policy").write_text(POLICY.format(param="resource"))
    with pytest.raises(ValueError):
        PolicyStore.watch(tmp_path, on_reload_error="ignore")
    with pytest.raises(ValueError):
        PolicyStore.watch(tmp_path, debounce=-1)


def test_threads_read_while_reloading(tmp_path):
    # Readers on many threads during reloads only ever see a whole policy:
    # the old one's result or the new one's, never a mix or an error.
    from concurrent.futures import ThreadPoolExecutor

    policy_file = tmp_path / "acme.policy"
    policy_file.write_text(POLICY.format(param="resource"))
    store = PolicyStore.watch(tmp_path, debounce=0.02)
    request = Request.authorize(URL)
    allowed = {("resource",), ("audience",)}

    def read(_):
        policy = store.current()
        return tuple(c.param for c in policy.apply(request).changes), policy.revision

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = []
        for i in range(4):
            replace(policy_file, POLICY.format(param=["audience", "resource"][i % 2]))
            seen += list(pool.map(read, range(200)))
            wait_for(lambda: store.status["generation"] == i + 2, f"reload {i + 1}")
    assert {changes for changes, _ in seen} <= allowed
    # Each revision always gives the same result.
    by_revision = {}
    for changes, revision in seen:
        by_revision.setdefault(revision, set()).add(changes)
    assert all(len(v) == 1 for v in by_revision.values())
