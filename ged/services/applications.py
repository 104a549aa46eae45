"""Application clients — the business software that files through the API — and their tokens,
as an administrator manages them: a client with its services and a first token, another token
for it, the organisation's tokens, a revocation (``admin.revoke_token``).

A token is shown once, when it is made, and kept as its SHA-256 only (``admin``); it may carry
an expiry. Every creation is written to the operation log. Administrators only; another
organisation's client is not found, exactly as a missing one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ged.domain.access import Principal
from ged.domain.model import PrincipalKind, Role
from ged.services.admin import (
    IssuedToken,
    TokenView,
    create_principal,
    create_token,
    list_tokens,
    revoke_token,
)
from ged.services.context import Context
from kernel.errors import InvalidError, Issue, NotFoundError

MAX_NAME = 200
MAX_LABEL = 200


class TokenState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class TokenLine:
    """A token as the administrator sees it: never its value, only its SHA-256 is kept."""

    view: TokenView
    state: TokenState


@dataclass(frozen=True)
class Tokens:
    applications: list[Principal]
    tokens: list[TokenLine]


class ApplicationNotFound(NotFoundError):
    code = "application_not_found"
    title = "Client applicatif introuvable"


def create_application(
    ctx: Context,
    actor: Principal,
    name: str,
    service_ids: Iterable[str],
    expires_at: datetime | None = None,
) -> IssuedToken:
    """An application client limited to ``service_ids``, with its first token (shown once)."""
    actor.ensure_role(Role.ADMIN)
    _check_text(name.strip(), "name", "Nom du client applicatif", MAX_NAME)
    return create_principal(
        ctx,
        actor.id,
        actor.organisation_id,
        name.strip(),
        {Role.APPLICATION},
        set(service_ids),
        kind=PrincipalKind.APPLICATION.value,
        expires_at=expires_at,
    )


def issue_token(
    ctx: Context,
    actor: Principal,
    application_id: str,
    label: str,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Another token for one of the organisation's application clients (shown once)."""
    actor.ensure_role(Role.ADMIN)
    _check_text(label.strip(), "label", "Libellé du jeton", MAX_LABEL)
    with ctx.uow() as uow:
        client = uow.repo.get_principal(application_id)
    if (
        client is None
        or client.organisation_id != actor.organisation_id
        or client.kind is not PrincipalKind.APPLICATION
    ):
        raise ApplicationNotFound(f"Client applicatif {application_id} introuvable")
    return create_token(
        ctx, actor.id, actor.organisation_id, client.name, label.strip(), expires_at
    )


def applications(ctx: Context, actor: Principal) -> list[Principal]:
    """The organisation's application clients, by name."""
    actor.ensure_role(Role.ADMIN)
    with ctx.uow() as uow:
        return uow.repo.list_principals(actor.organisation_id, PrincipalKind.APPLICATION)


def revoke(ctx: Context, actor: Principal, token_id: str) -> None:
    """Any token of the organisation, revoked by its administrator (``admin.revoke_token``)."""
    actor.ensure_role(Role.ADMIN)
    revoke_token(ctx, actor, token_id)


def tokens_of(ctx: Context, actor: Principal) -> Tokens:
    """The organisation's application clients and every token of the organisation (people's
    included), each valid, expired or revoked now."""
    clients = applications(ctx, actor)
    now = ctx.clock()
    return Tokens(clients, [TokenLine(v, _state(v, now)) for v in list_tokens(ctx, actor)])


def _state(view: TokenView, now: datetime) -> TokenState:
    if view.token.revoked_at is not None:
        return TokenState.REVOKED
    return TokenState.EXPIRED if view.token.expired(now) else TokenState.VALID


def _check_text(value: str, path: str, what: str, longest: int) -> None:
    if not value or len(value) > longest:
        message = f"{what} : de 1 à {longest} caractères"
        raise InvalidError(message, issues=[Issue("bad_text", message, path=path)])
