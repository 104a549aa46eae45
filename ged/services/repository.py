"""The repository port: every query the services need (implemented in ged.adapters.db).

Generated from ``SqlRepository`` by scripts/gen_repository_protocol.py; mypy checks that the
adapter satisfies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ged.domain.access import Principal
from ged.domain.model import (
    Document,
    Dossier,
    DossierStatus,
    ExtractionStatus,
    Organisation,
    PlanNode,
    PrincipalKind,
    Service,
    Version,
)
from ged.domain.search import SearchPage, SearchQuery
from kernel.blobstore.ports import ContentRef


@dataclass(frozen=True)
class ProcessedVersion:
    """What identification and extraction found for one version."""

    document_id: str
    number: int
    puid: str | None
    format_name: str
    mime_type: str
    status: ExtractionStatus
    error: str | None


class SearchIndex(Protocol):
    def index(self, document_pk: int, fields: dict[str, str]) -> None: ...

    def index_many(self, items: list[tuple[int, dict[str, str]]]) -> None: ...

    def remove(self, document_pk: int) -> None: ...

    def search(self, query: SearchQuery) -> SearchPage: ...


class Repository(Protocol):
    @property
    def search(self) -> SearchIndex: ...

    def add_organisation(self, org: Organisation) -> None: ...

    def get_organisation(self, org_id: str) -> Organisation | None: ...

    def find_organisation(self, name: str) -> Organisation | None: ...

    def list_organisations(self) -> list[Organisation]: ...

    def add_service(self, service: Service) -> None: ...

    def get_service(self, org_id: str, service_id: str) -> Service | None: ...

    def find_service(self, org_id: str, seda_identifier: str) -> Service | None: ...

    def list_services(self, org_id: str) -> list[Service]: ...

    def add_principal(self, principal: Principal, created_at: datetime) -> None: ...

    def get_principal(self, principal_id: str) -> Principal | None: ...

    def find_principal(self, org_id: str, name: str) -> Principal | None: ...

    def list_principals(self, org_id: str, kind: PrincipalKind) -> list[Principal]:
        """The organisation's principals of one kind (people, application clients), by name."""
        ...

    def add_plan_node(self, node: PlanNode) -> None: ...

    def get_plan_node(self, org_id: str, node_id: str) -> PlanNode | None: ...

    def find_plan_node(self, org_id: str, code: str) -> PlanNode | None: ...

    def list_plan_nodes(self, org_id: str) -> list[PlanNode]: ...

    def update_plan_node(self, node: PlanNode) -> None: ...

    def add_dossier(self, dossier: Dossier, at: datetime) -> None: ...

    def get_dossier(self, dossier_id: str) -> Dossier | None: ...

    def update_dossier(self, dossier: Dossier, at: datetime) -> None: ...

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
        """Most recently opened first; ``phase``: the phase the lifecycle engine recorded."""
        ...

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
        ...

    def add_document(self, doc: Document) -> int: ...

    def add_documents(self, docs: list[Document]) -> dict[str, int]: ...

    def get_document(self, document_id: str) -> Document | None: ...

    def document_pk(self, document_id: str) -> int: ...

    def update_document(self, doc: Document) -> None: ...

    def ensure_blob(self, ref: ContentRef, at: datetime) -> None: ...

    def ensure_blobs(self, refs: list[ContentRef], at: datetime) -> None: ...

    def blob_referenced(self, sha256: str) -> bool: ...

    def delete_blob_row(self, sha256: str) -> None: ...

    def add_version(self, v: Version) -> None: ...

    def add_versions(self, versions: list[Version]) -> None: ...

    def get_version(self, document_id: str, number: int) -> Version | None: ...

    def list_versions(self, document_id: str) -> list[Version]: ...

    def versions_in(self, dossier_id: str) -> dict[str, list[Version]]:
        """Every version of every document of a dossier, oldest first, in one query."""
        ...

    def set_version_format(
        self, document_id: str, number: int, puid: str | None, name: str, mime: str
    ) -> None: ...

    def set_extraction(
        self, document_id: str, number: int, status: ExtractionStatus, error: str | None
    ) -> None: ...

    def set_text(self, document_id: str, number: int, body: str) -> None: ...

    def add_texts(self, texts: list[tuple[str, int, str]]) -> None: ...

    def get_text(self, document_id: str, number: int) -> str | None: ...

    def versions_pending_extraction(
        self, limit: int, after: tuple[str, int] | None = None
    ) -> list[tuple[str, int]]:
        """Versions still waiting for identification and extraction, in key order, those
        after ``after`` only."""
        ...

    def count_pending_extraction(self) -> int: ...

    def get_versions(self, keys: list[tuple[str, int]]) -> list[Version]:
        """The versions found among ``keys``, in one query (in no particular order)."""
        ...

    def get_documents(self, ids: list[str]) -> dict[str, Document]: ...

    def document_pks(self, ids: list[str]) -> dict[str, int]: ...

    def set_processed(self, outcomes: list[ProcessedVersion]) -> None:
        """Format and extraction outcome of many versions, in one round trip."""
        ...

    def get_idempotency(
        self, principal_id: str, key: str
    ) -> tuple[str, int | None, str | None] | None: ...

    def reserve_idempotency(
        self, principal_id: str, key: str, fingerprint: str, at: datetime
    ) -> bool: ...

    def complete_idempotency(
        self, principal_id: str, key: str, status_code: int, response: str, fingerprint: str
    ) -> None: ...

    def release_idempotency(self, principal_id: str, key: str) -> None: ...

    def documents_in(
        self, dossier_id: str, limit: int | None = None, offset: int = 0, after: str | None = None
    ) -> list[Document]:
        """In filing order; ``limit`` rows after ``offset`` (all of them without a limit), from
        the one filed after the document ``after`` when given (pages that cost the same however
        far they are)."""
        ...

    def count_documents_in(self, dossier_id: str) -> int: ...

    def current_versions(self, document_ids: list[str]) -> dict[str, Version]: ...
