"""SQL repository: every query the services need, on one connection (one transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ged.adapters.db import rows
from ged.adapters.db import tables as t
from ged.adapters.db.search import search_index_for
from ged.domain.access import Principal
from ged.domain.model import (
    Document,
    Dossier,
    DossierStatus,
    ExtractionStatus,
    Organisation,
    PlanNode,
    PrincipalKind,
    Role,
    Service,
    Version,
)
from ged.services.repository import ProcessedVersion, SearchIndex
from kernel.blobstore.ports import ContentRef
from kernel.database import insert_many

_VERSION_COLUMNS = [*t.versions.c, t.blobs.c.sha512, t.blobs.c.damage]


class SqlRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.search: SearchIndex = search_index_for(conn)

    # -- organisations, services, principals ---------------------------------------------
    def add_organisation(self, org: Organisation) -> None:
        self.conn.execute(
            insert(t.organisations).values(id=org.id, name=org.name, created_at=org.created_at)
        )

    def get_organisation(self, org_id: str) -> Organisation | None:
        row = (
            self.conn.execute(select(t.organisations).where(t.organisations.c.id == org_id))
            .mappings()
            .first()
        )
        return rows.organisation(row) if row else None

    def find_organisation(self, name: str) -> Organisation | None:
        row = (
            self.conn.execute(select(t.organisations).where(t.organisations.c.name == name))
            .mappings()
            .first()
        )
        return rows.organisation(row) if row else None

    def list_organisations(self) -> list[Organisation]:
        result = self.conn.execute(
            select(t.organisations).order_by(t.organisations.c.name)
        ).mappings()
        return [rows.organisation(r) for r in result]

    def add_service(self, service: Service) -> None:
        self.conn.execute(insert(t.services).values(**service.__dict__))

    def get_service(self, org_id: str, service_id: str) -> Service | None:
        query = select(t.services).where(
            t.services.c.id == service_id, t.services.c.organisation_id == org_id
        )
        row = self.conn.execute(query).mappings().first()
        return rows.service(row) if row else None

    def find_service(self, org_id: str, seda_identifier: str) -> Service | None:
        query = select(t.services).where(
            t.services.c.organisation_id == org_id, t.services.c.seda_identifier == seda_identifier
        )
        row = self.conn.execute(query).mappings().first()
        return rows.service(row) if row else None

    def list_services(self, org_id: str) -> list[Service]:
        query = (
            select(t.services)
            .where(t.services.c.organisation_id == org_id)
            .order_by(t.services.c.name)
        )
        return [rows.service(r) for r in self.conn.execute(query).mappings()]

    def add_principal(self, principal: Principal, created_at: datetime) -> None:
        self.conn.execute(
            insert(t.principals).values(
                id=principal.id,
                organisation_id=principal.organisation_id,
                name=principal.name,
                kind=principal.kind.value,
                roles=",".join(sorted(r.value for r in principal.roles)),
                platform_admin=principal.platform_admin,
                created_at=created_at,
            )
        )
        for service_id in sorted(principal.service_ids):
            self.conn.execute(
                insert(t.principal_services).values(
                    principal_id=principal.id, service_id=service_id
                )
            )

    def get_principal(self, principal_id: str) -> Principal | None:
        row = (
            self.conn.execute(select(t.principals).where(t.principals.c.id == principal_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        query = select(t.principal_services.c.service_id).where(
            t.principal_services.c.principal_id == principal_id
        )
        service_ids = frozenset(self.conn.execute(query).scalars())
        return Principal(
            id=row["id"],
            name=row["name"],
            organisation_id=row["organisation_id"],
            roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
            service_ids=service_ids,
            platform_admin=bool(row["platform_admin"]),
            kind=PrincipalKind(row["kind"]),
        )

    def find_principal(self, org_id: str, name: str) -> Principal | None:
        query = select(t.principals.c.id).where(
            t.principals.c.organisation_id == org_id, t.principals.c.name == name
        )
        principal_id = self.conn.execute(query).scalar()
        return self.get_principal(principal_id) if principal_id else None

    def list_principals(self, org_id: str, kind: PrincipalKind) -> list[Principal]:
        c = t.principals.c
        query = (
            select(c.id).where(c.organisation_id == org_id, c.kind == kind.value).order_by(c.name)
        )
        found = [self.get_principal(i) for i in self.conn.execute(query).scalars()]
        return [p for p in found if p is not None]

    # -- classification plan --------------------------------------------------------------
    def add_plan_node(self, node: PlanNode) -> None:
        self.conn.execute(insert(t.plan_nodes).values(**node.__dict__))

    def get_plan_node(self, org_id: str, node_id: str) -> PlanNode | None:
        query = select(t.plan_nodes).where(
            t.plan_nodes.c.id == node_id, t.plan_nodes.c.organisation_id == org_id
        )
        row = self.conn.execute(query).mappings().first()
        return rows.plan_node(row) if row else None

    def find_plan_node(self, org_id: str, code: str) -> PlanNode | None:
        query = select(t.plan_nodes).where(
            t.plan_nodes.c.code == code, t.plan_nodes.c.organisation_id == org_id
        )
        row = self.conn.execute(query).mappings().first()
        return rows.plan_node(row) if row else None

    def list_plan_nodes(self, org_id: str) -> list[PlanNode]:
        query = (
            select(t.plan_nodes)
            .where(t.plan_nodes.c.organisation_id == org_id)
            .order_by(t.plan_nodes.c.code)
        )
        return [rows.plan_node(r) for r in self.conn.execute(query).mappings()]

    def update_plan_node(self, node: PlanNode) -> None:
        values = {"code": node.code, "label": node.label, "parent_id": node.parent_id}
        self.conn.execute(update(t.plan_nodes).where(t.plan_nodes.c.id == node.id).values(**values))

    # -- dossiers -------------------------------------------------------------------------
    def add_dossier(self, dossier: Dossier, at: datetime) -> None:
        self.conn.execute(
            insert(t.dossiers).values(**rows.dossier_values(dossier), created_at=at, updated_at=at)
        )

    def get_dossier(self, dossier_id: str) -> Dossier | None:
        row = (
            self.conn.execute(select(t.dossiers).where(t.dossiers.c.id == dossier_id))
            .mappings()
            .first()
        )
        return rows.dossier(row) if row else None

    def update_dossier(self, dossier: Dossier, at: datetime) -> None:
        values = rows.dossier_values(dossier)
        self.conn.execute(
            update(t.dossiers).where(t.dossiers.c.id == dossier.id).values(**values, updated_at=at)
        )

    def list_dossiers(
        self,
        org_id: str,
        service_ids: frozenset[str] | None,
        status: DossierStatus | None,
        plan_node_id: str | None,
        limit: int,
        offset: int,
        *,
        phase: str | None = None,
    ) -> list[Dossier]:
        c = t.dossiers.c
        query = (
            select(t.dossiers)
            .where(_dossiers_where(org_id, service_ids, status, plan_node_id, phase))
            .order_by(c.opened_on.desc(), c.id)
            .limit(limit)
            .offset(offset)
        )
        return [rows.dossier(r) for r in self.conn.execute(query).mappings()]

    def count_dossiers(
        self,
        org_id: str,
        service_ids: frozenset[str] | None,
        status: DossierStatus | None,
        plan_node_id: str | None,
        *,
        phase: str | None = None,
    ) -> int:
        """How many dossiers ``list_dossiers`` pages through, with the same filters."""
        where = _dossiers_where(org_id, service_ids, status, plan_node_id, phase)
        return int(self.conn.execute(select(func.count()).where(where)).scalar_one())

    # -- documents and versions -----------------------------------------------------------
    def add_document(self, doc: Document) -> int:
        result = self.conn.execute(insert(t.documents).values(**rows.document_values(doc)))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def add_documents(self, docs: list[Document]) -> dict[str, int]:
        """Inserts in one round trip; returns each document's integer key (the FTS rowid)."""
        insert_many(self.conn, t.documents, [rows.document_values(d) for d in docs])
        return self.document_pks([d.id for d in docs])

    def get_document(self, document_id: str) -> Document | None:
        row = (
            self.conn.execute(select(t.documents).where(t.documents.c.id == document_id))
            .mappings()
            .first()
        )
        return rows.document(row) if row else None

    def document_pk(self, document_id: str) -> int:
        return int(
            self.conn.execute(
                select(t.documents.c.pk).where(t.documents.c.id == document_id)
            ).scalar_one()
        )

    def update_document(self, doc: Document) -> None:
        values = rows.document_values(doc)
        self.conn.execute(update(t.documents).where(t.documents.c.id == doc.id).values(**values))

    def ensure_blob(self, ref: ContentRef, at: datetime) -> None:
        self.ensure_blobs([ref], at)

    def ensure_blobs(self, refs: list[ContentRef], at: datetime) -> None:
        unique = {ref.sha256: ref for ref in refs}
        query = select(t.blobs.c.sha256).where(t.blobs.c.sha256.in_(sorted(unique)))
        known = set(self.conn.execute(query).scalars())
        missing = [
            {"sha256": r.sha256, "sha512": r.sha512, "size": r.size, "created_at": at}
            for digest, r in unique.items()
            if digest not in known
        ]
        insert_many(self.conn, t.blobs, missing)

    def blob_referenced(self, sha256: str) -> bool:
        query = select(func.count()).select_from(t.versions).where(t.versions.c.sha256 == sha256)
        return bool(self.conn.execute(query).scalar_one())

    def delete_blob_row(self, sha256: str) -> None:
        self.conn.execute(t.blobs.delete().where(t.blobs.c.sha256 == sha256))

    def add_version(self, v: Version) -> None:
        self.add_versions([v])

    def add_versions(self, versions: list[Version]) -> None:
        rows = []
        for v in versions:
            values = {k: v.__dict__[k] for k in v.__dict__ if k not in ("sha512", "damage")}
            values["extraction_status"] = v.extraction_status.value
            rows.append(values)
        insert_many(self.conn, t.versions, rows)

    def get_version(self, document_id: str, number: int) -> Version | None:
        query = (
            select(*_VERSION_COLUMNS)
            .join(t.blobs, t.blobs.c.sha256 == t.versions.c.sha256)
            .where(t.versions.c.document_id == document_id, t.versions.c.number == number)
        )
        row = self.conn.execute(query).mappings().first()
        return rows.version(row) if row else None

    def list_versions(self, document_id: str) -> list[Version]:
        query = (
            select(*_VERSION_COLUMNS)
            .join(t.blobs, t.blobs.c.sha256 == t.versions.c.sha256)
            .where(t.versions.c.document_id == document_id)
            .order_by(t.versions.c.number)
        )
        return [rows.version(r) for r in self.conn.execute(query).mappings()]

    def versions_in(self, dossier_id: str) -> dict[str, list[Version]]:
        """Every version of every document of a dossier, oldest first, in one query."""
        v = t.versions.c
        query = (
            select(*_VERSION_COLUMNS)
            .join(t.blobs, t.blobs.c.sha256 == v.sha256)
            .join(t.documents, t.documents.c.id == v.document_id)
            .where(t.documents.c.dossier_id == dossier_id)
            .order_by(v.document_id, v.number)
        )
        found: dict[str, list[Version]] = {}
        for row in self.conn.execute(query).mappings():
            found.setdefault(row["document_id"], []).append(rows.version(row))
        return found

    def set_version_format(
        self, document_id: str, number: int, puid: str | None, name: str, mime: str
    ) -> None:
        where = and_(t.versions.c.document_id == document_id, t.versions.c.number == number)
        self.conn.execute(
            update(t.versions).where(where).values(puid=puid, format_name=name, mime_type=mime)
        )

    def set_extraction(
        self, document_id: str, number: int, status: ExtractionStatus, error: str | None
    ) -> None:
        where = and_(t.versions.c.document_id == document_id, t.versions.c.number == number)
        values = {"extraction_status": status.value, "extraction_error": error}
        self.conn.execute(update(t.versions).where(where).values(**values))

    def set_text(self, document_id: str, number: int, body: str) -> None:
        self.add_texts([(document_id, number, body)])

    def add_texts(self, texts: list[tuple[str, int, str]]) -> None:
        if texts:
            rows = [{"document_id": d, "number": n, "body": b} for d, n, b in texts]
            self.conn.execute(insert(t.texts), rows)

    def get_text(self, document_id: str, number: int) -> str | None:
        query = select(t.texts.c.body).where(
            t.texts.c.document_id == document_id, t.texts.c.number == number
        )
        return self.conn.execute(query).scalar()

    def versions_pending_extraction(
        self, limit: int, after: tuple[str, int] | None = None
    ) -> list[tuple[str, int]]:
        v = t.versions.c
        where = v.extraction_status == ExtractionStatus.PENDING.value
        if after is not None:
            doc_id, number = after
            where = and_(
                where, or_(v.document_id > doc_id, and_(v.document_id == doc_id, v.number > number))
            )
        query = (
            select(v.document_id, v.number)
            .where(where)
            .order_by(v.document_id, v.number)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in self.conn.execute(query)]

    def count_pending_extraction(self) -> int:
        pending = t.versions.c.extraction_status == ExtractionStatus.PENDING.value
        return int(self.conn.execute(select(func.count()).where(pending)).scalar_one())

    def get_versions(self, keys: list[tuple[str, int]]) -> list[Version]:
        if not keys:
            return []
        wanted = set(keys)
        v = t.versions.c
        query = (
            select(*_VERSION_COLUMNS)
            .join(t.blobs, t.blobs.c.sha256 == v.sha256)
            .where(v.document_id.in_(sorted({doc_id for doc_id, _ in keys})))
        )
        found = [rows.version(r) for r in self.conn.execute(query).mappings()]
        return [version for version in found if (version.document_id, version.number) in wanted]

    def get_documents(self, ids: list[str]) -> dict[str, Document]:
        if not ids:
            return {}
        query = select(t.documents).where(t.documents.c.id.in_(sorted(set(ids))))
        return {r["id"]: rows.document(r) for r in self.conn.execute(query).mappings()}

    def document_pks(self, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        c = t.documents.c
        query = select(c.id, c.pk).where(c.id.in_(sorted(set(ids))))
        return {row[0]: int(row[1]) for row in self.conn.execute(query)}

    def set_processed(self, outcomes: list[ProcessedVersion]) -> None:
        """Only versions still pending are written: another process (a server resuming the
        same versions) may have recorded them meanwhile."""
        if not outcomes:
            return
        v = t.versions.c
        statement = (
            update(t.versions)
            .where(
                v.document_id == bindparam("b_document_id"),
                v.number == bindparam("b_number"),
                v.extraction_status == ExtractionStatus.PENDING.value,
            )
            .values(
                puid=bindparam("b_puid"),
                format_name=bindparam("b_format_name"),
                mime_type=bindparam("b_mime_type"),
                extraction_status=bindparam("b_status"),
                extraction_error=bindparam("b_error"),
            )
        )
        self.conn.execute(
            statement,
            [
                {
                    "b_document_id": o.document_id,
                    "b_number": o.number,
                    "b_puid": o.puid,
                    "b_format_name": o.format_name[:300],
                    "b_mime_type": o.mime_type.split(";")[0].strip()[:200],
                    "b_status": o.status.value,
                    "b_error": o.error,
                }
                for o in outcomes
            ],
        )

    # -- idempotency keys -------------------------------------------------------------------
    def get_idempotency(
        self, principal_id: str, key: str
    ) -> tuple[str, int | None, str | None] | None:
        c = t.idempotency_keys.c
        query = select(c.fingerprint, c.status_code, c.response).where(
            c.principal_id == principal_id, c.key == key
        )
        row = self.conn.execute(query).first()
        return (row[0], row[1], row[2]) if row else None

    def reserve_idempotency(
        self, principal_id: str, key: str, fingerprint: str, at: datetime
    ) -> bool:
        """False when a concurrent request reserved the same key first."""
        values = {
            "principal_id": principal_id,
            "key": key,
            "fingerprint": fingerprint,
            "created_at": at,
        }
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.idempotency_keys).values(**values))
        except IntegrityError:
            return False
        return True

    def complete_idempotency(
        self, principal_id: str, key: str, status_code: int, response: str, fingerprint: str
    ) -> None:
        c = t.idempotency_keys.c
        where = and_(c.principal_id == principal_id, c.key == key)
        self.conn.execute(
            update(t.idempotency_keys)
            .where(where)
            .values(status_code=status_code, response=response, fingerprint=fingerprint)
        )

    def release_idempotency(self, principal_id: str, key: str) -> None:
        c = t.idempotency_keys.c
        self.conn.execute(
            t.idempotency_keys.delete().where(c.principal_id == principal_id, c.key == key)
        )

    def documents_in(
        self, dossier_id: str, limit: int | None = None, offset: int = 0, after: str | None = None
    ) -> list[Document]:
        """In filing order; ``limit`` rows after ``offset`` (all of them without a limit), from
        the one filed after the document ``after`` when given."""
        d = t.documents.c
        query = (
            select(t.documents)
            .where(d.dossier_id == dossier_id)
            .order_by(d.pk)
            .limit(limit)
            .offset(offset)
        )
        if after is not None:
            query = query.where(d.pk > select(d.pk).where(d.id == after).scalar_subquery())
        return [rows.document(r) for r in self.conn.execute(query).mappings()]

    def count_documents_in(self, dossier_id: str) -> int:
        query = select(func.count()).where(t.documents.c.dossier_id == dossier_id)
        return int(self.conn.execute(query).scalar_one())

    def current_versions(self, document_ids: list[str]) -> dict[str, Version]:
        """The current version of each document, in one query."""
        if not document_ids:
            return {}
        d, v = t.documents.c, t.versions.c
        query = (
            select(*_VERSION_COLUMNS)
            .join(t.blobs, t.blobs.c.sha256 == v.sha256)
            .join(t.documents, and_(d.id == v.document_id, d.current_version == v.number))
            .where(d.id.in_(document_ids))
        )
        return {r["document_id"]: rows.version(r) for r in self.conn.execute(query).mappings()}


def _dossiers_where(
    org_id: str,
    service_ids: frozenset[str] | None,
    status: DossierStatus | None,
    plan_node_id: str | None,
    phase: str | None,
) -> ColumnElement[bool]:
    c = t.dossiers.c
    clauses = [c.organisation_id == org_id]
    if phase is not None:
        recorded = t.dossier_lifecycle.c
        clauses.append(c.id.in_(select(recorded.dossier_id).where(recorded.phase == phase)))
    if service_ids is not None:
        clauses.append(c.service_id.in_(sorted(service_ids)))
    if status is not None:
        clauses.append(c.status == status.value)
    if plan_node_id is not None:
        clauses.append(c.plan_node_id == plan_node_id)
    return and_(*clauses)
