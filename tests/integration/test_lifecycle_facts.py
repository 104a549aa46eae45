"""The facts a dossier's rules start from, read from the database's indexes (migration 0017):
the date of its latest document and its document types, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

from ged.domain.model import Metadata
from ged.services import documents, filing
from tests.fixtures.ged import Ged

FILED_ON = date(2026, 1, 15)  # the fixed clock's day


def dossier_with(ged: Ged, *pieces: tuple[date | None, str]) -> str:
    """A dossier holding one document per (its own date or None, its type)."""
    made = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Dossier", opened_on=date(2018, 1, 1)
    ).id
    for created_on, kind in pieces:
        meta = Metadata(title="pièce", created_on=created_on, document_type=kind)
        documents.file_document(
            ged.ctx, ged.admin, made, io.BytesIO(b"x"), filename="p.txt", metadata=meta
        )
    return made


def test_the_latest_document_date_is_its_own_date_else_the_day_it_was_filed(ged: Ged) -> None:
    dated = dossier_with(
        ged, (date(2019, 5, 1), ""), (date(2021, 2, 3), ""), (date(2020, 1, 1), "")
    )
    mixed = dossier_with(ged, (date(2019, 5, 1), ""), (None, ""))
    undated = dossier_with(ged, (None, ""), (None, ""))
    empty = dossier_with(ged)
    with ged.ctx.uow() as uow:
        found = uow.lifecycle.last_document_dates([dated, mixed, undated, empty])
    assert found == {dated: date(2021, 2, 3), mixed: FILED_ON, undated: FILED_ON}


def test_a_dossiers_document_types_are_each_named_once(ged: Ged) -> None:
    typed = dossier_with(
        ged, (None, "arrêté"), (None, "arrêté"), (None, "délibération"), (None, "")
    )
    untyped = dossier_with(ged, (None, ""))
    with ged.ctx.uow() as uow:
        found = uow.lifecycle.document_types([typed, untyped])
    assert found == {typed: frozenset({"arrêté", "délibération"})}
