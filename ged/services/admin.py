"""Organisations, services, users, application clients and their tokens.

Tokens are random (256 bits), shown once, and stored as their SHA-256 only: a stolen database
gives no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ged.domain.access import Principal
from ged.domain.errors import AuthenticationError, ConflictError, InvalidError, Issue, NotFoundError
from ged.domain.model import Organisation, PrincipalKind, Role, Service
from ged.services.context import Context, new_id
from ged.services.ports import UnitOfWork

TOKEN_PREFIX = "gst_"  # noqa: S105 - a prefix, not a secret


class OrganisationExists(ConflictError):
    code = "organisation_exists"


class ServiceExists(ConflictError):
    code = "service_exists"


class PrincipalExists(ConflictError):
    code = "principal_exists"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    principal: Principal
    token: str


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
    actor.ensure_role(Role.ADMIN)
    with ctx.uow() as uow:
        if uow.repo.find_service(actor.organisation_id, seda_identifier):
            raise ServiceExists(f"Un service a déjà l'identifiant SEDA « {seda_identifier} »")
        service = Service(new_id(), actor.organisation_id, name, seda_identifier)
        uow.repo.add_service(service)
        details = {"name": name, "seda_identifier": seda_identifier}
        uow.log(actor.id, "service.create", "service", service.id, actor.organisation_id, details)
        uow.commit()
    return service


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
) -> IssuedToken:
    """Creates a user or application client with a first token (returned once); each role is
    recorded as granted by ``actor`` now."""
    if not roles:
        raise InvalidError(
            "Aucun rôle", issues=[Issue("roles_required", "au moins un rôle", path="roles")]
        )
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
        token = _issue(ctx, uow, principal, label or "initial")
        details = {"name": name, "kind": kind, "roles": sorted(r.value for r in roles)}
        uow.log(actor, "principal.create", "principal", principal.id, organisation_id, details)
        uow.commit()
    return IssuedToken(principal, token)


def create_token(
    ctx: Context, actor: str, organisation_id: str, name: str, label: str
) -> IssuedToken:
    with ctx.uow() as uow:
        principal = uow.repo.find_principal(organisation_id, name)
        if principal is None:
            raise NotFoundError(f"Utilisateur « {name} » introuvable")
        token = _issue(ctx, uow, principal, label)
        uow.log(actor, "token.create", "principal", principal.id, organisation_id, {"label": label})
        uow.commit()
    return IssuedToken(principal, token)


def _issue(ctx: Context, uow: UnitOfWork, principal: Principal, label: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.repo.add_token(new_id(), principal.id, hash_token(token), label, ctx.clock())
    return token


def authenticate(ctx: Context, token: str) -> Principal:
    if not token.startswith(TOKEN_PREFIX):
        raise AuthenticationError("Jeton absent ou mal formé")
    with ctx.uow() as uow:
        principal = uow.repo.principal_for_token(hash_token(token))
    if principal is None:
        raise AuthenticationError("Jeton inconnu ou révoqué")
    return principal
