"""The retention-rule referential of an organisation: import, export, versions, bindings.

Rules are versioned: an import that changes a rule records a new version (``revise``); an
unchanged rule keeps its version; every lifecycle decision records the version it used. Imports
are all-or-nothing (``ged.services.rules_io`` lists every bad row). By default an import adds
and revises rules; with ``replace`` the file becomes the whole referential, as in Vitam: rules
it leaves out are retired, and refused when a binding or an active hold still uses them.

The Vitam format has no column for the start event, the final action or the legal reference:
importing it keeps those of the current version, so that a Vitam export round-trips without
erasing what a tableau de gestion brought.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import BinaryIO, Literal, get_args

from ged.domain.access import Principal
from ged.domain.lifecycle import Binding, BindingTarget, check_binding
from ged.domain.model import Role
from ged.domain.retention import RetentionRule, revise
from ged.services import rules_io
from ged.services.context import Context
from ged.services.filing import load_dossier
from ged.services.ports import UnitOfWork
from kernel.errors import InvalidError, Issue, NotFoundError
from kernel.paging import Page
from kernel.retention import RuleCategory

RulesFormat = Literal["vitam", "csv", "xlsx", "ods"]
FORMATS: tuple[str, ...] = get_args(RulesFormat)
MANAGERS = (Role.RECORDS_OFFICER, Role.ADMIN)
READERS = (Role.RECORDS_OFFICER, Role.ARCHIVIST, Role.ADMIN)
_NOT_IN_VITAM = ("start_event", "final_action", "legal_reference")


class RuleNotFound(NotFoundError):
    code = "rule_not_found"
    title = "Règle de gestion introuvable"


@dataclass(frozen=True)
class ImportReport:
    created: list[str]
    revised: list[str]
    unchanged: list[str]
    retired: list[str]


def import_rules(
    ctx: Context,
    actor: Principal,
    source: BinaryIO,
    format: RulesFormat,
    *,
    replace: bool = False,
) -> ImportReport:
    actor.ensure_role(*MANAGERS)
    _check_format(format)
    org = actor.organisation_id
    with ctx.uow() as uow:
        in_use = uow.lifecycle.rules_in_use(org) if replace else set()
        rules = _parse(source, format, in_use)
        report = _apply(ctx, uow, actor, rules, vitam=format == "vitam", replace=replace)
        details = {"format": format, "replace": replace, **dataclasses.asdict(report)}
        uow.log(actor.id, "rules.import", "retention_rules", org, org, details)
        uow.commit()
    return report


def guess_format(filename: str, head: bytes, given: str = "auto") -> RulesFormat:
    """The format ``given``, or the one the file's name and first bytes say: XLSX and ODS by
    their extension, Vitam's referential by its first column (``RuleId``), else a tableau de
    gestion in CSV."""
    if given in FORMATS:
        return given  # type: ignore[return-value]
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in ("xlsx", "ods"):
        return suffix  # type: ignore[return-value]
    return "vitam" if head.lstrip(b"\xef\xbb\xbf").startswith(b"RuleId") else "csv"


def _check_format(format: str) -> None:
    if format not in FORMATS:
        message = f"Format inconnu « {format} » : {', '.join(FORMATS)}"
        raise InvalidError(message, issues=[Issue("unsupported_format", message, path="format")])


def _parse(source: BinaryIO, format: RulesFormat, in_use: set[str]) -> list[RetentionRule]:
    if format == "vitam":
        return rules_io.read_vitam_rules(source, in_use=in_use)
    return rules_io.parse_tableau(source, format, in_use=in_use)


def _apply(
    ctx: Context,
    uow: UnitOfWork,
    actor: Principal,
    rules: list[RetentionRule],
    *,
    vitam: bool,
    replace: bool,
) -> ImportReport:
    org, now = actor.organisation_id, ctx.clock()
    heads = uow.lifecycle.rule_heads(org)
    report = ImportReport([], [], [], [])
    for rule in rules:
        head = heads.get(rule.identifier)
        if head is None:
            uow.lifecycle.add_rule_version(org, rule, now, actor.id)
            report.created.append(rule.identifier)
            continue
        current, status = head
        revised = revise(current, **_changes(current, rule, vitam))
        if revised is current and status == "current":
            report.unchanged.append(rule.identifier)
            continue
        if revised is current:  # a retired rule comes back: a new version all the same
            revised = dataclasses.replace(current, version=current.version + 1)
        uow.lifecycle.add_rule_version(org, revised, now, actor.id)
        report.revised.append(rule.identifier)
    if replace:
        listed = {rule.identifier for rule in rules}
        for identifier, (_, status) in sorted(heads.items()):
            if status == "current" and identifier not in listed:
                uow.lifecycle.retire_rule(org, identifier)
                report.retired.append(identifier)
    return report


def _changes(current: RetentionRule, new: RetentionRule, vitam: bool) -> dict[str, object]:
    fields: dict[str, object] = {
        "category": new.category,
        "label": new.label,
        "duration": new.duration,
        "start_event": new.start_event,
        "final_action": new.final_action,
        "legal_reference": new.legal_reference,
        "notes": new.notes,
    }
    if vitam and new.category is current.category:
        for name in _NOT_IN_VITAM:
            fields[name] = getattr(current, name)
    return fields


def export_rules(ctx: Context, actor: Principal, format: RulesFormat, stream: BinaryIO) -> int:
    """Writes the current rules; a tableau de gestion holds only appraisal rules and their
    ``-ACC`` access rules, the other categories are left out. Returns the number of rules."""
    actor.ensure_role(*READERS)
    _check_format(format)
    with ctx.uow() as uow:
        rules = list(uow.lifecycle.current_rules(actor.organisation_id).values())
    if format == "vitam":
        rules_io.write_vitam_csv(rules, stream)
        return len(rules)
    fitting = _tableau_rules(rules)
    rules_io.write_tableau(fitting, stream, format)
    return len(fitting)


def _tableau_rules(rules: list[RetentionRule]) -> list[RetentionRule]:
    appraisal = {r.identifier for r in rules if r.category is RuleCategory.APPRAISAL}
    return [
        r
        for r in rules
        if r.category is RuleCategory.APPRAISAL
        or (
            r.category is RuleCategory.ACCESS
            and r.identifier.endswith(rules_io.ACCESS_SUFFIX)
            and r.identifier.removesuffix(rules_io.ACCESS_SUFFIX) in appraisal
        )
    ]


def list_rules(
    ctx: Context,
    actor: Principal,
    category: RuleCategory | None = None,
    page: Page | None = None,
) -> list[RetentionRule]:
    """The rules in force by identifier, all of them or one page (the whole referential is read:
    the lifecycle engine reads it whole too)."""
    with ctx.uow() as uow:
        rules = uow.lifecycle.current_rules(actor.organisation_id).values()
    found = [r for r in rules if category is None or r.category is category]
    return found if page is None else page.of(found)


def referential(
    ctx: Context, actor: Principal, category: RuleCategory | None = None
) -> list[RetentionRule]:
    """The rules in force, by identifier, for those who manage or read the referential (the
    tableaux de gestion screen)."""
    actor.ensure_role(*READERS)
    return sorted(list_rules(ctx, actor, category), key=lambda r: r.identifier)


@dataclass(frozen=True)
class RuleDetail:
    versions: list[tuple[RetentionRule, str]]  # oldest first, with their status
    bindings: list[Binding]  # where the rule is bound: plan nodes, document types, dossiers
    places: dict[str, str]  # target_id -> « 1.1 Assemblée », a dossier's title


def rule_detail(ctx: Context, actor: Principal, identifier: str) -> RuleDetail:
    """A rule's versions and the places it is bound, for the readers of the referential."""
    actor.ensure_role(*READERS)
    versions = rule_history(ctx, actor, identifier)
    with ctx.uow() as uow:
        bound = [
            b
            for b in uow.lifecycle.list_bindings(actor.organisation_id, None)
            if b.rule_id == identifier
        ]
        places = _place_names(uow, actor.organisation_id, bound)
    return RuleDetail(versions, bound, places)


def _place_names(uow: UnitOfWork, org: str, bound: list[Binding]) -> dict[str, str]:
    nodes = {n.id: f"{n.code} {n.label}" for n in uow.repo.list_plan_nodes(org)}
    names = {}
    for b in bound:
        if b.target is BindingTarget.PLAN_NODE:
            names[b.target_id] = nodes.get(b.target_id, b.target_id)
        elif b.target is BindingTarget.DOSSIER:
            dossier = uow.repo.get_dossier(b.target_id)
            names[b.target_id] = dossier.title if dossier else b.target_id
        else:
            names[b.target_id] = b.target_id
    return names


def rule_history(
    ctx: Context, actor: Principal, identifier: str
) -> list[tuple[RetentionRule, str]]:
    """Every version of a rule with its status (current, superseded, retired)."""
    with ctx.uow() as uow:
        versions = uow.lifecycle.rule_versions(actor.organisation_id, identifier)
    if not versions:
        raise RuleNotFound(f"Règle « {identifier} » introuvable")
    return versions


# -- bindings ----------------------------------------------------------------------------------
def bind_rule(
    ctx: Context,
    actor: Principal,
    target: BindingTarget,
    target_id: str,
    rule_id: str,
    justification: str = "",
) -> Binding:
    """Attaches a rule to a plan node, a document type or a dossier (an override: justified
    and logged as such); replaces the rule of the same category already bound there."""
    actor.ensure_role(*MANAGERS)
    with ctx.uow() as uow:
        rule = uow.lifecycle.get_rule(actor.organisation_id, rule_id)
        if rule is None:
            raise RuleNotFound(f"Règle « {rule_id} » introuvable")
        check_binding(target, rule, justification)
        _check_target(uow, actor, target, target_id)
        binding = Binding(
            actor.organisation_id,
            target,
            target_id,
            rule.category,
            rule.identifier,
            justification.strip(),
            ctx.clock(),
            actor.id,
        )
        previous = uow.lifecycle.put_binding(binding)
        action = "rules.override" if target is BindingTarget.DOSSIER else "rules.bind"
        details = {
            "target": target.value,
            "target_id": target_id,
            "category": rule.category.value,
            "rule_id": rule.identifier,
            "rule_version": rule.version,
            "replaces": previous.rule_id if previous else None,
            "justification": binding.justification,
        }
        uow.log(actor.id, action, target.value, target_id, actor.organisation_id, details)
        uow.commit()
    return binding


def unbind_rule(
    ctx: Context,
    actor: Principal,
    target: BindingTarget,
    target_id: str,
    category: RuleCategory,
    justification: str = "",
) -> None:
    actor.ensure_role(*MANAGERS)
    with ctx.uow() as uow:
        _check_target(uow, actor, target, target_id)
        if not uow.lifecycle.delete_binding(actor.organisation_id, target, target_id, category):
            raise NotFoundError("Aucune règle de cette catégorie n'est rattachée ici")
        details = {"target": target.value, "category": category.value, "reason": justification}
        uow.log(actor.id, "rules.unbind", target.value, target_id, actor.organisation_id, details)
        uow.commit()


def list_bindings(
    ctx: Context, actor: Principal, target: BindingTarget | None = None
) -> list[Binding]:
    actor.ensure_role(*READERS)
    with ctx.uow() as uow:
        return uow.lifecycle.list_bindings(actor.organisation_id, target)


def _check_target(uow: UnitOfWork, actor: Principal, target: BindingTarget, target_id: str) -> None:
    if target is BindingTarget.PLAN_NODE:
        if uow.repo.get_plan_node(actor.organisation_id, target_id) is None:
            raise NotFoundError("Nœud du plan de classement introuvable")
    elif target is BindingTarget.DOSSIER:
        load_dossier(uow, actor, target_id)
    elif not target_id.strip() or len(target_id) > 200:
        message = "Type de document vide ou trop long"
        raise InvalidError(message, issues=[Issue("bad_document_type", message, path="target_id")])
