"""Classification plan and dossiers: create, update, close, read, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ged.domain.access import Principal
from ged.domain.lifecycle import Phase
from ged.domain.model import Document, Dossier, DossierStatus, PlanNode, Role, Version
from ged.services.context import Context, new_id
from ged.services.ports import UnitOfWork
from kernel.errors import ConflictError, InvalidError, Issue, NotFoundError
from kernel.paging import FIRST_PAGE, Page


class PlanCodeExists(ConflictError):
    code = "plan_code_exists"


def create_plan_node(
    ctx: Context, actor: Principal, code: str, label: str, parent_id: str | None
) -> PlanNode:
    actor.ensure_role(Role.RECORDS_OFFICER, Role.ADMIN)
    _require_text(code=code, label=label)
    with ctx.uow() as uow:
        if (
            parent_id is not None
            and uow.repo.get_plan_node(actor.organisation_id, parent_id) is None
        ):
            raise NotFoundError("Nœud parent du plan de classement introuvable")
        if uow.repo.find_plan_node(actor.organisation_id, code):
            raise PlanCodeExists(f"Le code « {code} » existe déjà dans le plan de classement")
        node = PlanNode(new_id(), actor.organisation_id, code, label, parent_id)
        uow.repo.add_plan_node(node)
        details = {"code": code, "label": label, "parent_id": parent_id}
        uow.log(actor.id, "plan.create", "plan_node", node.id, actor.organisation_id, details)
        uow.commit()
    return node


def update_plan_node(ctx: Context, actor: Principal, node_id: str, label: str) -> PlanNode:
    actor.ensure_role(Role.RECORDS_OFFICER, Role.ADMIN)
    _require_text(label=label)
    with ctx.uow() as uow:
        node = uow.repo.get_plan_node(actor.organisation_id, node_id)
        if node is None:
            raise NotFoundError("Nœud du plan de classement introuvable")
        updated = PlanNode(node.id, node.organisation_id, node.code, label, node.parent_id)
        uow.repo.update_plan_node(updated)
        uow.log(
            actor.id, "plan.update", "plan_node", node.id, actor.organisation_id, {"label": label}
        )
        uow.commit()
    return updated


def list_plan(ctx: Context, actor: Principal) -> list[PlanNode]:
    with ctx.uow() as uow:
        return uow.repo.list_plan_nodes(actor.organisation_id)


def create_dossier(
    ctx: Context,
    actor: Principal,
    *,
    service_id: str,
    title: str,
    plan_node_id: str | None = None,
    opened_on: date | None = None,
    description: str = "",
    reference: str = "",
) -> Dossier:
    _require_text(title=title)
    actor.ensure_files(actor.organisation_id, service_id, "Service")
    with ctx.uow() as uow:
        if uow.repo.get_service(actor.organisation_id, service_id) is None:
            raise NotFoundError("Service introuvable")
        if plan_node_id is not None and (
            uow.repo.get_plan_node(actor.organisation_id, plan_node_id) is None
        ):
            raise NotFoundError("Nœud du plan de classement introuvable")
        dossier = Dossier(
            id=new_id(),
            organisation_id=actor.organisation_id,
            service_id=service_id,
            plan_node_id=plan_node_id,
            title=title,
            opened_on=opened_on or ctx.clock().date(),
            description=description,
            reference=reference,
        )
        uow.repo.add_dossier(dossier, ctx.clock())
        details = {"title": title, "service_id": service_id, "plan_node_id": plan_node_id}
        uow.log(actor.id, "dossier.create", "dossier", dossier.id, actor.organisation_id, details)
        uow.commit()
    return dossier


def load_dossier(uow: UnitOfWork, actor: Principal, dossier_id: str) -> Dossier:
    dossier = uow.repo.get_dossier(dossier_id)
    if dossier is None:
        raise NotFoundError("Dossier introuvable")
    actor.ensure_reads(dossier.organisation_id, dossier.service_id, "Dossier")
    return dossier


def get_dossier(ctx: Context, actor: Principal, dossier_id: str) -> Dossier:
    with ctx.uow() as uow:
        return load_dossier(uow, actor, dossier_id)


def update_dossier(
    ctx: Context,
    actor: Principal,
    dossier_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    reference: str | None = None,
    plan_node_id: str | None = None,
) -> Dossier:
    with ctx.uow() as uow:
        dossier = load_dossier(uow, actor, dossier_id)
        actor.ensure_files(dossier.organisation_id, dossier.service_id, "Dossier")
        dossier.ensure_open()
        if plan_node_id is not None and (
            uow.repo.get_plan_node(actor.organisation_id, plan_node_id) is None
        ):
            raise NotFoundError("Nœud du plan de classement introuvable")
        changes = {
            "title": title,
            "description": description,
            "reference": reference,
            "plan_node_id": plan_node_id,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        if "title" in changes:
            _require_text(title=title or "")
        for key, value in changes.items():
            setattr(dossier, key, value)
        uow.repo.update_dossier(dossier, ctx.clock())
        uow.log(actor.id, "dossier.update", "dossier", dossier.id, dossier.organisation_id, changes)
        uow.commit()
    return dossier


def close_dossier(
    ctx: Context, actor: Principal, dossier_id: str, closed_on: date | None = None
) -> Dossier:
    with ctx.uow() as uow:
        dossier = load_dossier(uow, actor, dossier_id)
        actor.ensure_files(dossier.organisation_id, dossier.service_id, "Dossier")
        dossier.close(closed_on or ctx.clock().date())
        uow.repo.update_dossier(dossier, ctx.clock())
        details = {"closed_on": dossier.closed_on.isoformat() if dossier.closed_on else None}
        uow.log(actor.id, "dossier.close", "dossier", dossier.id, dossier.organisation_id, details)
        uow.commit()
    return dossier


def list_dossiers(
    ctx: Context,
    actor: Principal,
    *,
    status: DossierStatus | None = None,
    plan_node_id: str | None = None,
    page: Page = FIRST_PAGE,
    service_id: str | None = None,
    phase: Phase | None = None,
) -> list[Dossier]:
    """The dossiers ``actor`` may read, most recently opened first, filtered by status, plan
    node, service and the phase the lifecycle engine recorded."""
    services = actor.visible_services()
    if service_id is not None:
        services = frozenset({service_id} if services is None else services & {service_id})
    with ctx.uow() as uow:
        return uow.repo.list_dossiers(
            actor.organisation_id,
            services,
            status,
            plan_node_id,
            page.limit,
            page.offset,
            phase=phase.value if phase else None,
        )


@dataclass(frozen=True)
class FiledDocument:
    document: Document
    versions: list[Version]


def dossier_documents(ctx: Context, actor: Principal, dossier_id: str) -> list[FiledDocument]:
    """The documents of a dossier ``actor`` may read, each with its versions (oldest first),
    in two queries whatever the dossier's size."""
    with ctx.uow() as uow:
        dossier = load_dossier(uow, actor, dossier_id)
        versions = uow.repo.versions_in(dossier.id)
        return [
            FiledDocument(doc, versions.get(doc.id, []))
            for doc in uow.repo.documents_in(dossier.id)
        ]


def _require_text(**values: str) -> None:
    issues = [
        Issue(f"{k}_required", f"« {k} » est obligatoire", path=k)
        for k, v in values.items()
        if not v.strip()
    ]
    if issues:
        raise InvalidError("Champs obligatoires manquants", issues=issues)
