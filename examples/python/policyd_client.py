#!/usr/bin/env python3
"""A gateway-side client for policyd, using only the Python standard library.

Use it as a module (``PolicydClient``) or run it as a demo:

    python3 examples/python/policyd_client.py http://127.0.0.1:8181

The demo shapes the Entra v2 seed authorize URL, classifies two callbacks,
shows how a bad request surfaces, and prints a JSON report on stdout.
"""

import json
import sys
import urllib.error
import urllib.request


class PolicydError(Exception):
    """policyd refused a request: ``status`` is the HTTP status, ``code`` the
    stable error code (see docs/daemon.md)."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PolicydClient:
    """Calls policyd's JSON API. Every decision carries ``revision``, the
    policy content hash that made it: log it next to the request."""

    def __init__(self, base_url="http://127.0.0.1:8181", timeout=2.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method, path, payload=None):
        data = None
        headers = {"Accept": "application/json"}
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                err = json.loads(body)["error"]
            except (ValueError, KeyError, TypeError):
                raise PolicydError(e.code, "http_error", body[:200]) from None
            raise PolicydError(e.code, err.get("code"), err.get("message")) from None

    def authorize(self, url):
        """The shaped authorize URL: ``url``, ``provider``, ``changes``,
        ``denied`` (a gateway must not redirect when it is set)."""
        return self._call("POST", "/v1/authorize", {"url": url})

    def token(self, url, body):
        """The shaped token request body (code exchange or refresh)."""
        return self._call("POST", "/v1/token", {"url": url, "body": body})

    def classify(self, callback_url=None, form=None, provider=None,
                 authorize_url=None, expected_state=None,
                 expected_issuer=None, require_iss=False, no_state=False,
                 response_mode=None):
        """The verdict for a callback: redeem ``code`` only when
        ``outcome == "success"``. ``no_state=True``: the flow sent no
        ``state`` (PKCE only); ``response_mode="fragment"``: read the
        callback URL's fragment."""
        payload = {"require_iss": require_iss, "no_state": no_state}
        for key, value in (("callback_url", callback_url), ("form", form),
                           ("provider", provider),
                           ("authorize_url", authorize_url),
                           ("expected_state", expected_state),
                           ("expected_issuer", expected_issuer),
                           ("response_mode", response_mode)):
            if value is not None:
                payload[key] = value
        return self._call("POST", "/v1/classify", payload)

    def policy(self):
        """What is served: revision, files, last reload result."""
        return self._call("GET", "/v1/policy")


SEED = (
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    "?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code"
    "&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback"
    "&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access"
    "&resource=https%3A%2F%2Fmcp.example.com&state=xyz123"
)


def demo(base_url):
    client = PolicydClient(base_url)
    shaped = client.authorize(SEED)
    if shaped["denied"]:
        raise SystemExit(f"denied: {shaped['denied']['reason']}")
    failed = client.classify(
        callback_url="https://gateway.example.com/oauth/callback?error=invalid_target"
        "&error_description=AADSTS9010010%3A+resource+mismatch&state=xyz123",
        authorize_url=SEED,
        expected_state="xyz123",
    )
    ok = client.classify(
        callback_url="https://gateway.example.com/oauth/callback?code=abc&state=xyz123",
        authorize_url=SEED,
        expected_state="xyz123",
    )
    try:
        client.authorize("not a url")
        bad = None
    except PolicydError as e:
        bad = {"status": e.status, "code": e.code}
    return {
        "revision": shaped["revision"],
        "authorize": {"url": shaped["url"], "provider": shaped["provider"],
                      "changes": [c["rule"] for c in shaped["changes"]]},
        "classify_error": {k: failed[k] for k in ("outcome", "category", "retryable", "provider_code")},
        "classify_success": {"outcome": ok["outcome"], "has_code": ok.get("code") == "abc"},
        "bad_request": bad,
    }


if __name__ == "__main__":
    print(json.dumps(demo(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8181"), indent=2))
