"""The repository's page dependencies: the logged-in ``Person`` (``Someone``; the kernel's
``current_user`` checks the server's session on every request), an archivist only
(``Archivist``: another role is refused, 403), and the wired repository (``Repository``,
``Db``) as the API has them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.errors import ForbiddenError
from kernel.web.security import current_user
from sae.bootstrap import SaeConfig
from sae.model import Person
from sae.ports import Database

Someone = Annotated[Person, Depends(current_user)]


def archivist(person: Someone) -> Person:
    if person.role != "archivist":
        raise ForbiddenError("Page réservée aux archivistes du dépôt")
    return person


def repository(request: Request) -> SaeConfig:
    config: SaeConfig = request.app.state.config
    return config


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


Archivist = Annotated[Person, Depends(archivist)]
Repository = Annotated[SaeConfig, Depends(repository)]
Db = Annotated[Database, Depends(database)]
