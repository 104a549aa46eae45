"""Signature reports and document relations on both databases: a report reads back as written,
the search filters on it, and removing a dossier's content removes them too (no row left
pointing at a removed document)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlalchemy import func, select

from ged.adapters.db import tables as t
from ged.domain.model import Metadata, Relation
from ged.domain.search import SearchQuery
from ged.domain.signatures import SignatureCheck, SignatureFormat, SignatureReport, SignatureStatus
from ged.services import documents, filing
from ged.services.search import search_documents
from tests.fixtures.ged import Ged

AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def _file(ged: Ged, dossier_id: str, name: str) -> str:
    filed = documents.file_document(
        ged.ctx, ged.admin, dossier_id, io.BytesIO(name.encode()), filename=name,
        metadata=Metadata(title=name), mime_type="text/plain",
    )  # fmt: skip
    return filed.document.id


def test_reports_and_relations_are_stored_searched_and_removed_with_the_content(ged: Ged) -> None:
    dossier = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Actes")
    signed, signature = _file(ged, dossier.id, "acte.pdf"), _file(ged, dossier.id, "acte.pdf.p7s")
    check = SignatureCheck(
        SignatureFormat.CADES, SignatureStatus.VALID, (), "CN=Agent", AT, AT, signature
    )
    report = SignatureReport.of([check], AT, "empreinte")
    with ged.ctx.uow() as uow:
        uow.relations.add(signature, Relation.SIGNATURE_OF, signed)
        uow.signatures.save(signed, 1, report)
        uow.commit()

    with ged.ctx.uow() as uow:
        assert uow.signatures.get(signed, 1) == report
    found = search_documents(
        ged.ctx, ged.admin, SearchQuery(ged.admin.organisation_id, signature="valid")
    )
    assert [hit.document.id for hit in found.hits] == [signed]
    unsigned = search_documents(
        ged.ctx, ged.admin, SearchQuery(ged.admin.organisation_id, signature="none")
    )
    assert [hit.document.id for hit in unsigned.hits] == [signature]

    with ged.ctx.uow() as uow:
        uow.lifecycle.delete_dossier_content(dossier.id)
        uow.commit()
        left = [
            uow.conn.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[attr-defined]
            for table in (t.signature_reports, t.document_relations, t.documents)
        ]
    assert left == [0, 0, 0]


def test_reports_saved_together_replace_the_last_report_of_each_version(ged: Ged) -> None:
    dossier = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Actes")
    first, second = _file(ged, dossier.id, "a.pdf"), _file(ged, dossier.id, "b.pdf")
    unsigned = SignatureReport.of([], AT, "empreinte")
    check = SignatureCheck(SignatureFormat.PADES, SignatureStatus.VALID, (), "CN=Agent", AT, AT)
    signed = SignatureReport.of([check], AT, "empreinte")
    with ged.ctx.uow() as uow:
        uow.signatures.save(first, 1, signed)
        uow.commit()

    with ged.ctx.uow() as uow:
        uow.signatures.save_many([(first, 1, unsigned), (second, 1, signed)])
        uow.commit()

    with ged.ctx.uow() as uow:
        assert (uow.signatures.get(first, 1), uow.signatures.get(second, 1)) == (unsigned, signed)
