"""The OpenID Connect client refuses what a provider (or someone in between) should not be
believed on: a replayed state, another nonce, another audience, an expired token, an unknown
signing key, a provider that names itself differently. The provider's side is played through
``httpx.MockTransport``; the real flow runs against oidc-provider in tests/e2e."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from kernel.accounts.oidc import OidcFailed, OidcUnavailable
from kernel.accounts.oidc_authlib import AuthlibOidc, OidcSettings

ISSUER = "https://idp.example"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
CALLBACK = "https://ged.example/connexion/oidc/retour"


class Provider:
    """Discovery, JWKS and a token endpoint that returns ``claims`` signed by ``key``."""

    def __init__(self, issuer: str = ISSUER) -> None:
        self.issuer = issuer
        self.claims: dict[str, Any] = {}
        self.key = KEY
        self.token_requests: list[dict[str, list[str]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.metadata())
        if path == "/jwks":
            return httpx.Response(200, json={"keys": [KEY.as_dict(private=False)]})
        if path == "/token":
            self.token_requests.append(parse_qs(request.content.decode()))
            token = jwt.encode({"alg": "RS256", "kid": "k1"}, self.claims, self.key)
            return httpx.Response(200, json={"id_token": token, "token_type": "Bearer"})
        return httpx.Response(404)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": ISSUER + "/auth",
            "token_endpoint": ISSUER + "/token",
            "jwks_uri": ISSUER + "/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }


def client(provider: Provider) -> AuthlibOidc:
    settings = OidcSettings(ISSUER, "ged", "secret-du-client", "ProConnect")
    http = httpx.Client(transport=httpx.MockTransport(provider.handle))
    return AuthlibOidc(settings, lambda: NOW, http)


def round_trip(provider: Provider, **claims: Any) -> Any:
    """``begin``, then the provider answers with ``claims`` (defaults: a valid ID token)."""
    oidc = client(provider)
    url, pending = oidc.begin(CALLBACK)
    asked = parse_qs(urlsplit(url).query)
    provider.claims = {
        "iss": ISSUER,
        "sub": "sub-1",
        "aud": "ged",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "nonce": asked["nonce"][0],
        "email": "marie@mairie.example",
        "email_verified": True,
        **claims,
    }
    return oidc.finish(CALLBACK, pending, {"state": pending.state, "code": "c", "iss": ISSUER})


def test_a_valid_answer_names_the_person_and_pkce_was_used() -> None:
    provider = Provider()
    identity = round_trip(provider)
    assert (identity.issuer, identity.subject, identity.email) == (
        ISSUER,
        "sub-1",
        "marie@mairie.example",
    )
    [sent] = provider.token_requests
    assert sent["grant_type"] == ["authorization_code"] and len(sent["code_verifier"][0]) >= 43


def test_the_authorization_request_carries_state_nonce_and_an_s256_challenge() -> None:
    url, pending = client(Provider()).begin(CALLBACK)
    asked = parse_qs(urlsplit(url).query)
    assert asked["state"] == [pending.state] and asked["nonce"] == [pending.nonce]
    assert asked["code_challenge_method"] == ["S256"] and asked["redirect_uri"] == [CALLBACK]
    assert pending.code_verifier not in url


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "un autre"},
        {"aud": "une autre application"},
        {"iss": "https://autre.example"},
        {"exp": int((NOW - timedelta(minutes=10)).timestamp())},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
def test_an_id_token_that_is_not_for_this_login_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(OidcFailed):
        round_trip(Provider(), **claims)


def test_an_id_token_signed_by_another_key_is_refused() -> None:
    provider = Provider()
    provider.key = OTHER_KEY
    with pytest.raises(OidcFailed):
        round_trip(provider)


def test_an_answer_with_another_state_or_an_error_is_refused_before_any_exchange() -> None:
    provider = Provider()
    oidc = client(provider)
    _, pending = oidc.begin(CALLBACK)
    for answer in (
        {"state": "rejoue", "code": "c"},
        {"state": pending.state, "error": "access_denied"},
        {"state": pending.state, "code": "c", "iss": "https://autre.example"},
    ):
        with pytest.raises(OidcFailed):
            oidc.finish(CALLBACK, pending, answer)
    assert provider.token_requests == []


def test_a_provider_presenting_another_issuer_is_not_trusted() -> None:
    with pytest.raises(OidcFailed):
        client(Provider(issuer="https://imposteur.example")).begin(CALLBACK)


def test_an_unreachable_provider_is_unavailable_not_an_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    settings = OidcSettings(ISSUER, "ged", "secret-du-client")
    oidc = AuthlibOidc(settings, lambda: NOW, httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(OidcUnavailable):
        oidc.begin(CALLBACK)
