"""Objects shared between threads: many threads applying and classifying
at once get exactly the results one thread gets."""

from concurrent.futures import ThreadPoolExecutor

from oauth_policy import Callback, Policy, Request

from support import SEED_URL

URLS = [
    SEED_URL,
    "https://accounts.google.com/o/oauth2/v2/auth?client_id=c&response_type=code&resource=x&state=s",
    "https://github.com/login/oauth/authorize?client_id=c&scope=repo&state=s",
    "https://idp.example.org/authorize?client_id=c",
]


def _run(policy, requests, callback):
    out = []
    for req in requests:
        o = policy.apply(req)
        out.append((o.url, o.provider, [(c.rule, c.param) for c in o.changes]))
    v = policy.classify(callback, provider="microsoft-entra-v2", expected_state="s")
    out.append((v.outcome, v.category, v.code))
    return out


def test_threads_share_policy_and_requests():
    policy = Policy.builtin()
    requests = [Request.authorize(u) for u in URLS]
    callback = Callback.from_url("https://gw.example/cb?code=c&state=s")
    expected = _run(policy, requests, callback)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: _run(policy, requests, callback), range(400)))
    assert all(r == expected for r in results)


def test_threads_load_concurrently():
    seed = Request.authorize(URLS[0])
    expected = (Policy.builtin().revision, Policy.builtin().apply(seed).url)

    def load_and_apply(_):
        policy = Policy.builtin()
        return policy.revision, policy.apply(seed).url

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(load_and_apply, range(32)))
    assert results == [expected] * 32
