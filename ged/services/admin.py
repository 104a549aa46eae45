"""Organisations, services, users, application clients and their tokens.

Tokens are random (256 bits), shown once, and stored as their SHA-256 only: a stolen database
gives no usable token. A token may carry an expiry (``expires_at``) and be revoked; both are
checked on every request, so a revocation holds from the very next one, and it is logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ged.domain.access import Principal, StoredToken
from ged.domain.model import Organisation, PrincipalKind, Role, Service
from ged.services.context import Context, new_id
from ged.services.ports import UnitOfWork
from kernel.errors import AuthenticationError, ConflictError, InvalidError, Issue, NotFoundError

TOKEN_PREFIX = "gst_"  # noqa: S105 - a prefix, not a secret
MAX_NAME = 200
# Who granted or acted when no person did: the instance's installation, the command line.
NOT_A_PERSON = {"system": "installation de l'instance", "cli": "ligne de commande"}


class OrganisationExists(ConflictError):
    code = "organisation_exists"


class ServiceExists(ConflictError):
    code = "service_exists"


class PrincipalExists(ConflictError):
    code = "principal_exists"


class TokenExpired(AuthenticationError):
    code = "token_expired"
    title = "Jeton expiré"


class TokenNotFound(NotFoundError):
    code = "token_not_found"
    title = "Jeton introuvable"


class TokenAlreadyRevoked(ConflictError):
    code = "token_already_revoked"
    title = "Jeton déjà révoqué"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    principal: Principal
    token: str
    stored: StoredToken


@dataclass(frozen=True)
class TokenView:
    """A token as an administrator sees it: never its value."""

    token: StoredToken
    principal_name: str


def create_organisation(ctx: Context, actor: str, name: str) -> Organisation:
    if not name.strip():
        raise InvalidError(
            "Nom d'organisation vide", issues=[Issue("name_required", "nom vide", path="name")]
        )
    with ctx.uow() as uow:
        if uow.repo.find_organisation(name):
            raise OrganisationExists(f"L'organisation « {name} » existe déjà")
        org = Organisation(id=new_id(), name=name, created_at=ctx.clock())
        uow.repo.add_organisation(org)
        uow.log(actor, "organisation.create", "organisation", org.id, org.id, {"name": name})
        uow.commit()
    return org


def create_service(ctx: Context, actor: Principal, name: str, seda_identifier: str) -> Service:
    """A service of the actor's organisation; its SEDA identifier (OriginatingAgency,
    TransferringAgency in the manifests) is unique there and has no space in it."""
    actor.ensure_role(Role.ADMIN)
    name, seda_identifier = name.strip(), seda_identifier.strip()
    _check_service(name, seda_identifier)
    with ctx.uow() as uow:
        if uow.repo.find_service(actor.organisation_id, seda_identifier):
            raise ServiceExists(f"Un service a déjà l'identifiant SEDA « {seda_identifier} »")
        service = Service(new_id(), actor.organisation_id, name, seda_identifier)
        uow.repo.add_service(service)
        details = {"name": name, "seda_identifier": seda_identifier}
        uow.log(actor.id, "service.create", "service", service.id, actor.organisation_id, details)
        uow.commit()
    return service


def _check_service(name: str, seda_identifier: str) -> None:
    issues = []
    if not name or len(name) > MAX_NAME:
        message = f"Nom du service : de 1 à {MAX_NAME} caractères"
        issues.append(Issue("bad_service_name", message, path="name"))
    if not seda_identifier or len(seda_identifier) > MAX_NAME:
        message = f"Identifiant SEDA : de 1 à {MAX_NAME} caractères"
        issues.append(Issue("bad_seda_identifier", message, path="seda_identifier"))
    elif any(c.isspace() for c in seda_identifier):
        message = "Identifiant SEDA sans espace (par exemple FR_DF)"
        issues.append(Issue("bad_seda_identifier", message, path="seda_identifier"))
    if issues:
        raise InvalidError("Service invalide", issues=issues)


def list_services(ctx: Context, actor: Principal) -> list[Service]:
    with ctx.uow() as uow:
        return uow.repo.list_services(actor.organisation_id)


def create_principal(
    ctx: Context,
    actor: str,
    organisation_id: str,
    name: str,
    roles: set[Role],
    service_ids: set[str],
    *,
    kind: str = "user",
    platform_admin: bool = False,
    label: str = "",
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Creates a user or application client with a first token (returned once); each role is
    recorded as granted by ``actor`` now."""
    if not roles:
        raise InvalidError(
            "Aucun rôle", issues=[Issue("roles_required", "au moins un rôle", path="roles")]
        )
    _check_expiry(ctx, expires_at)
    with ctx.uow() as uow:
        if uow.repo.get_organisation(organisation_id) is None:
            raise NotFoundError("Organisation introuvable")
        for service_id in service_ids:
            if uow.repo.get_service(organisation_id, service_id) is None:
                raise NotFoundError(f"Service {service_id} introuvable")
        if uow.repo.find_principal(organisation_id, name):
            raise PrincipalExists(f"« {name} » existe déjà dans cette organisation")
        principal = Principal(
            new_id(),
            name,
            organisation_id,
            frozenset(roles),
            frozenset(service_ids),
            platform_admin,
            PrincipalKind(kind),
        )
        uow.repo.add_principal(principal, ctx.clock())
        uow.access.grant_roles(principal.id, roles, actor, ctx.clock())
        issued = _issue(ctx, uow, principal, label or "initial", expires_at)
        details = {
            "name": name,
            "kind": kind,
            "roles": sorted(r.value for r in roles),
            **_expiry(expires_at),
        }
        uow.log(actor, "principal.create", "principal", principal.id, organisation_id, details)
        uow.commit()
    return issued


def create_token(
    ctx: Context,
    actor: str,
    organisation_id: str,
    name: str,
    label: str,
    expires_at: datetime | None = None,
) -> IssuedToken:
    _check_expiry(ctx, expires_at)
    with ctx.uow() as uow:
        principal = uow.repo.find_principal(organisation_id, name)
        if principal is None:
            raise NotFoundError(f"Utilisateur « {name} » introuvable")
        issued = _issue(ctx, uow, principal, label, expires_at)
        details = {"label": label, "token_id": issued.stored.id, **_expiry(expires_at)}
        uow.log(actor, "token.create", "principal", principal.id, organisation_id, details)
        uow.commit()
    return issued


def _check_expiry(ctx: Context, expires_at: datetime | None) -> None:
    if expires_at is None:
        return
    if expires_at.tzinfo is None or expires_at <= ctx.clock():
        message = "date d'expiration future, avec son fuseau (ISO 8601), attendue"
        raise InvalidError(
            "Date d'expiration invalide",
            issues=[Issue("expiry_in_past", message, path="expires_at")],
        )


def _expiry(expires_at: datetime | None) -> dict[str, str]:
    return {} if expires_at is None else {"expires_at": expires_at.isoformat()}


def _issue(
    ctx: Context, uow: UnitOfWork, principal: Principal, label: str, expires_at: datetime | None
) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    stored = StoredToken(new_id(), principal.id, label, ctx.clock(), expires_at)
    uow.access.add_token(stored, hash_token(token))
    return IssuedToken(principal, token, stored)


def authenticate(ctx: Context, token: str) -> Principal:
    """The principal holding ``token``, checked against the database on every call: a revoked
    or expired token, or the token of a disabled account, is refused from the next request on."""
    if not token.startswith(TOKEN_PREFIX):
        raise AuthenticationError("Jeton absent ou mal formé")
    with ctx.uow() as uow:
        stored = uow.access.token_by_hash(hash_token(token))
        if stored is None or stored.revoked_at is not None:
            raise AuthenticationError("Jeton inconnu ou révoqué")
        if stored.expired(ctx.clock()):
            raise TokenExpired("Jeton expiré : demandez-en un nouveau")
        principal = uow.repo.get_principal(stored.principal_id)
        account = uow.accounts.of_principal(stored.principal_id)
    if principal is None or (account is not None and account.disabled_at is not None):
        raise AuthenticationError("Jeton inconnu ou révoqué")
    return principal


def list_tokens(ctx: Context, actor: Principal) -> list[TokenView]:
    """Every token of the organisation for an administrator, the caller's own otherwise."""
    with ctx.uow() as uow:
        found = uow.access.tokens_of_organisation(actor.organisation_id)
    views = [TokenView(token, name) for token, name in found]
    if actor.has(Role.ADMIN):
        return views
    return [v for v in views if v.token.principal_id == actor.id]


def revoke_token(ctx: Context, actor: Principal, token_id: str) -> StoredToken:
    """An administrator revokes any token of the organisation; anyone may revoke their own.
    Logged; another organisation's token is not found, exactly as a missing one."""
    with ctx.uow() as uow:
        found = uow.access.tokens_of_organisation(actor.organisation_id, token_id)
        token = found[0][0] if found else None
        if token is None or not (actor.has(Role.ADMIN) or token.principal_id == actor.id):
            raise TokenNotFound(f"Jeton {token_id} introuvable")
        if not uow.access.revoke_token(token.id, ctx.clock()):
            raise TokenAlreadyRevoked(f"Le jeton {token_id} est déjà révoqué")
        details = {"principal_id": token.principal_id, "label": token.label}
        uow.log(actor.id, "token.revoke", "token", token.id, actor.organisation_id, details)
        uow.commit()
    return token


def principal_names(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """The name of each principal id; the installation and the command line are named as such,
    and an id that names no one is « inconnu »."""
    names = {}
    for principal_id in set(ids):
        principal = uow.repo.get_principal(principal_id)
        known = principal.name if principal else NOT_A_PERSON.get(principal_id, "inconnu")
        names[principal_id] = known
    return names
