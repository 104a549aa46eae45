"""Dependencies of the routes: the wired repository and the caller behind its bearer token.

A token maps to one organisation and one role (``transferring``: a GED that sends SIPs and
collects replies; ``archivist``: reviews the organisation's transfers). Another organisation's
transfer is a 404, never a 403: every route reads within the caller's organisation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.errors import AuthenticationError, ForbiddenError
from sae.bootstrap import SaeConfig
from sae.model import Principal
from sae.ports import Database

API = "/api/v1/sae"
VERSION = "1"


def repository(request: Request) -> SaeConfig:
    config: SaeConfig = request.app.state.config
    return config


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def principal(request: Request) -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    config = repository(request)
    found = config.tokens.get(token) if scheme.lower() == "bearer" else None
    if found is None:
        raise AuthenticationError("Jeton absent ou refusé")
    return found


def archivist(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if who.role != "archivist":
        raise ForbiddenError("Réservé aux archivistes de l'organisation")
    return who


def sender(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if who.role != "transferring":
        raise ForbiddenError("Réservé aux services versants")
    return who


Repository = Annotated[SaeConfig, Depends(repository)]
Db = Annotated[Database, Depends(database)]
Anyone = Annotated[Principal, Depends(principal)]
Archivist = Annotated[Principal, Depends(archivist)]
Sender = Annotated[Principal, Depends(sender)]
