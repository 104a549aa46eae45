"""The port of an OpenID Connect provider (OpenID Connect Core 1.0, authorization code flow with
PKCE, RFC 7636), as the login pages use it: ``begin`` gives the address to send the browser to
and what must be remembered until it comes back; ``finish`` checks what came back, exchanges the
code and validates the ID token, and says who the person is.

Implemented with Authlib in ``kernel.accounts.oidc_authlib``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from kernel.errors import AuthenticationError, UnavailableError


class OidcFailed(AuthenticationError):
    """The provider's answer cannot be trusted or says no (state, error, ID token)."""

    code = "oidc_failed"
    title = "Connexion par le fournisseur d'identité refusée"


class OidcUnavailable(UnavailableError):
    code = "oidc_unavailable"
    title = "Fournisseur d'identité injoignable"


@dataclass(frozen=True)
class PendingLogin:
    """What the browser's round trip to the provider must bring back unchanged (``state``) or
    prove (``nonce`` in the ID token, ``code_verifier`` for PKCE); kept in a signed cookie."""

    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class OidcIdentity:
    """What a validated ID token says of a person (OpenID Connect Core 1.0, §2 and §5.1)."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool | None = None
    username: str | None = None  # preferred_username


class OidcClient(Protocol):
    label: str  # shown on the login button ("ProConnect", "Keycloak de la collectivité"…)

    def begin(self, redirect_uri: str) -> tuple[str, PendingLogin]: ...

    def finish(
        self, redirect_uri: str, pending: PendingLogin, answer: Mapping[str, str]
    ) -> OidcIdentity: ...
