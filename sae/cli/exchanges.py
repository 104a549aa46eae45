"""``gedsae-sae restitutions list`` and ``eliminations propose|list|approve|control-request|
control-reply``: restitution and
elimination on the repository's host. An elimination is proposed and approved by the holder of
an archivist's token (``--token-file`` or ``GEDSAE_SAE_TOKEN``), as a review decision is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import click

from kernel.cli import run
from sae.access.eliminations import (
    approve_elimination,
    get_elimination,
    list_eliminations,
    propose_eliminations,
    record_control_reply,
)
from sae.access.restitutions import list_restitutions
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.cli.review import archivist_of, token_option
from sae.model import Elimination, EliminationState

STATES: Final = {
    EliminationState.AWAITING_PRODUCER: "en attente de l'accord du service producteur",
    EliminationState.AWAITING_CONTROL: "accord du producteur : en attente du visa de l'autorité "
    "de contrôle",
    EliminationState.AGREED: "accordée : en attente du visa de l'archiviste",
    EliminationState.REFUSED: "refusée (service producteur ou autorité de contrôle)",
    EliminationState.DESTROYED: "éliminée",
}


@click.group("restitutions")
def restitutions_group() -> None:
    """Restitutions d'archives à leur service producteur (ArchiveRestitutionRequest)."""


@restitutions_group.command("list")
@tenant_option
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def restitutions_list(instance: Instance, tenant: str | None, as_json: bool) -> None:
    """Les demandes de restitution, les plus récentes d'abord."""
    org = instance.tenant(tenant)
    found = run(lambda: list_restitutions(instance.database(), org))
    if as_json:
        items = [
            {"message_identifier": r.message_identifier, "originating_agency": r.originating_agency,
             "unit_identifiers": list(r.unit_ids), "granted": r.granted,
             "completed_at": None if r.completed_at is None else r.completed_at.isoformat()}
            for r in found
        ]  # fmt: skip
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for r in found:
        state = "refusée" if not r.granted else "accordée"
        if r.completed_at is not None:
            state = "acquittée, archives supprimées"
        click.echo(f"{r.message_identifier}  {r.originating_agency}  {state}  "
                   f"({', '.join(r.unit_ids)})")  # fmt: skip
    click.echo(f"{len(found)} demande(s)")


@click.group("eliminations")
def eliminations_group() -> None:
    """Éliminations d'archives dont la DUA est échue et le sort final la destruction."""


@eliminations_group.command("propose")
@click.option(
    "--control-authority",
    default=None,
    help="Autorité de contrôle dont le visa est aussi requis (identifiant SEDA, par exemple les "
    "Archives départementales)",
)
@token_option
@pass_instance
def propose(instance: Instance, control_authority: str | None, token_file: Path | None) -> None:
    """Cherche les archives à éliminer et demande l'accord de leur service producteur (et le visa
    de l'autorité de contrôle, avec --control-authority)."""
    opened = instance.repository()

    def made() -> list[Elimination]:
        who = archivist_of(opened.db, token_file)
        now = opened.config.clock()
        return propose_eliminations(opened.db, who.organisation, who.name, now, control_authority)

    found = run(made)
    for e in found:
        click.echo(f"{e.id}  {e.originating_agency}  {len(e.unit_ids)} archive(s) : "
                   f"demande d'accord {e.message_identifier}")  # fmt: skip
    click.echo(f"{len(found)} élimination(s) proposée(s)")


@eliminations_group.command("list")
@tenant_option
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def eliminations_list(instance: Instance, tenant: str | None, as_json: bool) -> None:
    """Les éliminations proposées et leur état."""
    org = instance.tenant(tenant)
    found = run(lambda: list_eliminations(instance.database(), org))
    if as_json:
        click.echo(json.dumps([_fields(e) for e in found], ensure_ascii=False, indent=2))
        return
    for e in found:
        click.echo(f"{e.id}  {e.originating_agency}  {STATES[e.state]}  ({', '.join(e.unit_ids)})")
    click.echo(f"{len(found)} élimination(s)")


@eliminations_group.command("approve")
@click.argument("elimination_id")
@token_option
@pass_instance
def approve(instance: Instance, elimination_id: str, token_file: Path | None) -> None:
    """Vise une élimination accordée par le service producteur : les archives sont détruites,
    une trace de chacune est gardée."""
    opened = instance.repository()

    def done() -> Elimination:
        who = archivist_of(opened.db, token_file)
        offers = opened.storage.offers(who.organisation)
        config = opened.config
        return approve_elimination(
            opened.db, offers, config.dips_dir, who.organisation, who.name, elimination_id,
            config.clock(),
        )  # fmt: skip

    found = run(done)
    click.echo(f"Élimination {found.id} faite : {len(found.unit_ids)} archive(s) détruite(s)")


@eliminations_group.command("control-request")
@click.argument("elimination_id")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@tenant_option
@pass_instance
def control_request(instance: Instance, elimination_id: str, out: Path, tenant: str | None) -> None:
    """Écrit la demande de visa (AuthorizationControlAuthorityRequest) à envoyer à l'autorité de
    contrôle."""
    org = instance.tenant(tenant)
    found = run(lambda: get_elimination(instance.database(), org, elimination_id))
    if found.control_request is None:
        raise click.ClickException(f"L'élimination {elimination_id} ne demande pas de visa")
    out.write_bytes(found.control_request)
    click.echo(f"Demande de visa écrite : {out} (pour {found.control_authority})")


@eliminations_group.command("control-reply")
@click.argument("reply", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@token_option
@pass_instance
def control_reply(instance: Instance, reply: Path, token_file: Path | None) -> None:
    """Enregistre la réponse de l'autorité de contrôle (AuthorizationControlAuthorityRequestReply)."""
    opened = instance.repository()

    def recorded() -> Elimination:
        who = archivist_of(opened.db, token_file)
        data = reply.read_bytes()
        now = opened.config.clock()
        return record_control_reply(opened.db, who.organisation, who.name, data, now)

    found = run(recorded)
    click.echo(f"Élimination {found.id} : {STATES[found.state]}")


def _fields(e: Elimination) -> dict[str, Any]:
    return {
        "elimination_id": e.id,
        "message_identifier": e.message_identifier,
        "originating_agency": e.originating_agency,
        "unit_identifiers": list(e.unit_ids),
        "state": str(e.state),
        "approved_by": e.approved_by,
        "control_authority": e.control_authority,
        "control_granted": e.control_granted,
    }
