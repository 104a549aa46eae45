"""A dossier's documents with their versions (``GET /api/v1/dossiers/{id}/documents``, ``gedsae
dossiers show``) are read in a fixed number of queries, whatever the dossier's size: one for the
documents, one for all their versions (it used to be one more query per document)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from ged.domain.model import Metadata
from ged.services import documents, filing
from tests.fixtures.ged import Ged


def dossier_of(ged: Ged, count: int) -> str:
    made = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="D").id
    for n in range(count):
        filed = documents.file_document(
            ged.ctx, ged.admin, made, io.BytesIO(b"v1 %d" % n), filename=f"{n}.txt",
            metadata=Metadata(title=f"pièce {n}"),
        )  # fmt: skip
        if n % 2:
            documents.add_version(
                ged.ctx, ged.admin, filed.document.id, io.BytesIO(b"v2 %d" % n), filename="v2.txt"
            )
    return made


@contextmanager
def counted(ged: Ged) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(ged.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(ged.engine, "before_cursor_execute", count)


def test_a_dossiers_documents_take_as_many_queries_for_two_as_for_six(ged: Ged) -> None:
    small, large = dossier_of(ged, 2), dossier_of(ged, 6)
    with counted(ged) as for_small:
        filing.dossier_documents(ged.ctx, ged.admin, small)
    with counted(ged) as for_large:
        found = filing.dossier_documents(ged.ctx, ged.admin, large)
    assert len(for_large) == len(for_small)
    assert [len(f.versions) for f in found] == [1, 2, 1, 2, 1, 2]
    assert [[v.number for v in f.versions] for f in found][1] == [1, 2]
    assert found[1].versions[1].filename == "v2.txt"
