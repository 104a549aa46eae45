"""Dependencies of the routes: the opened repository and the caller behind its bearer token.

A token maps to one tenant and one role (``transferring``: a GED that sends SIPs and collects
replies; ``archivist``: reviews the tenant's transfers), or to the platform's administrator
(``platform_admin``: administers tenants, never reads what they hold). The token is looked up in
the database on every request (``sae.tokens.authenticate``): a revoked one is refused at once.
Every tenant route reads within the caller's tenant: another tenant's transfer is a 404, never a
403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.errors import AuthenticationError, ForbiddenError
from sae.bootstrap import Repository
from sae.model import PLATFORM_ADMIN, Principal
from sae.ports import Database
from sae.tokens import authenticate

API = "/api/v1/sae"
VERSION = "1"


def repository(request: Request) -> Repository:
    opened: Repository = request.app.state.repository
    return opened


def database(request: Request) -> Database:
    return repository(request).db


def bearer(request: Request) -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = authenticate(database(request), token) if scheme.lower() == "bearer" else None
    if found is None:
        raise AuthenticationError("Jeton absent ou refusé")
    return found


def member(who: Annotated[Principal, Depends(bearer)]) -> Principal:
    """Anyone of a tenant (not the platform's administrator: no access to archives)."""
    if who.role == PLATFORM_ADMIN:
        raise ForbiddenError("Réservé aux services d'archives et à leurs services versants")
    return who


def archivist(who: Annotated[Principal, Depends(bearer)]) -> Principal:
    if who.role != "archivist":
        raise ForbiddenError("Réservé aux archivistes de l'organisation")
    return who


def sender(who: Annotated[Principal, Depends(bearer)]) -> Principal:
    if who.role != "transferring":
        raise ForbiddenError("Réservé aux services versants")
    return who


def platform_admin(who: Annotated[Principal, Depends(bearer)]) -> Principal:
    if who.role != PLATFORM_ADMIN:
        raise ForbiddenError("Réservé à l'administrateur de la plateforme")
    return who


Opened = Annotated[Repository, Depends(repository)]
Db = Annotated[Database, Depends(database)]
Anyone = Annotated[Principal, Depends(member)]
Archivist = Annotated[Principal, Depends(archivist)]
Sender = Annotated[Principal, Depends(sender)]
PlatformAdmin = Annotated[Principal, Depends(platform_admin)]
