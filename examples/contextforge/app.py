"""A FastAPI front for ``OAuthManager``: the gateway's three OAuth routes.

    GET  /oauth/authorize/{gateway_id}   redirect to the shaped authorize URL
    GET  /oauth/callback                 classify, then redeem (or explain)
    POST /oauth/refresh/{gateway_id}     refresh with a shaped body

Run it: ``uvicorn app:create_app --factory`` with ``GATEWAYS`` configured
below; the tests build it with their own gateways and a fake provider.
"""

from __future__ import annotations

import html
import logging
from typing import Dict, Optional

import httpx
from fastapi import Cookie, FastAPI, Request as HttpRequest
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from oauth_manager import GatewayOAuth, OAuthManager, PolicyDenied
from oauth_policy import Policy

log = logging.getLogger("gateway.oauth")

LOGIN_COOKIE = "oauth_login"

# What a category means for the person at the browser.
TITLES = {
    "access_denied": "Sign-in was cancelled or refused",
    "consent_required": "Consent is needed",
    "login_required": "You need to sign in again",
    "interaction_required": "The provider needs you to finish signing in",
    "invalid_target": "The gateway asked for a resource the provider refused",
    "invalid_scope": "The gateway asked for a permission the provider refused",
    "misconfiguration": "This connection is set up wrong",
    "server_error": "The provider failed",
    "temporarily_unavailable": "The provider is busy or the sign-in expired",
    "missing_code": "The provider sent neither a code nor an error",
    "missing_state": "This sign-in cannot be matched to one you started",
    "state_mismatch": "This sign-in does not match the one you started",
    "issuer_mismatch": "The answer came from the wrong provider",
    "ambiguous": "The provider's answer was ambiguous",
}


def _page(status: int, title: str, lines: list[str]) -> HTMLResponse:
    body = "".join(f"<p>{line}</p>" for line in lines)
    return HTMLResponse(
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}",
        status_code=status,
    )


def create_app(
    gateways: Dict[str, GatewayOAuth],
    policy=None,
    transport: Optional[httpx.BaseTransport] = None,
) -> FastAPI:
    """The app. ``policy``: a ``Policy``, or a callable returning the current
    one (``store.current``); the embedded library by default. ``transport``:
    how token requests reach the provider (the tests pass a fake one)."""
    manager = OAuthManager(policy or Policy.builtin(), gateways)
    http = httpx.Client(transport=transport, timeout=10.0)
    app = FastAPI()
    app.state.manager = manager
    app.state.tokens = {}

    def post_token(gateway_id: str, body: str) -> httpx.Response:
        return http.post(
            manager.gateways[gateway_id].token_url,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )

    @app.get("/oauth/authorize/{gateway_id}")
    def authorize(gateway_id: str):
        if gateway_id not in manager.gateways:
            return JSONResponse({"detail": "unknown gateway"}, status_code=404)
        try:
            url, login_id = manager.authorize_url(gateway_id)
        except PolicyDenied as e:
            log.warning("policy refused the authorize request: %s", e)
            return _page(400, "This connection cannot sign in", [html.escape(e.reason)])
        response = RedirectResponse(url, status_code=302)
        response.set_cookie(LOGIN_COOKIE, login_id, httponly=True, secure=True, samesite="lax", max_age=600)
        return response

    @app.get("/oauth/callback")
    def callback(request: HttpRequest, oauth_login: Optional[str] = Cookie(default=None)):
        result = manager.handle_callback(oauth_login, str(request.url))
        v = result.verdict
        # Logged without code or state: repr(Verdict) redacts them.
        log.info("callback for %s: %r", result.gateway_id, v)
        if v.outcome == "success":
            body = manager.code_exchange_body(result.gateway_id, result.code, result.code_verifier)
            answer = post_token(result.gateway_id, body)
            if answer.status_code != 200:
                return _page(502, "The provider refused the sign-in code", [f"HTTP {answer.status_code}"])
            app.state.tokens[result.gateway_id] = answer.json()
            response = _page(200, "Connected", [f"Signed in to {html.escape(result.gateway_id)}."])
            response.delete_cookie(LOGIN_COOKIE)
            return response
        title = TITLES.get(v.category, "Sign-in failed")
        lines = [f"<code>{html.escape(v.category)}</code>"]
        if v.provider_code:
            lines.append(f"Provider code: <code>{html.escape(v.provider_code)}</code>")
        if v.hint:
            lines.append(f"Hint: {html.escape(v.hint)}")
        if v.retryable and result.gateway_id:
            lines.append(f'<a href="/oauth/authorize/{html.escape(result.gateway_id)}">Try again</a>')
        # A provider error is the provider's answer (the gateway did nothing
        # wrong in reading it); an invalid callback is a bad request.
        status = 502 if v.outcome == "provider_error" else 400
        return _page(status, title, lines)

    @app.post("/oauth/refresh/{gateway_id}")
    def refresh(gateway_id: str):
        tokens = app.state.tokens.get(gateway_id) or {}
        if "refresh_token" not in tokens:
            return JSONResponse({"detail": "no refresh token"}, status_code=409)
        answer = post_token(gateway_id, manager.refresh_body(gateway_id, tokens["refresh_token"]))
        if answer.status_code != 200:
            return JSONResponse({"detail": f"refresh refused: HTTP {answer.status_code}"}, status_code=502)
        app.state.tokens[gateway_id] = {**tokens, **answer.json()}
        return {"refreshed": gateway_id}

    return app
