"""``gedsae-sae deliveries list``, ``derogations grant|list|revoke`` and ``access-register
export``: communication on the repository's host. A derogation is given or withdrawn by the
holder of an archivist's token (``--token-file`` or ``GEDSAE_SAE_TOKEN``), as a review decision
is; the register is written as CSV (French headers) to a file that must not exist, or to the
standard output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from kernel.cli import run
from kernel.paging import Page
from sae.access.deliveries import list_deliveries
from sae.access.derogations import (
    DerogationAsked,
    grant_derogation,
    list_derogations,
    revoke_derogation,
)
from sae.access.register import register_csv
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.cli.review import archivist_of, token_option
from sae.model import Delivery, Derogation

_DAY = click.DateTime(["%Y-%m-%d"])


@click.group("deliveries")
def deliveries_group() -> None:
    """Demandes de communication reçues (ArchiveDeliveryRequest) et leurs réponses."""


@deliveries_group.command("list")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def deliveries_list(instance: Instance, tenant: str | None, limit: int, as_json: bool) -> None:
    """Les demandes de communication, les plus récentes d'abord."""
    org = instance.tenant(tenant)
    found = run(lambda: list_deliveries(instance.database(), org, Page(limit)))
    if as_json:
        click.echo(json.dumps([_delivery(d) for d in found], ensure_ascii=False, indent=2))
        return
    for d in found:
        verdict = "accordée" if d.granted else "refusée"
        units = ", ".join(d.unit_ids)
        click.echo(f"{d.received_at:%Y-%m-%d %H:%M}  {d.message_identifier}  {d.requester}  "
                   f"{verdict}  ({units})")  # fmt: skip
    click.echo(f"{len(found)} demande(s)")


@click.group("derogations")
def derogations_group() -> None:
    """Dérogations aux délais de communicabilité (Code du patrimoine, art. L213-3)."""


@derogations_group.command("grant")
@click.argument("archive_id")
@click.option("--requester", required=True, help="Service demandeur à qui elle est accordée")
@click.option("--reason", required=True, help="Motif de la dérogation")
@click.option("--until", "until", type=_DAY, required=True, help="Dernier jour (AAAA-MM-JJ)")
@token_option
@pass_instance
def grant(
    instance: Instance,
    archive_id: str,
    requester: str,
    reason: str,
    until: datetime,
    token_file: Path | None,
) -> None:
    """Accorde une dérogation sur ARCHIVE_ID (et tout ce qu'elle contient)."""
    opened = instance.repository()

    def given() -> Derogation:
        who = archivist_of(opened.db, token_file)
        asked = DerogationAsked(archive_id, requester, reason, until.date())
        now = opened.config.clock()
        return grant_derogation(opened.db, who.organisation, who.name, asked, now)

    found = run(given)
    click.echo(f"Dérogation {found.id} accordée à {found.requester} sur {found.archive_id} "
               f"jusqu'au {found.until.isoformat()} inclus")  # fmt: skip


@derogations_group.command("revoke")
@click.argument("derogation_id")
@token_option
@pass_instance
def revoke(instance: Instance, derogation_id: str, token_file: Path | None) -> None:
    """Retire une dérogation : elle ne s'applique plus aux demandes suivantes."""
    opened = instance.repository()

    def withdrawn() -> Derogation:
        who = archivist_of(opened.db, token_file)
        now = opened.config.clock()
        return revoke_derogation(opened.db, who.organisation, who.name, derogation_id, now)

    found = run(withdrawn)
    click.echo(f"Dérogation {found.id} retirée")


@derogations_group.command("list")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def derogations_list(instance: Instance, tenant: str | None, limit: int, as_json: bool) -> None:
    """Les dérogations accordées, les plus récentes d'abord (retirées comprises)."""
    org = instance.tenant(tenant)
    found = run(lambda: list_derogations(instance.database(), org, Page(limit)))
    if as_json:
        click.echo(json.dumps([_derogation(d) for d in found], ensure_ascii=False, indent=2))
        return
    for d in found:
        state = "retirée" if d.revoked_at else f"jusqu'au {d.until.isoformat()}"
        click.echo(f"{d.id}  {d.archive_id}  {d.requester}  {state}  — {d.reason} "
                   f"(par {d.granted_by})")  # fmt: skip
    click.echo(f"{len(found)} dérogation(s)")


@click.group("access-register")
def register_group() -> None:
    """Registre des accès : chaque communication et chaque téléchargement."""


@register_group.command("export")
@tenant_option
@click.option("--from", "date_from", type=_DAY, default=None, help="Premier jour (inclus)")
@click.option("--to", "date_to", type=_DAY, default=None, help="Dernier jour (inclus)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fichier CSV à écrire (il ne doit pas exister) ; sinon la sortie standard")  # fmt: skip
@pass_instance
def export(
    instance: Instance,
    tenant: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    output: Path | None,
) -> None:
    """Le registre des accès en CSV (en-têtes en français, UTF-8)."""
    if output is not None and output.exists():
        raise click.UsageError(f"{output} existe déjà : choisissez un autre fichier")
    org = instance.tenant(tenant)
    start = None if date_from is None else date_from.date()
    end = None if date_to is None else date_to.date()
    lines = register_csv(instance.database(), org, start, end)
    if output is None:
        run(lambda: _echo(lines))
        return
    with output.open("x", encoding="utf-8", newline="") as out:
        run(lambda: out.writelines(lines))
    click.echo(f"{output} écrit")


def _echo(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line, nl=False)


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": d.id,
        "message_identifier": d.message_identifier,
        "requester": d.requester,
        "unit_identifiers": list(d.unit_ids),
        "received_at": d.received_at.isoformat(),
        "granted": d.granted,
    }


def _derogation(d: Derogation) -> dict[str, Any]:
    return {
        "derogation_id": d.id,
        "archive_id": d.archive_id,
        "requester": d.requester,
        "reason": d.reason,
        "until": d.until.isoformat(),
        "granted_by": d.granted_by,
        "granted_at": d.granted_at.isoformat(),
        "revoked_at": None if d.revoked_at is None else d.revoked_at.isoformat(),
    }
