"""``gedsae-sae review list|accept|reject``: an archivist decides on the repository host.

The decider is the holder of an archivist's token of the repository (``--token-file`` or
``GEDSAE_SAE_TOKEN``), never a name typed on the command line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from kernel.cli import run
from kernel.errors import AuthenticationError, ForbiddenError
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.journal.checkpoints import sealer
from sae.model import Decision, Principal
from sae.ports import Database
from sae.review import decisions
from sae.review.summary import transfer_summary
from sae.tokens import authenticate


@click.group("review")
def review_group() -> None:
    """Contrôle des versements reçus par l'archiviste."""


@review_group.command("list")
@tenant_option
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def listing(instance: Instance, tenant: str | None, as_json: bool) -> None:
    """Versements en attente de décision, avec le résultat des contrôles."""
    owner = instance.tenant(tenant)
    pending = run(lambda: decisions.pending(instance.database(), owner))
    if as_json:
        click.echo(json.dumps([transfer_summary(t) for t in pending], ensure_ascii=False, indent=2))
        return
    for t in pending:
        verdict = "contrôles OK" if t.checks_passed else f"{len(t.issues)} anomalie(s)"
        click.echo(f"{t.id}  {t.message_identifier}  {t.transferring_agency}  {verdict}")
        for issue in t.issues:
            click.echo(f"    - [{issue.severity}] {issue.code} : {issue.message}")


token_option = click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Fichier du jeton d'archiviste qui décide (sinon : variable GEDSAE_SAE_TOKEN)",
)


@review_group.command("accept")
@click.argument("transfer_id")
@token_option
@click.option("--comment", default=None)
@pass_instance
def accept(
    instance: Instance, transfer_id: str, token_file: Path | None, comment: str | None
) -> None:
    """Accepte un versement : objets écrits sur chaque offre, réponse ArchiveTransferReply OK.
    Décide le titulaire du jeton d'archiviste (--token-file ou GEDSAE_SAE_TOKEN)."""
    opened = instance.repository()

    def decide() -> dict[str, object]:
        who = archivist_of(opened.db, token_file)
        decision = Decision(who.name, comment)
        offers = opened.storage.offers(who.organisation)
        seal = sealer(opened.db, who.organisation, offers, opened.config.sealing)
        done = decisions.accept(
            opened.db, offers, who.organisation, transfer_id, decision, seal=seal
        )
        return transfer_summary(done)

    click.echo(json.dumps(run(decide), ensure_ascii=False, indent=2))


@review_group.command("reject")
@click.argument("transfer_id")
@token_option
@click.option("--comment", required=True, help="Motif (transmis au service versant)")
@pass_instance
def reject(instance: Instance, transfer_id: str, token_file: Path | None, comment: str) -> None:
    """Rejette un versement avec son motif : réponse ArchiveTransferReply KO. Décide le
    titulaire du jeton d'archiviste (--token-file ou GEDSAE_SAE_TOKEN)."""
    db = instance.database()

    def decide() -> dict[str, object]:
        who = archivist_of(db, token_file)
        decision = Decision(who.name, comment)
        return transfer_summary(decisions.reject(db, who.organisation, transfer_id, decision))

    click.echo(json.dumps(run(decide), ensure_ascii=False, indent=2))


def archivist_of(db: Database, token_file: Path | None) -> Principal:
    """The archivist who decides is the holder of a token of the repository."""
    if token_file is not None:
        token = token_file.read_text(encoding="utf-8").strip()
    else:
        token = os.environ.get("GEDSAE_SAE_TOKEN", "").strip()
    if not token:
        raise AuthenticationError("Jeton d'archiviste requis : --token-file ou GEDSAE_SAE_TOKEN")
    who = authenticate(db, token)
    if who is None:
        raise AuthenticationError("Jeton inconnu, révoqué ou expiré")
    if who.role != "archivist":
        raise ForbiddenError("Réservé aux archivistes de l'organisation")
    return who
