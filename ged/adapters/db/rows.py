"""Conversions between table rows and domain objects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import RowMapping

from ged.domain.model import (
    Damage,
    Document,
    Dossier,
    DossierStatus,
    ExtractionStatus,
    Metadata,
    Organisation,
    PlanNode,
    Service,
    Version,
)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes and PostgreSQL the session's zone: normalise to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def optional_utc(value: datetime | None) -> datetime | None:
    """``as_utc`` for a nullable column."""
    return None if value is None else as_utc(value)


def organisation(row: RowMapping) -> Organisation:
    return Organisation(id=row["id"], name=row["name"], created_at=as_utc(row["created_at"]))


def service(row: RowMapping) -> Service:
    return Service(
        id=row["id"],
        organisation_id=row["organisation_id"],
        name=row["name"],
        seda_identifier=row["seda_identifier"],
    )


def plan_node(row: RowMapping) -> PlanNode:
    return PlanNode(
        id=row["id"],
        organisation_id=row["organisation_id"],
        code=row["code"],
        label=row["label"],
        parent_id=row["parent_id"],
    )


def dossier(row: RowMapping) -> Dossier:
    return Dossier(
        id=row["id"],
        organisation_id=row["organisation_id"],
        service_id=row["service_id"],
        plan_node_id=row["plan_node_id"],
        title=row["title"],
        description=row["description"],
        reference=row["reference"],
        status=DossierStatus(row["status"]),
        opened_on=row["opened_on"],
        closed_on=row["closed_on"],
    )


def dossier_values(d: Dossier) -> dict[str, Any]:
    return {
        "id": d.id,
        "organisation_id": d.organisation_id,
        "service_id": d.service_id,
        "plan_node_id": d.plan_node_id,
        "title": d.title,
        "description": d.description,
        "reference": d.reference,
        "status": d.status.value,
        "opened_on": d.opened_on,
        "closed_on": d.closed_on,
    }


def document(row: RowMapping) -> Document:
    meta = Metadata(
        title=row["title"],
        description=row["description"],
        author=row["author"],
        language=row["language"],
        document_type=row["document_type"],
        keywords=list(row["keywords"] or []),
        created_on=row["created_on"],
        received_on=row["received_on"],
        extra=dict(row["extra"] or {}),
    )
    return Document(
        id=row["id"],
        organisation_id=row["organisation_id"],
        dossier_id=row["dossier_id"],
        service_id=row["service_id"],
        metadata=meta,
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        current_version=row["current_version"],
    )


def document_values(doc: Document) -> dict[str, Any]:
    m = doc.metadata
    return {
        "id": doc.id,
        "organisation_id": doc.organisation_id,
        "dossier_id": doc.dossier_id,
        "service_id": doc.service_id,
        "title": m.title,
        "description": m.description,
        "author": m.author,
        "language": m.language,
        "document_type": m.document_type,
        "keywords": list(m.keywords),
        "created_on": m.created_on,
        "received_on": m.received_on,
        "extra": dict(m.extra),
        "current_version": doc.current_version,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
    }


def version(row: RowMapping) -> Version:
    return Version(
        document_id=row["document_id"],
        number=row["number"],
        sha256=row["sha256"],
        sha512=row["sha512"],
        size=row["size"],
        filename=row["filename"],
        mime_type=row["mime_type"],
        puid=row["puid"],
        format_name=row["format_name"],
        created_at=as_utc(row["created_at"]),
        created_by=row["created_by"],
        extraction_status=ExtractionStatus(row["extraction_status"]),
        extraction_error=row["extraction_error"],
        damage=Damage(row["damage"]) if row["damage"] else None,
    )
