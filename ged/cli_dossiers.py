"""``gedsae dossiers`` and ``gedsae events``: the dossier page and the start dates of its rules,
from the command line, with the same services as the API and the web pages.

People read French (``ged.presentation.labels``: « intermédiaire », « 6 décembre 2026 »,
« 1,5 Mo »); ``--json`` gives the API's shapes and codes, for scripts. Services are named by
their SEDA identifier, plan nodes by their code (or identifier), phases by their French word or
their code. Errors follow ``ged.cli``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import click

from ged.cli import Env, pass_env
from ged.cli_lifecycle import DATE, actor_options, principal_for
from ged.cli_views import dossier_lines, resolve_plan_node, resolve_service, service_labels
from ged.domain.access import Principal
from ged.domain.lifecycle import DossierEvent, Phase
from ged.domain.model import Dossier, DossierStatus
from ged.presentation import labels
from ged.services import filing, lifecycle
from kernel.cli import run
from kernel.errors import InvalidError, Issue
from kernel.paging import MAX_LIMIT, Page


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _choice(table: Mapping[str, str], text: str | None, what: str) -> str | None:
    """The code a French word (or the code itself) names; every accepted word listed if not."""
    if text is None:
        return None
    code = labels.code_of(table, text)
    if code is None:
        accepted = ", ".join(f"« {word} »" for word in table.values())
        issue = Issue("unknown_choice", f"valeurs acceptées : {accepted}", path=what)
        raise InvalidError(f"{what} inconnu(e) : « {text} »", issues=[issue])
    return code


# -- dossiers ---------------------------------------------------------------------------------
@click.group("dossiers")
def dossiers_group() -> None:
    """Dossiers : lister, afficher, ouvrir, clore."""


@dossiers_group.command("list")
@click.option("--service", default=None, help="Identifiant SEDA du service (ex. FR_DF)")
@click.option("--phase", default=None, help="« intermédiaire », « DUA échue »… (ou le code)")
@click.option("--plan", "plan_node", default=None, help="Code du nœud du plan de classement")
@click.option("--status", default=None, help="« ouvert » ou « clos »")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Format de l'API, pour les scripts")
@actor_options
@pass_env
def dossiers_list(
    env: Env,
    service: str | None,
    phase: str | None,
    plan_node: str | None,
    status: str | None,
    limit: int,
    offset: int,
    as_json: bool,
    as_user: str,
    organisation: str | None,
) -> None:
    """Liste les dossiers lisibles, les plus récemment ouverts d'abord (par pages)."""
    actor = principal_for(env, as_user, organisation)
    found = run(
        lambda: _listing(env, actor, service, phase, plan_node, status, Page(limit, offset))
    )
    if as_json:
        click.echo(json.dumps([_dossier_json(d) for d in found], ensure_ascii=False, indent=2))
        return
    phases = run(lambda: lifecycle.recorded_phases(env.context(), actor, found))
    names = service_labels(env, actor)
    for d in found:
        click.echo(
            f"{d.id}\t{d.title}\t{names.get(d.service_id, '')}\t{_state(d)}\t"
            f"phase : {labels.phase(phases.get(d.id))}"
        )
    click.echo(_page_summary(len(found), limit, offset), err=True)


def _listing(
    env: Env,
    actor: Principal,
    service: str | None,
    phase: str | None,
    plan_node: str | None,
    status: str | None,
    page: Page,
) -> list[Dossier]:
    wanted_phase = _choice(labels.PHASES, phase, "phase")
    wanted_status = _choice(labels.DOSSIER_STATUS, status, "état")
    return filing.list_dossiers(
        env.context(),
        actor,
        status=DossierStatus(wanted_status) if wanted_status else None,
        plan_node_id=resolve_plan_node(env, actor, plan_node) if plan_node else None,
        page=page,
        service_id=resolve_service(env, actor, service).id if service else None,
        phase=Phase(wanted_phase) if wanted_phase else None,
    )


def _state(d: Dossier) -> str:
    if d.closed_on is not None:
        return f"clos le {labels.day(d.closed_on)}"
    return f"ouvert le {labels.day(d.opened_on)}"


def _page_summary(shown: int, limit: int, offset: int) -> str:
    summary = labels.count(shown, "dossier affiché", "dossiers affichés")
    if shown == limit:
        summary += f" ; suite : --offset {offset + limit}"
    return summary


def _dossier_json(d: Dossier) -> dict[str, Any]:
    from ged.api.schemas import DossierOut

    return DossierOut.of(d).model_dump(mode="json")


@dossiers_group.command("show")
@click.argument("dossier_id")
@click.option("--json", "as_json", is_flag=True, help="Format de l'API, pour les scripts")
@actor_options
@pass_env
def dossiers_show(
    env: Env, dossier_id: str, as_json: bool, as_user: str, organisation: str | None
) -> None:
    """Affiche un dossier : métadonnées, phase, gel, dates de départ, règles effectives et leur
    origine, documents et leurs versions."""
    actor = principal_for(env, as_user, organisation)
    ctx = env.context()
    view = run(lambda: lifecycle.dossier_lifecycle(ctx, actor, dossier_id))
    events = run(lambda: lifecycle.list_events(ctx, actor, dossier_id))
    documents = run(lambda: filing.dossier_documents(ctx, actor, dossier_id))
    if as_json:
        click.echo(json.dumps(_show_json(view, events, documents), ensure_ascii=False, indent=2))
        return
    for line in dossier_lines(env, actor, view, events, documents):
        click.echo(line)


def _show_json(
    view: lifecycle.DossierLifecycle,
    events: list[DossierEvent],
    documents: list[filing.FiledDocument],
) -> dict[str, Any]:
    from ged.api.lifecycle import DossierDetailOut, EventOut, lifecycle_out
    from ged.api.schemas import DocumentOut, DossierOut

    base = DossierOut.of(view.dossier).model_dump()
    detail = DossierDetailOut(**base, lifecycle=lifecycle_out(view)).model_dump(mode="json")
    return {
        **detail,
        "events": [EventOut.of(e).model_dump(mode="json") for e in events],
        "documents": [
            DocumentOut.of(f.document, f.versions).model_dump(mode="json") for f in documents
        ],
    }


@dossiers_group.command("create")
@click.argument("title")
@click.option("--service", required=True, help="Identifiant SEDA du service producteur")
@click.option("--plan", "plan_node", default=None, help="Code du nœud du plan de classement")
@click.option("--opened-on", type=DATE, default=None, help="Date d'ouverture (défaut : ce jour)")
@click.option("--reference", default="", help="Référence (cote, numéro de marché…)")
@click.option("--description", default="")
@actor_options
@pass_env
def dossiers_create(
    env: Env,
    title: str,
    service: str,
    plan_node: str | None,
    opened_on: datetime | None,
    reference: str,
    description: str,
    as_user: str,
    organisation: str | None,
) -> None:
    """Ouvre un dossier TITLE dans un service (et un nœud du plan) ; affiche son identifiant."""
    actor = principal_for(env, as_user, organisation)

    def create() -> Dossier:
        return filing.create_dossier(
            env.context(),
            actor,
            service_id=resolve_service(env, actor, service).id,
            title=title,
            plan_node_id=resolve_plan_node(env, actor, plan_node) if plan_node else None,
            opened_on=_day(opened_on),
            description=description,
            reference=reference,
        )

    dossier = run(create)
    click.echo(f"Dossier « {dossier.title} » ouvert le {labels.day(dossier.opened_on)}", err=True)
    click.echo(dossier.id)


@dossiers_group.command("close")
@click.argument("dossier_id")
@click.option(
    "--on", "closed_on", type=DATE, default=None, help="Date de clôture (défaut : ce jour)"
)
@actor_options
@pass_env
def dossiers_close(
    env: Env, dossier_id: str, closed_on: datetime | None, as_user: str, organisation: str | None
) -> None:
    """Clôt un dossier, à la date donnée (qui peut être passée) : ses durées courent de là."""
    actor = principal_for(env, as_user, organisation)
    dossier = run(lambda: filing.close_dossier(env.context(), actor, dossier_id, _day(closed_on)))
    click.echo(f"Dossier « {dossier.title} » clos le {labels.day(dossier.closed_on)}")


# -- events -----------------------------------------------------------------------------------
@click.group("events")
def events_group() -> None:
    """Dates de départ d'un dossier : date de la séance, date du décès…"""


@events_group.command("record")
@click.argument("dossier_id")
@click.argument("name")
@click.option("--on", "occurred_on", type=DATE, required=True, help="Date (AAAA-MM-JJ)")
@actor_options
@pass_env
def events_record(
    env: Env,
    dossier_id: str,
    name: str,
    occurred_on: datetime,
    as_user: str,
    organisation: str | None,
) -> None:
    """Enregistre la date de l'événement NAME (« date de la séance »…) d'où compte une règle
    du dossier ; la réenregistrer la remplace."""
    actor = principal_for(env, as_user, organisation)
    day = occurred_on.date()
    run(lambda: lifecycle.record_event(env.context(), actor, dossier_id, name, day))
    click.echo(f"« {' '.join(name.split())} » : {labels.day(day)}")


@events_group.command("list")
@click.argument("dossier_id")
@click.option("--json", "as_json", is_flag=True, help="Format de l'API, pour les scripts")
@actor_options
@pass_env
def events_list(
    env: Env, dossier_id: str, as_json: bool, as_user: str, organisation: str | None
) -> None:
    """Liste les événements enregistrés d'un dossier, par date."""
    actor = principal_for(env, as_user, organisation)
    found = run(lambda: lifecycle.list_events(env.context(), actor, dossier_id))
    if as_json:
        shown = [
            {"name": e.name, "on": e.on.isoformat(), "recorded_at": e.recorded_at.isoformat()}
            for e in found
        ]
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("Aucun événement enregistré")
    for e in found:
        click.echo(f"{e.name} : {labels.day(e.on)} (enregistré le {labels.moment(e.recorded_at)})")
