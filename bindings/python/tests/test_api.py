"""The API as documented: spellings, values, redaction."""

import pytest

from oauth_policy import Callback, Outcome, Policy, Request, RequestError, Trace, Verdict

from support import SEED_REWRITTEN, SEED_URL


def test_seed_url(builtin):
    out = builtin.apply(Request.authorize(SEED_URL))
    assert isinstance(out, Outcome)
    assert out.url == SEED_REWRITTEN
    assert out.body is None
    assert out.provider == "microsoft-entra-v2"
    assert out.denied is None
    [change] = out.changes
    assert (change.rule, change.action, change.param) == (
        "microsoft-entra-v2/authorize/drop-resource",
        "drop",
        "resource",
    )
    assert change.location.file.endswith("microsoft-entra.policy")
    assert change.location.line > 0 and change.location.column > 0


def test_token_refresh_body(builtin):
    url = "https://login.microsoftonline.com/t/oauth2/v2.0/token"
    body = "grant_type=refresh_token&refresh_token=r1&resource=https%3A%2F%2Fmcp.example.com&client_id=c"
    out = builtin.apply(Request.token(url, body))
    assert out.url == url
    assert out.body == "grant_type=refresh_token&refresh_token=r1&client_id=c"
    assert [c.param for c in out.changes] == ["resource"]


def test_denied(builtin):
    url = "https://accounts.google.com/o/oauth2/v2/auth?client_id=c&state=a&state=b"
    out = builtin.apply(Request.authorize(url))
    assert out.denied is not None
    assert out.denied.rule.startswith("global/")
    assert "state" in out.denied.reason
    assert out.url == url and out.changes == []


def test_unmatched_host_passes_through(builtin):
    url = "https://idp.example.org/authorize?client_id=c&resource=x&state=s"
    out = builtin.apply(Request.authorize(url))
    assert out.provider is None
    assert out.url == url


def test_policy_metadata(builtin):
    assert len(builtin.revision) == 16
    assert "microsoft-entra-v2" in builtin.providers
    assert [layer.name for layer in builtin.layers] == ["builtin"]
    assert Policy.builtin().revision == builtin.revision


def test_request_properties():
    req = Request.authorize(SEED_URL)
    assert (req.kind, req.url, req.host) == ("authorize", SEED_URL, "login.microsoftonline.com")
    assert Request.token("https://a.example/t", "x=1").kind == "token"
    assert "xyz123" not in repr(req)


def test_classify_success_and_redaction(builtin):
    cb = Callback.from_url("https://gw.example/cb?code=SECRETCODE&state=SECRETSTATE")
    v = builtin.classify(cb, provider="microsoft-entra-v2", expected_state="SECRETSTATE")
    assert isinstance(v, Verdict)
    assert (v.outcome, v.category, v.retryable) == ("success", "ok", False)
    assert (v.code, v.state) == ("SECRETCODE", "SECRETSTATE")
    assert v.rule == "builtin/success"
    shown = repr(v)
    assert "SECRETCODE" not in shown and "SECRETSTATE" not in shown
    assert "<redacted>" in shown and "success" in shown
    assert "SECRETCODE" not in repr(cb)


def test_classify_seed_error(builtin):
    cb = Callback.from_url(
        "https://gw.example/cb?error=invalid_target"
        "&error_description=AADSTS9010010%3A+The+resource+parameter+is+not+allowed&state=s"
    )
    v = builtin.classify(cb, provider="microsoft-entra-v2", expected_state="s")
    assert (v.outcome, v.category, v.provider_code) == ("provider_error", "invalid_target", "AADSTS9010010")
    assert v.hint and v.code is None and v.error == "invalid_target"


def test_classify_missing_code_and_state_mismatch(builtin):
    v = builtin.classify(Callback.from_url("https://gw.example/cb?state=s"), expected_state="s")
    assert (v.outcome, v.category) == ("invalid", "missing_code")
    v = builtin.classify(Callback.from_url("https://gw.example/cb?code=c&state=t"), expected_state="s")
    assert (v.outcome, v.category, v.code) == ("invalid", "state_mismatch", None)


def test_classify_by_authorize_url_and_form(builtin):
    v = builtin.classify(
        Callback.from_form("code=c&state=s"), authorize_url=SEED_URL, expected_state="s"
    )
    assert v.outcome == "success" and v.provider == "microsoft-entra-v2"


def test_classify_issuer(builtin):
    cb = Callback.from_url("https://gw.example/cb?code=c&state=s")
    v = builtin.classify(cb, expected_state="s", require_iss=True)
    assert v.category == "issuer_mismatch"
    cb = Callback.from_url("https://gw.example/cb?code=c&state=s&iss=https%3A%2F%2Fevil.example")
    v = builtin.classify(cb, expected_state="s", expected_issuer="https://good.example")
    assert v.category == "issuer_mismatch"


def test_classify_keywords_only(builtin):
    cb = Callback.from_url("https://gw.example/cb?code=c&state=s")
    with pytest.raises(TypeError):
        builtin.classify(cb, "microsoft-entra-v2")


def test_classify_unknown_provider(builtin):
    cb = Callback.from_url("https://gw.example/cb?code=c&state=s")
    with pytest.raises(ValueError, match="microsoft-entra-v3"):
        builtin.classify(cb, provider="microsoft-entra-v3", expected_state="s")


def test_explain(builtin):
    trace = builtin.explain(Request.authorize(SEED_URL))
    assert isinstance(trace, Trace)
    assert trace.outcome.url == SEED_REWRITTEN
    [cand] = trace.candidates
    assert (cand.provider, cand.matched) == ("microsoft-entra-v2", True)
    steps = {s.rule: s for s in trace.steps}
    drop = steps["microsoft-entra-v2/authorize/drop-resource"]
    assert drop.held and drop.effect == "changed"
    assert any(not s.held for s in trace.steps)


def test_request_error_is_a_value_error():
    with pytest.raises(ValueError) as info:
        Request.authorize("not a url")
    err = info.value
    assert isinstance(err, RequestError)
    assert err.code == "request::invalid_url"
    assert "invalid URL" in str(err)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: Request.authorize("mailto:someone@example.com"), "request::no_host"),
        (lambda: Request.authorize("https://a.example/x?a=\tb"), "request::control_character"),
        (lambda: Request.token("https://a.example/t", "a=1\n"), "request::control_character"),
        (lambda: Request.authorize("https://a.example/?" + "a" * 70_000), "request::too_large"),
        (lambda: Callback.from_url("https://a.example/cb?" + "a&" * 1000), "request::too_many_parameters"),
        (lambda: Callback.from_form("code=\x00"), "request::control_character"),
    ],
)
def test_request_errors(make, code):
    with pytest.raises(RequestError) as info:
        make()
    assert info.value.code == code
    assert code in str(info.value)


def test_overlay_sources(builtin):
    overlay = 'extend provider "auth0" { also match host == "login.acme.com" }'
    layered = builtin.with_overlay_sources("acme", [("acme.policy", overlay)])
    url = "https://login.acme.com/authorize?client_id=c&response_type=code"
    assert layered.apply(Request.authorize(url)).provider == "auth0"
    assert builtin.apply(Request.authorize(url)).provider is None
    assert [layer.name for layer in layered.layers] == ["builtin", "acme"]
    assert layered.revision != builtin.revision


def test_stubs_match_the_module():
    # Every class and member the type stubs promise exists at run time, and
    # every public class is in the stubs.
    import ast
    from pathlib import Path

    import oauth_policy

    stub = Path(oauth_policy.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    assert set(classes) == set(oauth_policy.__all__)
    for name, node in classes.items():
        cls = getattr(oauth_policy, name)
        for member in node.body:
            if isinstance(member, ast.FunctionDef) and not issubclass(cls, Exception):
                assert hasattr(cls, member.name), f"{name}.{member.name}"
    assert (Path(oauth_policy.__file__).parent / "py.typed").exists()
