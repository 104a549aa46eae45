"""The access register: every communication (a delivery granted) and every download of an
archived object, who had what, when, under which rule or derogation — for the producer's data
protection officer (RGPD, article 30 records) and the archives' statistics. Recorded in the
same transaction as the act (a delivery) or before the first byte is sent (a download);
exported as CSV with French headers, written as it is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Final

from sae.model import AccessBasis, AccessRecord, CatalogueObject, Principal
from sae.ports import Database

HEADERS: Final = (
    "Date et heure (UTC)",
    "Nature",
    "Archive",
    "Intitulé",
    "Objet",
    "Demandeur",
    "Agent",
    "Fondement",
    "Règle de communicabilité",
    "Dérogation",
    "Demande de communication",
)
KINDS: Final = {"communication": "communication", "download": "téléchargement"}
BASES: Final = {
    AccessBasis.FREE: "librement communicable",
    AccessBasis.RULE: "délai de communicabilité échu",
    AccessBasis.DEROGATION: "dérogation",
    AccessBasis.ROLE: "accès de l'archiviste ou du service versant",
}
ROLES: Final = {"archivist": "archiviste", "transferring": "service versant", "reader": "lecteur"}


def download_object(
    db: Database, who: Principal, archive_id: str, object_id: str, now: datetime
) -> CatalogueObject:
    """The object of the unit ``archive_id`` (404 when the unit does not reference it), its
    download recorded in the register."""
    with db.unit_of_work(who.organisation) as uow:
        unit = uow.catalogue.detail(archive_id).unit
        found = uow.catalogue.object(archive_id, object_id)
        record = AccessRecord(
            at=now,
            actor=who.name,
            requester=ROLES.get(who.role, who.role),
            kind="download",
            archive_id=archive_id,
            title=unit.title,
            basis=AccessBasis.ROLE,
            object_id=object_id,
        )
        uow.access_register.add([record])
        uow.commit()
    return found


def register_csv(db: Database, tenant: str, start: date | None, end: date | None) -> Iterator[str]:
    """The register's lines from ``start`` to ``end`` (days included), as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    yield _drained(buffer)
    with db.reading(tenant) as uow:
        for record in uow.access_register.between(start, end):
            writer.writerow(_row(record))
            yield _drained(buffer)


def _row(record: AccessRecord) -> list[str]:
    return [
        record.at.isoformat(timespec="seconds"),
        KINDS[record.kind],
        record.archive_id,
        record.title,
        record.object_id or "",
        record.requester,
        record.actor,
        BASES[record.basis],
        record.rule_id or "",
        record.derogation_id or "",
        record.delivery or "",
    ]


def _drained(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
