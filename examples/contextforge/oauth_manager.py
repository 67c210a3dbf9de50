"""The OAuth half of a ContextForge-style MCP gateway, with its provider
quirks moved out of the code and into oauth-policy.

What the gateway did before (mcpgateway/services/oauth_manager.py): a
hard-coded ``_ENTRA_HOSTS`` set and an ``/oauth2/v2.0/`` substring test to
decide whether to leave out RFC 8707 ``resource``, spread over the authorize
URL, the code exchange and the refresh; and a callback handler that read
``code`` before knowing whether the provider had sent one (the seed crash:
Entra answers ``error=invalid_target`` with no ``code``).

What it does here:

* every outgoing request is built the plain, standards way (``resource``
  included whenever configured) and then shaped by ``policy.apply``: Entra v2
  loses ``resource``, Keycloak keeps it, a new provider quirk is a policy
  file (or an overlay), not a gateway release;
* every callback goes through ``policy.classify`` before anything is
  redeemed: ``success`` is the only outcome that touches ``code``, and each
  failure comes with a category, whether a retry can help, and a hint.

Framework-free: ``app.py`` puts it behind FastAPI.
"""

from __future__ import annotations

import secrets
import threading
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Dict, List, Optional
from urllib.parse import quote, urlencode

from oauth_policy import Callback, Policy, Request, RequestError, Verdict


@dataclass(frozen=True)
class GatewayOAuth:
    """One upstream MCP server's OAuth settings, as the gateway stores them."""

    gateway_id: str
    client_id: str
    authorization_url: str
    token_url: str
    redirect_uri: str
    scopes: List[str] = field(default_factory=list)
    # RFC 8707: the MCP server the token is for. Always sent; the policy
    # drops it where a provider refuses it.
    resource: Optional[str] = None
    client_secret: Optional[str] = None


class PolicyDenied(Exception):
    """The policy refused to let a request go out (a ``deny`` rule fired)."""

    def __init__(self, reason: str, rule: str):
        super().__init__(f"{reason} ({rule})")
        self.reason = reason
        self.rule = rule


@dataclass
class PendingLogin:
    """What the gateway remembers between the redirect and the callback."""

    gateway_id: str
    state: str
    code_verifier: str
    authorize_url: str
    expires_at: float


@dataclass(frozen=True)
class CallbackResult:
    """What the callback handler decided: ``verdict`` is always set; ``code``
    and ``code_verifier`` only when the code may be redeemed."""

    verdict: Verdict
    gateway_id: Optional[str] = None
    code: Optional[str] = None
    code_verifier: Optional[str] = None


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = urlsafe_b64encode(sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OAuthManager:
    """Builds the gateway's OAuth requests and judges its callbacks.

    ``policy`` is any object with ``apply`` and ``classify`` (a ``Policy``),
    or a zero-argument callable returning one (``PolicyStore.current``, so a
    hot-reloaded policy is picked up on the next login).
    """

    LOGIN_TTL = 600.0

    def __init__(self, policy, gateways: Dict[str, GatewayOAuth]):
        self._policy = policy
        self.gateways = gateways
        self._pending: Dict[str, PendingLogin] = {}
        self._lock = threading.Lock()

    def policy(self) -> Policy:
        return self._policy() if callable(self._policy) else self._policy

    # -- outgoing requests -------------------------------------------------

    def _shape(self, request: Request):
        out = self.policy().apply(request)
        if out.denied is not None:
            raise PolicyDenied(out.denied.reason, out.denied.rule)
        return out

    def authorize_url(self, gateway_id: str) -> tuple[str, str]:
        """Starts a login: the URL to redirect the browser to, and the login
        id to remember (in a cookie) until the callback comes."""
        g = self.gateways[gateway_id]
        state = secrets.token_urlsafe(32)
        verifier, challenge = _pkce_pair()
        params = {
            "response_type": "code",
            "client_id": g.client_id,
            "redirect_uri": g.redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if g.scopes:
            params["scope"] = " ".join(g.scopes)
        if g.resource:
            params["resource"] = g.resource
        # quote_via: spaces as %20, as most providers document their URLs.
        sep = "&" if "?" in g.authorization_url else "?"
        url = f"{g.authorization_url}{sep}{urlencode(params, quote_via=quote)}"
        shaped = self._shape(Request.authorize(url)).url
        login_id = secrets.token_urlsafe(24)
        with self._lock:
            self._pending[login_id] = PendingLogin(
                gateway_id, state, verifier, shaped, time.monotonic() + self.LOGIN_TTL
            )
        return shaped, login_id

    def _token_body(self, g: GatewayOAuth, data: Dict[str, str]) -> str:
        if g.client_secret:
            data["client_secret"] = g.client_secret
        if g.resource:
            data["resource"] = g.resource
        out = self._shape(Request.token(g.token_url, urlencode(data)))
        return out.body

    def code_exchange_body(self, gateway_id: str, code: str, code_verifier: str) -> str:
        """The form body for the authorization-code exchange, shaped."""
        g = self.gateways[gateway_id]
        return self._token_body(
            g,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": g.redirect_uri,
                "client_id": g.client_id,
                "code_verifier": code_verifier,
            },
        )

    def refresh_body(self, gateway_id: str, refresh_token: str) -> str:
        """The form body for a refresh, shaped."""
        g = self.gateways[gateway_id]
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": g.client_id}
        if g.scopes:
            data["scope"] = " ".join(g.scopes)
        return self._token_body(g, data)

    # -- the callback ------------------------------------------------------

    def _take_pending(self, login_id: Optional[str]) -> Optional[PendingLogin]:
        if not login_id:
            return None
        with self._lock:
            pending = self._pending.pop(login_id, None)  # single use
        if pending is None or pending.expires_at < time.monotonic():
            return None
        return pending

    def handle_callback(self, login_id: Optional[str], callback_url: str) -> CallbackResult:
        """Judges a callback before anything is redeemed. ``login_id`` comes
        from the browser's cookie; a callback with no pending login, or an
        expired one, is classified against no state at all, so it can never
        be a success."""
        pending = self._take_pending(login_id)
        try:
            callback = Callback.from_url(callback_url)
        except RequestError:
            # A callback URL the engine cannot even read: classify an empty
            # one, which is `invalid` like any other unusable callback.
            callback = Callback.from_form("")
        if pending is None:
            # No pending login: there is no state to bind the answer to. A
            # random expected state makes any `state` a mismatch, and no
            # `state` a missing one: never a success.
            verdict = self.policy().classify(callback, expected_state=secrets.token_urlsafe(32))
            return CallbackResult(verdict)
        verdict = self.policy().classify(
            callback,
            authorize_url=pending.authorize_url,
            expected_state=pending.state,
        )
        if verdict.outcome != "success":
            return CallbackResult(verdict, pending.gateway_id)
        return CallbackResult(verdict, pending.gateway_id, verdict.code, pending.code_verifier)
