"""The repository's page dependencies: the logged-in ``Person`` (``Someone``; the kernel's
``current_user`` checks the server's session on every request), an archivist only
(``Archivist``: another role is refused, 403), and the wired repository (``Repository``,
``Db``) as the API has them. A person belongs to one tenant (``Person.organisation``): every
page reads and writes that tenant's part of the repository only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.errors import ForbiddenError
from kernel.web.security import current_user
from sae.bootstrap import Repository as Opened
from sae.model import Person
from sae.ports import Database

Someone = Annotated[Person, Depends(current_user)]


def archivist(person: Someone) -> Person:
    if person.role != "archivist":
        raise ForbiddenError("Page réservée aux archivistes du dépôt")
    return person


def repository(request: Request) -> Opened:
    opened: Opened = request.app.state.repository
    return opened


def database(request: Request) -> Database:
    return repository(request).db


Archivist = Annotated[Person, Depends(archivist)]
Repository = Annotated[Opened, Depends(repository)]
Db = Annotated[Database, Depends(database)]
