"""The gateway end to end: browser -> gateway -> (fake) provider -> callback
-> token exchange -> refresh, through FastAPI's test client. The provider's
token endpoint is an httpx mock transport that records what it was sent."""

from urllib.parse import parse_qs, urlsplit, urlencode

import httpx
import pytest
from fastapi.testclient import TestClient

from app import create_app
from oauth_manager import GatewayOAuth

MCP = "https://mcp.example.com/mcp"

GATEWAYS = {
    # The seed: Entra v2 with scope-based permissions and an RFC 8707 resource.
    "entra": GatewayOAuth(
        gateway_id="entra",
        client_id="c-entra",
        authorization_url="https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
        token_url="https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
        redirect_uri="https://gateway.example.com/oauth/callback",
        scopes=["openid", "offline_access", "api://mcp/access"],
        resource=MCP,
        client_secret="s3cret",
    ),
    # A US-government-cloud tenant: a host the old hard-coded set had to
    # list by hand; the policy's provider block knows it.
    "entra-us": GatewayOAuth(
        gateway_id="entra-us",
        client_id="c-us",
        authorization_url="https://login.microsoftonline.us/t/oauth2/v2.0/authorize",
        token_url="https://login.microsoftonline.us/t/oauth2/v2.0/token",
        redirect_uri="https://gateway.example.com/oauth/callback",
        scopes=["api://mcp/access"],
        resource=MCP,
    ),
    # Keycloak supports RFC 8707: resource must stay.
    "keycloak": GatewayOAuth(
        gateway_id="keycloak",
        client_id="c-kc",
        authorization_url="https://sso.example.org/realms/acme/protocol/openid-connect/auth",
        token_url="https://sso.example.org/realms/acme/protocol/openid-connect/token",
        redirect_uri="https://gateway.example.com/oauth/callback",
        scopes=["openid"],
        resource=MCP,
    ),
}


class FakeProvider:
    """A token endpoint that records each form body it gets."""

    def __init__(self):
        self.bodies = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode(), keep_blank_values=True)
        self.bodies.append((str(request.url), form))
        if form.get("code") == ["bad"]:
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(
            200, json={"access_token": "at-" + form["grant_type"][0], "refresh_token": "rt-1", "token_type": "Bearer"}
        )


@pytest.fixture
def provider():
    return FakeProvider()


@pytest.fixture
def client(provider):
    app = create_app(GATEWAYS, transport=httpx.MockTransport(provider))
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def start_login(client, gateway_id):
    """Follows the gateway's redirect; returns the authorize URL's parameters."""
    r = client.get(f"/oauth/authorize/{gateway_id}")
    assert r.status_code == 302
    location = r.headers["location"]
    return location, parse_qs(urlsplit(location).query)


def callback(client, **params):
    return client.get("/oauth/callback?" + urlencode(params))


@pytest.mark.parametrize("gateway_id", ["entra", "entra-us"])
def test_entra_authorize_url_has_no_resource(client, gateway_id):
    location, params = start_login(client, gateway_id)
    assert "resource" not in params
    assert params["scope"] == [" ".join(GATEWAYS[gateway_id].scopes)]
    assert params["code_challenge_method"] == ["S256"]
    assert location.startswith(GATEWAYS[gateway_id].authorization_url + "?")


def test_keycloak_keeps_resource(client):
    _, params = start_login(client, "keycloak")
    assert params["resource"] == [MCP]


def test_seed_callback_is_an_error_page_not_a_crash(client):
    _, params = start_login(client, "entra")
    r = callback(
        client,
        error="invalid_target",
        error_description="AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes.",
        state=params["state"][0],
    )
    assert r.status_code == 502
    assert "invalid_target" in r.text and "AADSTS9010010" in r.text
    assert "Hint:" in r.text
    assert "Try again" not in r.text  # retrying the same request cannot help


def test_missing_code(client, provider):
    _, params = start_login(client, "entra")
    r = callback(client, state=params["state"][0])
    assert r.status_code == 400
    assert "missing_code" in r.text and "neither a code nor an error" in r.text
    assert provider.bodies == []


def test_state_mismatch(client, provider):
    start_login(client, "entra")
    r = callback(client, code="c", state="forged")
    assert r.status_code == 400 and "state_mismatch" in r.text
    assert provider.bodies == []


def test_callback_without_a_pending_login(provider):
    # No cookie (another browser, or a replay after the login was used).
    fresh = TestClient(create_app(GATEWAYS, transport=httpx.MockTransport(provider)), base_url="https://testserver")
    r = callback(fresh, code="c", state="s")
    assert r.status_code == 400 and "state_mismatch" in r.text
    assert provider.bodies == []


def test_login_is_single_use(client, provider):
    _, params = start_login(client, "keycloak")
    state = params["state"][0]
    login = client.cookies.get("oauth_login")
    assert login
    assert callback(client, code="c1", state=state).status_code == 200
    # The same browser replays the same callback with the same login cookie.
    client.cookies.set("oauth_login", login)
    assert callback(client, code="c1", state=state).status_code == 400
    assert len(provider.bodies) == 1


def test_retryable_error_offers_a_retry(client):
    _, params = start_login(client, "entra")
    r = callback(
        client,
        error="interaction_required",
        error_description="AADSTS50076: multi-factor authentication required",
        state=params["state"][0],
    )
    assert r.status_code == 502
    assert "interaction_required" in r.text
    assert 'href="/oauth/authorize/entra"' in r.text


def test_success_exchanges_a_shaped_code_and_refreshes(client, provider):
    _, params = start_login(client, "entra")
    r = callback(client, code="the-code", state=params["state"][0])
    assert r.status_code == 200 and "Connected" in r.text
    url, form = provider.bodies[0]
    assert url == GATEWAYS["entra"].token_url
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == ["the-code"]
    assert "resource" not in form  # shaped by the policy
    assert form["client_secret"] == ["s3cret"]
    assert len(form["code_verifier"][0]) >= 43

    r = client.post("/oauth/refresh/entra")
    assert r.status_code == 200
    _, form = provider.bodies[1]
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == ["rt-1"]
    assert "resource" not in form


def test_keycloak_token_exchange_keeps_resource(client, provider):
    _, params = start_login(client, "keycloak")
    assert callback(client, code="c", state=params["state"][0]).status_code == 200
    _, form = provider.bodies[0]
    assert form["resource"] == [MCP]


def test_refused_code(client, provider):
    _, params = start_login(client, "keycloak")
    r = callback(client, code="bad", state=params["state"][0])
    assert r.status_code == 502


def test_pollution_is_refused(client, provider):
    _, params = start_login(client, "entra")
    state = params["state"][0]
    r = client.get(f"/oauth/callback?code=a&code=b&state={state}")
    assert r.status_code == 400 and "ambiguous" in r.text
    assert provider.bodies == []


def test_policy_deny_stops_the_redirect(provider):
    # A provider whose configuration carries a repeated parameter: the
    # shipped global rules refuse it, the gateway shows why.
    gateways = dict(GATEWAYS)
    g = GATEWAYS["keycloak"]
    gateways["broken"] = GatewayOAuth(
        gateway_id="broken",
        client_id=g.client_id,
        authorization_url=g.authorization_url + "?state=fixed",
        token_url=g.token_url,
        redirect_uri=g.redirect_uri,
    )
    c = TestClient(create_app(gateways, transport=httpx.MockTransport(provider)), base_url="https://testserver", follow_redirects=False)
    r = c.get("/oauth/authorize/broken")
    assert r.status_code == 400
    assert "state" in r.text
