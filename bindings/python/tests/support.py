"""Paths and the case-file format (docs/testing.md, src/testing.rs) checked from
Python: the same comparisons as the Rust runner, written against the
package's public API only, so the whole path Python -> engine -> Python is
what is tested."""

from pathlib import Path
from urllib.parse import unquote_plus

from oauth_policy import Callback, Policy, Request

# bindings/python/tests/support.py -> the repository root.
ROOT = Path(__file__).resolve().parents[3]

SEED_URL = (
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    "?client_id=c&response_type=code&scope=openid%20api%3A%2F%2Fmcp%2Faccess"
    "&resource=https%3A%2F%2Fmcp.example.com&state=xyz123"
)
SEED_REWRITTEN = (
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    "?client_id=c&response_type=code&scope=openid%20api%3A%2F%2Fmcp%2Faccess&state=xyz123"
)

NO_PROVIDER = "generic"


def pieces(source):
    """``(name, value, raw)`` for each ``&``-separated piece, decoded like
    the engine does (``+`` is a space, invalid UTF-8 becomes U+FFFD)."""
    if not source:
        return []
    out = []
    for raw in source.split("&"):
        name, _, value = raw.partition("=")
        out.append(
            (unquote_plus(name, errors="replace"), unquote_plus(value, errors="replace"), raw)
        )
    return out


def query_of(url):
    head = url.split("#", 1)[0]
    return head.split("?", 1)[1] if "?" in head else ""


def with_overlay(policy, case):
    """The policy under test for one case: with the case's overlay text, if any."""
    text = case.get("overlay")
    if text is None:
        return policy
    name = f"case {case['id']} overlay"
    return policy.with_overlay_sources(name, [(name, text)])


def check_rewrite(case, request, out):
    """Failures (empty when the case passes) of an authorize or token case."""
    expect = case["expect"]
    failures = []
    got_provider = out.provider or NO_PROVIDER
    if got_provider != case["provider"]:
        failures.append(f"provider: expected {case['provider']!r}, got {got_provider!r}")
    want_error = expect.get("error")
    denied = out.denied
    if want_error is not None and denied is None:
        failures.append(f"expected a denial {want_error!r}, got none")
    elif want_error is None and denied is not None:
        failures.append(f"unexpected denial {denied.reason!r} by {denied.rule} at {denied.location}")
    elif want_error is not None and denied.reason != want_error:
        failures.append(f"deny reason: expected {want_error!r}, got {denied.reason!r}")
    if want_error is not None:
        return failures

    if out.body is not None:
        before, after = case["body"], out.body
    else:
        before, after = query_of(request.url), query_of(out.url)
    if expect.get("output") is not None:
        got = out.body if out.body is not None else out.url
        if got != expect["output"]:
            failures.append(f"output: expected {expect['output']}, got {got}")
    # A side that does not parse (control characters: the engine refuses
    # them) cannot be compared: that is the case's failure, never an empty
    # list that would make `drop` pass vacuously.
    unparsable = [
        f"the {side} parameters do not parse: control character at position {i}"
        for side, text in (("input", before), ("output", after))
        for i in [next((i for i, ch in enumerate(text) if ord(ch) < 0x20 or ord(ch) == 0x7F), None)]
        if i is not None
    ]
    if unparsable:
        return failures + unparsable
    before, after = pieces(before), pieces(after)
    drop, set_, keep = expect.get("drop", []), expect.get("set", {}), expect.get("keep", [])
    for name in drop:
        if any(n == name for n, _, _ in after):
            failures.append(f"`{name}` should have been dropped")
    for name, want in set_.items():
        got = [v for n, v, _ in after if n == name]
        if not got:
            failures.append(f"`{name}` should be {want!r} but is absent")
        elif got[0] != want:
            failures.append(f"`{name}`: expected {want!r}, got {got[0]!r}")
    for name in keep:
        if not any(n == name for n, _, _ in before):
            failures.append(f"`{name}` is in `keep` but not in the input")
    # Everything not dropped or set survives byte for byte, in order.
    touched = set(drop) | set(set_)
    kept_before = [raw for n, _, raw in before if n not in touched]
    kept_after = [raw for n, _, raw in after if n not in touched]
    if kept_before != kept_after:
        failures.append(
            f"untouched parameters changed:\n  before {'&'.join(kept_before)}\n"
            f"  after  {'&'.join(kept_after)}"
        )
    return failures


def classify_case(policy, case):
    """The verdict for a callback case, with the context as keyword arguments."""
    if ("callback_url" in case) == ("form" in case):
        raise AssertionError("a callback case needs exactly one of callback_url and form")
    if "callback_url" in case:
        callback = Callback.from_url(case["callback_url"])
    else:
        callback = Callback.from_form(case["form"])
    ctx = case.get("context", {})
    by_url = ctx.get("authorize_url") is not None
    return policy.classify(
        callback,
        provider=None if case["provider"] == NO_PROVIDER or by_url else case["provider"],
        authorize_url=ctx.get("authorize_url"),
        expected_state=ctx.get("expected_state"),
        expected_issuer=ctx.get("expected_issuer"),
        # `require_iss`, or its older spelling `iss_parameter_supported`.
        require_iss=ctx.get("require_iss", ctx.get("iss_parameter_supported", False)),
        no_state=ctx.get("no_state", False),
        response_mode=ctx.get("response_mode"),
    )


def check_verdict(case, v):
    """Failures (empty when the case passes) of a callback case."""
    e = case["expect"]
    failures = []
    for field in ("outcome", "category", "retryable"):
        if getattr(v, field) != e[field]:
            failures.append(f"{field}: expected {e[field]!r}, got {getattr(v, field)!r}")
    if v.provider_code != e.get("provider_code"):
        failures.append(f"provider_code: expected {e.get('provider_code')!r}, got {v.provider_code!r}")
    if "hint" in e and e["hint"] is not None and v.hint != e["hint"]:
        failures.append(f"hint: expected {e['hint']!r}, got {v.hint!r}")
    if "rule" in e and e["rule"] is not None and v.rule != e["rule"]:
        failures.append(f"rule: expected {e['rule']!r}, got {v.rule!r}")
    want_provider = None if case["provider"] == NO_PROVIDER else case["provider"]
    if case.get("context", {}).get("authorize_url") is not None and v.provider != want_provider:
        failures.append(f"provider: expected {want_provider!r}, got {v.provider!r}")
    if failures:
        failures.append(f"decided by rule `{v.rule}`")
    return failures


def run_case(policy: Policy, kind, case):
    """Runs one case of ``kind`` (authorize, token, callback); its failures."""
    policy = with_overlay(policy, case)
    if kind == "authorize":
        request = Request.authorize(case["input_url"])
        return check_rewrite(case, request, policy.apply(request))
    if kind == "token":
        request = Request.token(case["url"], case["body"])
        return check_rewrite(case, request, policy.apply(request))
    return check_verdict(case, classify_case(policy, case))


def cases(data):
    """``(kind, case)`` for every case of a case file's JSON, in file order."""
    for kind in ("authorize", "token", "callback"):
        for case in data.get(kind, []):
            yield kind, case
