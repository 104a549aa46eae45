"""What a person browses: the dashboard, a dossier with its documents, the classification plan.

Read-only use cases that gather, for one screen, what the other services give one by one, with
the same access rules: a dossier is read through ``dossier_lifecycle`` (which checks that the
person may read it; another organisation's dossier is not found), the lists through the
services that scope them to the person's organisation and services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ged.domain.access import FILERS, Principal
from ged.domain.lifecycle import Phase, ProposalStatus, Tombstone
from ged.domain.model import Document, Dossier, DossierStatus, PlanNode, Role, Service, Version
from ged.domain.search import SearchHit, SearchQuery, SortKey
from ged.services.admin import principal_names
from ged.services.context import Context
from ged.services.documents import get_document
from ged.services.elimination_review import Volume
from ged.services.eliminations import list_proposals
from ged.services.filing import list_dossiers
from ged.services.lifecycle import DossierLifecycle, dossier_lifecycle, phase_counts
from ged.services.search import search_documents
from kernel.errors import NotFoundError
from kernel.paging import Page

DASHBOARD_ROWS = 10
DOSSIER_DOCUMENTS = 500


@dataclass(frozen=True)
class FiledDocument:
    document: Document
    version: Version | None


@dataclass(frozen=True)
class Task:
    """Something waiting for the person: a count, what it is, where to handle it (if a page
    exists for it)."""

    count: int
    kind: str  # due_dossiers | elimination_visas
    href: str | None = None


@dataclass(frozen=True)
class Dashboard:
    dossiers: list[Dossier]
    recent: list[FiledDocument]
    tasks: list[Task]
    services: dict[str, str]


@dataclass(frozen=True)
class DossierPage:
    lifecycle: DossierLifecycle
    service: Service | None
    plan_path: list[PlanNode]
    documents: list[FiledDocument]
    more_documents: bool
    can_file: bool  # the person may file documents here (a filing role, the dossier open)
    # what is kept of a dossier whose content was eliminated or purged after its transfer
    tombstone: Tombstone | None = None
    names: Mapping[str, str] = field(default_factory=dict)  # the tombstone's people, by id

    @property
    def removed(self) -> Volume:
        return Volume.of(self.tombstone.documents) if self.tombstone else Volume()

    @property
    def dossier(self) -> Dossier:
        return self.lifecycle.dossier


@dataclass(frozen=True)
class DocumentPage:
    document: Document
    versions: list[Version]
    dossier: Dossier
    service: Service | None


def dashboard(ctx: Context, actor: Principal) -> Dashboard:
    """The person's open dossiers, the latest documents filed in what they see, their tasks."""
    dossiers = list_dossiers(ctx, actor, status=DossierStatus.OPEN, page=Page(DASHBOARD_ROWS))
    query = SearchQuery(actor.organisation_id, sort=SortKey.CREATED_AT, limit=DASHBOARD_ROWS)
    hits = [h.document for h in search_documents(ctx, actor, query).hits]
    with ctx.uow() as uow:
        versions = uow.repo.current_versions([d.id for d in hits])
        services = {s.id: s.name for s in uow.repo.list_services(actor.organisation_id)}
    recent = [FiledDocument(d, versions.get(d.id)) for d in hits]
    return Dashboard(dossiers, recent, tasks_of(ctx, actor), services)


@dataclass(frozen=True)
class Found:
    """A search hit with its document's current version (format, size)."""

    hit: SearchHit
    version: Version | None


def search_with_versions(
    ctx: Context, actor: Principal, query: SearchQuery
) -> tuple[list[Found], int | None]:
    """``search_documents``, each hit with its current version; and the next page's offset."""
    page = search_documents(ctx, actor, query)
    with ctx.uow() as uow:
        versions = uow.repo.current_versions([h.document.id for h in page.hits])
    return [Found(h, versions.get(h.document.id)) for h in page.hits], page.next_offset


def tasks_of(ctx: Context, actor: Principal) -> list[Task]:
    found = []
    due = phase_counts(ctx, actor).get(Phase.DUE.value, 0)
    if due:
        found.append(Task(due, "due_dossiers", f"/recherche?phase={Phase.DUE.value}"))
    if actor.has(Role.ARCHIVIST):
        waiting = list_proposals(ctx, actor, ProposalStatus.PROPOSED)
        if waiting:
            found.append(Task(len(waiting), "elimination_visas", "/visas"))
    return found


def dossier_page(ctx: Context, actor: Principal, dossier_id: str) -> DossierPage:
    """A dossier, where it sits in the plan, its documents with their current version, and its
    lifecycle (phase, effective rules and their origin, start dates, holds)."""
    lifecycle = dossier_lifecycle(ctx, actor, dossier_id)
    dossier = lifecycle.dossier
    with ctx.uow() as uow:
        service = uow.repo.get_service(dossier.organisation_id, dossier.service_id)
        nodes = {n.id: n for n in uow.repo.list_plan_nodes(dossier.organisation_id)}
        documents = uow.repo.documents_in(dossier.id)
        shown = documents[:DOSSIER_DOCUMENTS]
        versions = uow.repo.current_versions([d.id for d in shown])
        stone = uow.lifecycle.get_tombstone(dossier.id)
        people = [stone.removed_by, stone.approved_by] if stone else []
        names = principal_names(uow, [p for p in people if p])
    filed = [FiledDocument(d, versions.get(d.id)) for d in shown]
    path = plan_path(nodes, dossier.plan_node_id)
    can_file = bool(actor.roles & FILERS) and dossier.status is DossierStatus.OPEN
    more = len(documents) > len(shown)
    return DossierPage(lifecycle, service, path, filed, more, can_file, stone, names)


def document_page(ctx: Context, actor: Principal, document_id: str) -> DocumentPage:
    document, versions = get_document(ctx, actor, document_id)
    with ctx.uow() as uow:
        dossier = uow.repo.get_dossier(document.dossier_id)
        service = uow.repo.get_service(document.organisation_id, document.service_id)
    if dossier is None:  # a document always has its dossier (foreign key)
        raise NotFoundError("Dossier introuvable")
    return DocumentPage(document, versions, dossier, service)


def plan_path(nodes: dict[str, PlanNode], node_id: str | None) -> list[PlanNode]:
    """The node and its ancestors, from the root down (a cycle stops the walk)."""
    path: list[PlanNode] = []
    while node_id is not None and node_id in nodes and nodes[node_id] not in path:
        path.append(nodes[node_id])
        node_id = nodes[node_id].parent_id
    return list(reversed(path))


@dataclass(frozen=True)
class PlanBranch:
    node: PlanNode
    children: list[PlanBranch]


def plan_tree(nodes: list[PlanNode]) -> list[PlanBranch]:
    """The classification plan as a tree, each level sorted by code; nodes whose parent is
    missing (or in a cycle) are shown at the root rather than lost."""
    children: dict[str | None, list[PlanNode]] = {}
    ids = {n.id for n in nodes}
    for node in sorted(nodes, key=lambda n: n.code):
        parent = node.parent_id if node.parent_id in ids else None
        children.setdefault(parent, []).append(node)
    placed: set[str] = set()

    def grow(node: PlanNode) -> PlanBranch:
        placed.add(node.id)
        kids = [grow(k) for k in children.get(node.id, []) if k.id not in placed]
        return PlanBranch(node, kids)

    roots = [grow(n) for n in children.get(None, [])]
    roots += [grow(n) for n in nodes if n.id not in placed]  # a cycle has no root
    return roots
