"""``gedsae rules|holds|lifecycle|eliminations``: the retention referential, legal holds, the
lifecycle engine and eliminations with a visa, from the command line.

Errors follow ``ged.cli``: « code: message » on stderr and the exit code of their family; a
refused rules file exits with 1 and lists every bad row with its line number.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from ged.cli import ADMIN_NAME, Env, pass_env
from ged.domain.access import Principal
from ged.domain.lifecycle import BindingTarget, ProposalStatus
from ged.domain.retention import RetentionRule
from ged.presentation import labels
from ged.services import eliminations, holds, lifecycle, rules
from ged.services.elimination_slip import (
    authorization_request,
    destruction_notification,
    elimination_slip,
)
from ged.services.rules import RulesFormat
from kernel.cli import run
from kernel.retention import RuleCategory
from seda.versions import SedaVersion

F = TypeVar("F", bound=Callable[..., Any])
DATE = click.DateTime(formats=["%Y-%m-%d"])
SEDA_VERSION = click.Choice([v.value for v in SedaVersion])


def actor_options(command: F) -> F:
    command = click.option(
        "--organisation", default=None, help="Organisation (défaut : la première)"
    )(command)
    return click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)(command)


def principal_for(env: Env, as_user: str, organisation: str | None) -> Principal:
    return run(lambda: env.principal(as_user, organisation))


def _day(value: Any) -> date | None:
    return value.date() if value is not None else None


# -- rules ------------------------------------------------------------------------------------
@click.group("rules")
def rules_group() -> None:
    """Règles de gestion : import, export, rattachements."""


def _guess_format(path: Path, given: str) -> RulesFormat:
    with path.open("rb") as stream:
        return rules.guess_format(path.name, stream.read(200), given)


@rules_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *rules.FORMATS]),
    default="auto",
    show_default=True,
    help="vitam (référentiel CSV), csv/xlsx/ods (tableau de gestion)",
)
@click.option("--replace", is_flag=True, help="Le fichier devient le référentiel entier")
@actor_options
@pass_env
def rules_import(
    env: Env, file: Path, fmt: str, replace: bool, as_user: str, organisation: str | None
) -> None:
    """Importe un référentiel : tout ou rien, chaque ligne fautive est listée (code 1)."""
    actor = principal_for(env, as_user, organisation)
    chosen = _guess_format(file, fmt)
    with file.open("rb") as stream:
        report = run(
            lambda: rules.import_rules(env.context(), actor, stream, chosen, replace=replace)
        )
    click.echo(
        f"{len(report.created)} créées, {len(report.revised)} révisées, "
        f"{len(report.unchanged)} inchangées, {len(report.retired)} retirées"
    )


@rules_group.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(rules.FORMATS), default="vitam", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@actor_options
@pass_env
def rules_export(
    env: Env, fmt: RulesFormat, out: Path | None, as_user: str, organisation: str | None
) -> None:
    """Exporte les règles en vigueur (sur la sortie standard sans --out)."""
    actor = principal_for(env, as_user, organisation)
    if out is None:
        run(lambda: rules.export_rules(env.context(), actor, fmt, sys.stdout.buffer))
        return
    with out.open("wb") as stream:
        count = run(lambda: rules.export_rules(env.context(), actor, fmt, stream))
    click.echo(f"{count} règles écrites dans {out}", err=True)


@rules_group.command("list")
@click.option("--category", type=click.Choice([c.value for c in RuleCategory]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Codes de l'API, pour les scripts")
@actor_options
@pass_env
def rules_list(
    env: Env, category: str | None, as_json: bool, as_user: str, organisation: str | None
) -> None:
    """Liste les règles en vigueur : code, version, catégorie, durée, sort final, intitulé."""
    actor = principal_for(env, as_user, organisation)
    chosen = RuleCategory(category) if category else None
    for rule in run(lambda: rules.list_rules(env.context(), actor, chosen)):
        if as_json:
            click.echo(json.dumps(_rule_json(rule), ensure_ascii=False))
            continue
        action = labels.final_action(rule.final_action) or "-"
        click.echo(
            f"{rule.identifier}\tv{rule.version}\t{labels.label(labels.CATEGORIES, rule.category)}"
            f"\t{labels.duration(rule.duration)}\t{action}\t{rule.label}"
        )


def _rule_json(rule: RetentionRule) -> dict[str, Any]:
    d = rule.duration
    return {
        "identifier": rule.identifier,
        "version": rule.version,
        "category": rule.category.value,
        "duration": None if d is None else ("unlimited" if d.unlimited else d.to_iso()),
        "final_action": rule.final_action.value if rule.final_action else None,
        "label": rule.label,
    }


@rules_group.command("bind")
@click.argument("target", type=click.Choice([t.value for t in BindingTarget]))
@click.argument("target_id")
@click.argument("rule_id")
@click.option("--justification", default="", help="Obligatoire pour une dérogation sur un dossier")
@actor_options
@pass_env
def rules_bind(
    env: Env,
    target: str,
    target_id: str,
    rule_id: str,
    justification: str,
    as_user: str,
    organisation: str | None,
) -> None:
    """Rattache RULE_ID à un nœud du plan (code ou identifiant), un type de document ou un dossier."""
    actor = principal_for(env, as_user, organisation)
    kind = BindingTarget(target)
    resolved = (
        _plan_node_id(env, actor, target_id) if kind is BindingTarget.PLAN_NODE else target_id
    )
    run(lambda: rules.bind_rule(env.context(), actor, kind, resolved, rule_id, justification))
    click.echo(f"{rule_id} rattachée ({labels.label(labels.RULE_ORIGINS, kind)}) : {target_id}")


def _plan_node_id(env: Env, actor: Principal, code_or_id: str) -> str:
    with env.context().uow() as uow:
        node = uow.repo.find_plan_node(actor.organisation_id, code_or_id)
    return node.id if node else code_or_id


# -- holds ------------------------------------------------------------------------------------
@click.group("holds")
def holds_group() -> None:
    """Gels (holds) : poser, lever, lister."""


@holds_group.command("place")
@click.argument("dossier_id")
@click.option("--reason", required=True, help="Motif du gel (contentieux, enquête…)")
@click.option("--until", type=DATE, default=None, help="Fin du gel (AAAA-MM-JJ)")
@click.option("--rule", "rule_id", default=None, help="Règle de gel (HoldRule) du référentiel")
@actor_options
@pass_env
def holds_place(
    env: Env,
    dossier_id: str,
    reason: str,
    until: Any,
    rule_id: str | None,
    as_user: str,
    organisation: str | None,
) -> None:
    """Gèle un dossier : il ne change plus de phase et ne peut être ni versé ni éliminé."""
    actor = principal_for(env, as_user, organisation)
    hold = run(
        lambda: holds.place_hold(
            env.context(), actor, dossier_id, reason, ends_on=_day(until), rule_id=rule_id
        )
    )
    click.echo(hold.id)


@holds_group.command("lift")
@click.argument("hold_id")
@click.option("--reason", required=True)
@actor_options
@pass_env
def holds_lift(env: Env, hold_id: str, reason: str, as_user: str, organisation: str | None) -> None:
    """Lève un gel."""
    actor = principal_for(env, as_user, organisation)
    run(lambda: holds.lift_hold(env.context(), actor, hold_id, reason))
    click.echo(f"Gel {hold_id} levé")


@holds_group.command("list")
@click.option("--dossier", "dossier_id", default=None)
@click.option("--all", "include_lifted", is_flag=True, help="Y compris les gels levés")
@actor_options
@pass_env
def holds_list(
    env: Env, dossier_id: str | None, include_lifted: bool, as_user: str, organisation: str | None
) -> None:
    """Liste les gels actifs (ou tous avec --all)."""
    actor = principal_for(env, as_user, organisation)
    for h in run(lambda: holds.list_holds(env.context(), actor, dossier_id, include_lifted)):
        until = labels.day(h.ends_on) if h.ends_on else "sans fin"
        state = f"levé le {labels.day(h.lifted_at)}" if h.lifted_at else "actif"
        click.echo(
            f"{h.id}\t{h.dossier_id}\tdu {labels.day(h.starts_on)} → {until}\t{state}\t{h.reason}"
        )


# -- lifecycle --------------------------------------------------------------------------------
@click.group("lifecycle")
def lifecycle_group() -> None:
    """Moteur du cycle de vie : phases, échéances, prévisions."""


@lifecycle_group.command("run")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Date de calcul (défaut : aujourd'hui ; une date à venir seulement avec --dry-run)",
)
@click.option(
    "--dry-run", is_flag=True, help="Simulation : affiche ce qui changerait, n'enregistre rien"
)
@click.option("--json", "as_json", is_flag=True, help="Codes de l'API, pour les scripts")
@actor_options
@pass_env
def lifecycle_run(
    env: Env, as_of: Any, dry_run: bool, as_json: bool, as_user: str, organisation: str | None
) -> None:
    """Recalcule les phases (idempotent : relancer ne change rien). Une date à venir ne change
    jamais les phases enregistrées : elle est refusée, sauf en simulation (--dry-run)."""
    actor = principal_for(env, as_user, organisation)
    report = run(
        lambda: lifecycle.run_lifecycle(env.context(), actor, _day(as_of), dry_run=dry_run)
    )
    if as_json:
        click.echo(json.dumps(_run_json(report), ensure_ascii=False, indent=2))
        return
    for line in _run_lines(report):
        click.echo(line)


def _run_json(report: lifecycle.RunReport) -> dict[str, Any]:
    moves = [
        {"dossier_id": t.dossier_id, "from": t.before.value if t.before else None, "to": t.after}
        for t in report.transitions
    ]
    return {
        "as_of": report.as_of.isoformat(),
        "examined": report.examined,
        "transitions": moves,
        "held_back": report.held_back,
        "dry_run": report.dry_run,
    }


def _run_lines(report: lifecycle.RunReport) -> list[str]:
    moves = len(report.transitions)
    lines = [
        labels.run_summary(report.as_of, report.examined, moves, report.held_back, report.dry_run)
    ]
    for t in report.transitions:
        lines.append(f"  {t.dossier_id} : {labels.phase(t.before)} → {labels.phase(t.after)}")
    if report.dry_run:
        lines.append("Simulation : aucune phase n'a été enregistrée.")
    return lines


@lifecycle_group.command("forecast")
@click.option("--months", type=click.IntRange(1, 1200), default=24, show_default=True)
@click.option("--as-of", "as_of", type=DATE, default=None)
@click.option("--json", "as_json", is_flag=True)
@actor_options
@pass_env
def lifecycle_forecast(
    env: Env, months: int, as_of: Any, as_json: bool, as_user: str, organisation: str | None
) -> None:
    """Ce qui arrive à échéance, par mois, sort final et service."""
    actor = principal_for(env, as_user, organisation)
    rows = run(lambda: lifecycle.forecast_due(env.context(), actor, months, _day(as_of)))
    names = lifecycle.service_names(env.context(), actor)
    for row in rows:
        service = names.get(row.service_id, row.service_id)
        if as_json:
            click.echo(json.dumps({**row.__dict__, "service_name": service}, ensure_ascii=False))
        else:
            held = f" (dont {labels.count(row.held, 'gelé', 'gelés')})" if row.held else ""
            action = labels.final_action(row.final_action)
            shown = labels.count(row.count, "dossier")
            click.echo(f"{labels.month(row.month)}\t{action}\t{service}\t{shown}{held}")


@lifecycle_group.command("show")
@click.argument("dossier_id")
@actor_options
@pass_env
def lifecycle_show(env: Env, dossier_id: str, as_user: str, organisation: str | None) -> None:
    """Phase d'un dossier et ses règles effectives, avec leur provenance."""
    actor = principal_for(env, as_user, organisation)
    view = run(lambda: lifecycle.dossier_lifecycle(env.context(), actor, dossier_id))
    recorded = labels.phase(view.state.phase if view.state else None)
    click.echo(
        f"Phase : {recorded} (selon les règles aujourd'hui : {labels.phase(view.computed.phase)})"
    )
    for r in view.rules:
        rule = r.effective.rule
        origin = labels.label(labels.RULE_ORIGINS, r.effective.source)
        origin += " (hérité)" if r.effective.inherited else ""
        end = (
            labels.day(r.end.date)
            if r.end.date
            else labels.label(labels.NO_DUE_REASONS, r.end.reason)
        )
        click.echo(
            f"  {labels.label(labels.CATEGORIES, r.category)} : {rule.identifier} "
            f"v{rule.version} [{origin} {r.effective.source_id}] → {end}"
        )
    for h in view.holds:
        click.echo(f"  gel {h.id} : {h.reason}")


@lifecycle_group.command("phases")
@click.option("--json", "as_json", is_flag=True, help="Codes de l'API, pour les scripts")
@actor_options
@pass_env
def lifecycle_phases(env: Env, as_json: bool, as_user: str, organisation: str | None) -> None:
    """Nombre de dossiers par phase (au dernier calcul)."""
    actor = principal_for(env, as_user, organisation)
    counts = run(lambda: lifecycle.phase_counts(env.context(), actor))
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False))
        return
    for phase, count in sorted(counts.items()):
        click.echo(f"{labels.phase(phase)}\t{count}")


# -- eliminations -----------------------------------------------------------------------------
@click.group("eliminations")
def eliminations_group() -> None:
    """Éliminations : proposition, bordereau, visa (R212-14), exécution."""


@eliminations_group.command("propose")
@click.option("--as-of", "as_of", type=DATE, default=None)
@click.option("--dossier", "dossier_ids", multiple=True, help="Limiter à ces dossiers")
@actor_options
@pass_env
def eliminations_propose(
    env: Env, as_of: Any, dossier_ids: tuple[str, ...], as_user: str, organisation: str | None
) -> None:
    """Propose à l'élimination les dossiers échus à détruire, non gelés."""
    actor = principal_for(env, as_user, organisation)
    wanted = list(dossier_ids) or None
    found = run(
        lambda: eliminations.propose_eliminations(env.context(), actor, _day(as_of), wanted)
    )
    click.echo(found.proposal.id)
    click.echo(f"{len(found.items)} dossiers proposés à l'élimination", err=True)


@eliminations_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in ProposalStatus]), default=None)
@actor_options
@pass_env
def eliminations_list(env: Env, status: str | None, as_user: str, organisation: str | None) -> None:
    """Liste les propositions d'élimination."""
    actor = principal_for(env, as_user, organisation)
    chosen = ProposalStatus(status) if status else None
    for p in run(lambda: eliminations.list_proposals(env.context(), actor, chosen)):
        status = labels.label(labels.PROPOSAL_STATUS, p.status)
        click.echo(
            f"{p.id}\t{status}\tau {labels.day(p.as_of)}\tproposée le {labels.day(p.created_at)}"
        )


@eliminations_group.command("slip")
@click.argument("proposal_id")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "html", "pdf"]), default="csv", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@actor_options
@pass_env
def eliminations_slip(
    env: Env, proposal_id: str, fmt: Any, out: Path, as_user: str, organisation: str | None
) -> None:
    """Écrit le bordereau d'élimination à signer."""
    actor = principal_for(env, as_user, organisation)
    out.write_bytes(run(lambda: elimination_slip(env.context(), actor, proposal_id, fmt)))
    click.echo(str(out))


def seda_message_options(command: F) -> F:
    """The options of every SEDA message about a proposal: version, parties, output file."""
    for option in reversed(
        [
            click.option(
                "--version", "version", type=SEDA_VERSION, default="2.2", show_default=True
            ),
            click.option("--archival-agency", default=None, help="Défaut : l'organisation"),
            click.option("--service", default=None, help="Identifiant SEDA du service producteur"),
            click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True),
        ]
    ):
        command = option(command)
    return command


@eliminations_group.command("authorization-request")
@click.argument("proposal_id")
@seda_message_options
@click.option("--control-authority", required=True, help="Identifiant SEDA du contrôle")
@actor_options
@pass_env
def eliminations_authorization_request(
    env: Env,
    proposal_id: str,
    version: str,
    control_authority: str,
    archival_agency: str | None,
    service: str | None,
    out: Path,
    as_user: str,
    organisation: str | None,
) -> None:
    """Écrit la demande d'autorisation SEDA (AuthorizationControlAuthorityRequest)."""
    actor = principal_for(env, as_user, organisation)
    data = run(
        lambda: authorization_request(
            env.context(),
            actor,
            proposal_id,
            SedaVersion(version),
            control_authority=control_authority,
            archival_agency=archival_agency,
            service=service,
        )
    )
    out.write_bytes(data)
    click.echo(str(out))


@eliminations_group.command("notification")
@click.argument("proposal_id")
@seda_message_options
@click.option("--reply", "reply_identifier", default=None, help="Réponse du contrôle")
@actor_options
@pass_env
def eliminations_notification(
    env: Env,
    proposal_id: str,
    version: str,
    archival_agency: str | None,
    service: str | None,
    reply_identifier: str | None,
    out: Path,
    as_user: str,
    organisation: str | None,
) -> None:
    """Écrit la notification d'élimination SEDA (ArchiveDestructionNotification)."""
    actor = principal_for(env, as_user, organisation)
    data = run(
        lambda: destruction_notification(
            env.context(),
            actor,
            proposal_id,
            SedaVersion(version),
            archival_agency=archival_agency,
            service=service,
            reply_identifier=reply_identifier,
        )
    )
    out.write_bytes(data)
    click.echo(str(out))


@eliminations_group.command("approve")
@click.argument("proposal_id")
@click.option("--note", default="")
@actor_options
@pass_env
def eliminations_approve(
    env: Env, proposal_id: str, note: str, as_user: str, organisation: str | None
) -> None:
    """Vise une proposition (archiviste autre que l'auteur)."""
    actor = principal_for(env, as_user, organisation)
    run(lambda: eliminations.approve_elimination(env.context(), actor, proposal_id, note))
    click.echo(f"Proposition {proposal_id} visée")


@eliminations_group.command("reject")
@click.argument("proposal_id")
@click.option("--note", default="", help="Motif du refus (obligatoire)")
@actor_options
@pass_env
def eliminations_reject(
    env: Env, proposal_id: str, note: str, as_user: str, organisation: str | None
) -> None:
    """Refuse le visa (ou retire sa propre proposition)."""
    actor = principal_for(env, as_user, organisation)
    run(lambda: eliminations.reject_elimination(env.context(), actor, proposal_id, note))
    click.echo(f"Proposition {proposal_id} refusée")


@eliminations_group.command("execute")
@click.argument("proposal_id")
@actor_options
@pass_env
def eliminations_execute(
    env: Env, proposal_id: str, as_user: str, organisation: str | None
) -> None:
    """Exécute une proposition visée : contenu supprimé, trace conservée."""
    actor = principal_for(env, as_user, organisation)
    done = run(lambda: eliminations.execute_elimination(env.context(), actor, proposal_id))
    click.echo(
        f"{len(done.eliminated)} dossiers éliminés, {len(done.skipped)} écartés, "
        f"{done.blobs_removed} contenus supprimés"
    )
    for dossier_id, reason in sorted(done.skipped.items()):
        click.echo(f"  écarté {dossier_id} : {reason}")
