"""SQL side of ``ged.services.signatures``: the ``signature_reports`` table, one row per version
(its last report), the checks of every signature in a JSON column."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.engine import RowMapping

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc
from ged.domain.signatures import SignatureCheck, SignatureFormat, SignatureReport, SignatureStatus
from kernel.database import insert_many

_R = t.signature_reports


class SqlSignatureRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save(self, document_id: str, number: int, report: SignatureReport) -> None:
        self.save_many([(document_id, number, report)])

    def save_many(self, reports: list[tuple[str, int, SignatureReport]]) -> None:
        """Each version's report replaces its last one: two statements for all of them."""
        if not reports:
            return
        self.conn.execute(
            delete(_R).where(
                _R.c.document_id == bindparam("b_document_id"), _R.c.number == bindparam("b_number")
            ),
            [
                {"b_document_id": document_id, "b_number": number}
                for document_id, number, _ in reports
            ],
        )
        insert_many(self.conn, _R, [_report_row(*report) for report in reports])

    def get(self, document_id: str, number: int) -> SignatureReport | None:
        query = select(_R).where(_R.c.document_id == document_id, _R.c.number == number)
        row = self.conn.execute(query).mappings().first()
        return _report(row) if row else None

    def of_document(self, document_id: str) -> dict[int, SignatureReport]:
        query = select(_R).where(_R.c.document_id == document_id)
        return {row["number"]: _report(row) for row in self.conn.execute(query).mappings()}

    def current_in_dossier(self, dossier_id: str) -> dict[str, SignatureReport]:
        d = t.documents
        query = (
            select(_R)
            .join(d, (d.c.id == _R.c.document_id) & (d.c.current_version == _R.c.number))
            .where(d.c.dossier_id == dossier_id)
        )
        return {row["document_id"]: _report(row) for row in self.conn.execute(query).mappings()}

    def current_versions(self, organisation_id: str) -> list[tuple[str, int]]:
        d = t.documents
        query = (
            select(d.c.id, d.c.current_version)
            .where(d.c.organisation_id == organisation_id)
            .order_by(d.c.pk)
        )
        return [(row[0], row[1]) for row in self.conn.execute(query)]


def _check_row(check: SignatureCheck) -> dict[str, Any]:
    return {
        "format": check.format.value,
        "status": check.status.value,
        "reasons": list(check.reasons),
        "signer": check.signer,
        "signing_time": _iso(check.signing_time),
        "timestamp_time": _iso(check.timestamp_time),
        "source": check.source,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _report(row: RowMapping) -> SignatureReport:
    checks = tuple(
        SignatureCheck(
            format=SignatureFormat(item["format"]),
            status=SignatureStatus(item["status"]),
            reasons=tuple(item["reasons"]),
            signer=item["signer"],
            signing_time=_parse(item["signing_time"]),
            timestamp_time=_parse(item["timestamp_time"]),
            source=item["source"],
        )
        for item in row["signatures"]
    )
    return SignatureReport(
        SignatureStatus(row["status"]), checks, as_utc(row["checked_at"]), row["anchors"]
    )


def _report_row(document_id: str, number: int, report: SignatureReport) -> dict[str, Any]:
    main = report.main
    return {
        "document_id": document_id,
        "number": number,
        "status": report.status.value,
        "format": main.format.value if main else None,
        "signer": main.signer if main else None,
        "signing_time": main.signing_time if main else None,
        "timestamp_time": main.timestamp_time if main else None,
        "reasons": list(main.reasons) if main else [],
        "signatures": [_check_row(check) for check in report.signatures],
        "anchors": report.anchors,
        "checked_at": report.checked_at,
    }
