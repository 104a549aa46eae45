"""OpenID Connect with Authlib: discovery, authorization code with PKCE, ID token validation.

- Discovery (OpenID Connect Discovery 1.0, §4): the provider's metadata is read once from
  ``{issuer}/.well-known/openid-configuration``; its ``issuer`` must be the configured one.
- Authorization request (Core §3.1.2.1): ``state`` and ``nonce`` random, PKCE with S256
  (RFC 7636), built with Authlib's helpers; the browser goes there, nothing is sent from here.
- Callback: ``state`` must be the one remembered; an ``iss`` parameter, when the provider sends
  one (RFC 9207), must be the issuer; an ``error`` is refused with its code logged.
- Token request (Core §3.1.3.1) with client_secret_basic and the code verifier.
- ID token (Core §3.1.3.7): signature checked against the provider's JWKS (fetched again once
  when a key id is unknown: keys rotate), then Authlib's ``CodeIDToken`` checks ``iss``,
  ``aud``, ``exp``/``iat`` against our clock (``leeway`` for skew), ``nonce``, ``azp`` and
  ``at_hash``.

Authlib's own HTTP clients are not used: its ``httpx`` integration is deprecated in favour of a
package we do not ship, so requests go through ``httpx`` here, with TLS always verified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from kernel.accounts.oidc import OidcFailed, OidcIdentity, OidcUnavailable, PendingLogin

log = logging.getLogger("gedsae.oidc")
LEEWAY_S = 120
DEFAULT_SCOPES = "openid email profile"
UNREACHABLE = "Le fournisseur d'identité ne répond pas : réessayez plus tard"


@dataclass(frozen=True)
class OidcSettings:
    """The ``[oidc]`` table of ``config.toml``."""

    issuer: str
    client_id: str
    client_secret: str
    label: str = "Fournisseur d'identité"
    scopes: str = DEFAULT_SCOPES


class AuthlibOidc:
    def __init__(
        self,
        settings: OidcSettings,
        clock: Callable[[], datetime],
        http: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.label = settings.label
        self._clock = clock
        self._http = http or httpx.Client(timeout=15, follow_redirects=False)
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, Any] | None = None

    def begin(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        pending = PendingLogin(generate_token(32), generate_token(32), generate_token(64))
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": create_s256_code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(self._discover()["authorization_endpoint"])
        return add_params_to_uri(endpoint, params), pending

    def finish(
        self, redirect_uri: str, pending: PendingLogin, answer: Mapping[str, str]
    ) -> OidcIdentity:
        self._check_answer(pending, answer)
        tokens = self._exchange(redirect_uri, pending, answer["code"])
        claims = self._validate(tokens, pending)
        return OidcIdentity(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=_text(claims.get("email")),
            email_verified=_flag(claims.get("email_verified")),
            username=_text(claims.get("preferred_username")),
        )

    # -- the steps ----------------------------------------------------------------------------
    def _check_answer(self, pending: PendingLogin, answer: Mapping[str, str]) -> None:
        if answer.get("state") != pending.state:
            raise OidcFailed("Réponse du fournisseur d'identité inattendue : recommencez")
        if "error" in answer:
            log.warning("OIDC provider answered error=%s", answer.get("error", "")[:100])
            raise OidcFailed("Le fournisseur d'identité a refusé la connexion")
        if "iss" in answer and answer["iss"] != self.settings.issuer:
            raise OidcFailed("Réponse venant d'un autre fournisseur d'identité")
        if not answer.get("code"):
            raise OidcFailed("Réponse du fournisseur d'identité incomplète")

    def _exchange(self, redirect_uri: str, pending: PendingLogin, code: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.code_verifier,
        }
        auth = (self.settings.client_id, self.settings.client_secret)
        endpoint = str(self._discover()["token_endpoint"])
        answer = self._call("POST", endpoint, data=form, auth=auth)
        tokens = _json(answer) if answer.status_code == 200 else {}
        if "id_token" not in tokens:
            log.warning("OIDC token endpoint answered %s", answer.status_code)
            raise OidcFailed("Le fournisseur d'identité n'a pas délivré de jeton d'identité")
        return tokens

    def _validate(self, tokens: dict[str, Any], pending: PendingLogin) -> CodeIDToken:
        algorithms = self._discover().get("id_token_signing_alg_values_supported")
        registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
        try:
            try:
                token = jwt.decode(tokens["id_token"], self._key_set(), registry=registry)
            except InvalidKeyIdError:
                token = jwt.decode(tokens["id_token"], self._key_set(True), registry=registry)
            claims = CodeIDToken(
                token.claims,
                token.header,
                {"iss": {"essential": True, "values": [self.settings.issuer]}},
                {
                    "nonce": pending.nonce,
                    "client_id": self.settings.client_id,
                    "access_token": tokens.get("access_token"),
                },
            )
            claims.validate(now=int(self._clock().timestamp()), leeway=LEEWAY_S)
        except (JoseError, ValueError) as exc:
            log.warning("OIDC ID token refused: %s", exc)
            raise OidcFailed("Jeton d'identité invalide : connexion refusée") from exc
        return claims

    # -- the provider's documents ------------------------------------------------------------
    def _discover(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = _json(self._call("GET", url))
            if metadata.get("issuer") != self.settings.issuer:
                raise OidcFailed(
                    "Le fournisseur d'identité ne se présente pas sous l'émetteur configuré"
                )
            self._metadata = metadata
        return self._metadata

    def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = _json(self._call("GET", str(self._discover()["jwks_uri"])))
        return KeySet.import_key_set(self._keys)  # type: ignore[arg-type]

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("OIDC provider unreachable: %s", exc)
            raise OidcUnavailable(UNREACHABLE) from exc
        if answer.status_code >= 500:
            raise OidcUnavailable(UNREACHABLE)
        return answer


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        value = answer.json()
    except ValueError as exc:
        raise OidcFailed("Réponse illisible du fournisseur d'identité") from exc
    if not isinstance(value, dict):
        raise OidcFailed("Réponse illisible du fournisseur d'identité")
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None
