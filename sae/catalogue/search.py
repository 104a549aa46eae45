"""Finding and reading the catalogue (OAIS Data Management and Access, ISO 14721 §4.1.1.4-6).

Searches never leave the tenant (the query's organisation): another tenant's archive is "not
found", exactly like a missing one. Each call reads through its own unit of work (no lock).
"""

from __future__ import annotations

from sae.model import ArchiveDetail, ArchivePage, ArchiveQuery, CatalogueObject
from sae.ports import Database


def search_archives(db: Database, query: ArchiveQuery) -> ArchivePage:
    with db.reading(query.organisation) as uow:
        return uow.catalogue.search(query)


def archive_detail(db: Database, organisation: str, archive_id: str) -> ArchiveDetail:
    """The unit, its children in SIP order and the objects it references."""
    with db.reading(organisation) as uow:
        return uow.catalogue.detail(archive_id)


def archive_object(
    db: Database, organisation: str, archive_id: str, object_id: str
) -> CatalogueObject:
    """An object of the unit ``archive_id``; 404 when the unit does not reference it."""
    with db.reading(organisation) as uow:
        return uow.catalogue.object(archive_id, object_id)
