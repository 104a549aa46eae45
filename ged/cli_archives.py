"""``gedsae archives``: ask the repository for archives the GED transferred — communication
(``request``) and restitution (``restitute``), then ``receive`` the reply and its package,
verified before it is written (``ged.services.archive_exchanges``); read what the repository
says to the producer (``inbox``) and answer its authorization requests (``answer``,
``ged.services.incoming_exchanges``). The exchanges: docs/exchanges.md."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from connectors.exchanges import ExchangeKind
from ged.cli import Env, pass_env
from ged.cli_lifecycle import actor_options, principal_for
from ged.cli_transfers import setup_for
from ged.presentation import labels
from ged.services import archive_exchanges, incoming_exchanges
from ged.services.archive_exchanges import Received
from ged.services.incoming_ports import (
    AUTHORIZATION_REQUEST,
    DESTRUCTION_NOTICE,
    MODIFICATION_NOTICE,
    IncomingMessage,
    IncomingState,
)
from kernel.cli import run

WAITING = 5  # the reply is not there yet: ask again later (as an unavailable dependency)
REFUSED = 1


@click.group("archives")
def archives_group() -> None:
    """Communication et restitution d'archives versées."""


@archives_group.command("request")
@click.argument("agreement")
@click.argument("dossier_ids", nargs=-1, required=True)
@click.option("--derogation", is_flag=True, help="Demander une dérogation (délai non échu)")
@click.option("--reason", default=None, help="Motif de la demande (commentaire du message)")
@actor_options
@pass_env
def archives_request(
    env: Env,
    agreement: str,
    dossier_ids: tuple[str, ...],
    derogation: bool,
    reason: str | None,
    as_user: str,
    organisation: str | None,
) -> None:
    """Demande au service d'archives de l'accord AGREEMENT la communication des archives des
    dossiers versés donnés (ArchiveDeliveryRequest)."""
    _request(env, agreement, ExchangeKind.DELIVERY, dossier_ids, as_user, organisation,
             derogation=derogation, reason=reason)  # fmt: skip


@archives_group.command("restitute")
@click.argument("agreement")
@click.argument("dossier_ids", nargs=-1, required=True)
@click.option("--reason", default=None, help="Motif de la restitution")
@actor_options
@pass_env
def archives_restitute(
    env: Env,
    agreement: str,
    dossier_ids: tuple[str, ...],
    reason: str | None,
    as_user: str,
    organisation: str | None,
) -> None:
    """Demande au service d'archives de l'accord AGREEMENT de rendre les archives des dossiers
    versés donnés (ArchiveRestitutionRequest)."""
    _request(env, agreement, ExchangeKind.RESTITUTION, dossier_ids, as_user, organisation,
             reason=reason)  # fmt: skip


@archives_group.command("receive")
@click.argument("agreement")
@click.argument("message_identifier")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Paquet (zip) à écrire")
@actor_options
@pass_env
def archives_receive(
    env: Env,
    agreement: str,
    message_identifier: str,
    out: Path,
    as_user: str,
    organisation: str | None,
) -> None:
    """Lit la réponse à une demande ; accordée, écrit son paquet dans OUT une fois chaque
    empreinte vérifiée (une restitution n'est acquittée qu'alors). Code de sortie : 0 reçu,
    1 refusé, 5 réponse pas encore donnée."""
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    found = run(
        lambda: archive_exchanges.receive_archives(
            setup, env.context(), actor, agreement, message_identifier, out
        )
    )
    _echo(found)


def _request(
    env: Env,
    agreement: str,
    kind: ExchangeKind,
    dossier_ids: tuple[str, ...],
    as_user: str,
    organisation: str | None,
    *,
    derogation: bool = False,
    reason: str | None = None,
) -> None:
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    mid = run(
        lambda: archive_exchanges.request_archives(
            setup,
            env.context(),
            actor,
            agreement,
            kind,
            list(dossier_ids),
            derogation=derogation,
            reason=reason,
        )
    )
    what = "communication" if kind is ExchangeKind.DELIVERY else "restitution"
    dossiers = labels.count(len(dossier_ids), "dossier", "dossiers")
    click.echo(f"Demande de {what} {mid} envoyée ({dossiers}).")
    click.echo(f"Réponse : gedsae archives receive {agreement} {mid} --out FICHIER.zip")


def _echo(found: Received) -> None:
    mid = found.message_identifier
    if found.state == "waiting":
        wait = int(found.retry_after or 0)
        click.echo(f"{mid} : réponse pas encore donnée, redemandez dans {wait} s.")
        sys.exit(WAITING)
    if found.state == "refused":
        click.echo(f"{mid} : demande refusée par le service d'archives.")
        for comment in found.comments:
            click.echo(f"  - {comment}")
        sys.exit(REFUSED)
    archives = labels.count(len(found.units), "archive", "archives")
    click.echo(f"{mid} : paquet reçu et vérifié ({archives}) : {found.path}")
    click.echo(f"  SHA-256 {found.sha256}")


_TYPES = {
    AUTHORIZATION_REQUEST: "demande d'autorisation d'élimination",
    MODIFICATION_NOTICE: "notification de modification",
    DESTRUCTION_NOTICE: "notification de destruction",
}
_STATES = {
    IncomingState.AWAITING_ANSWER: "en attente de la réponse d'un archiviste",
    IncomingState.ANSWERED: "répondue",
    IncomingState.RECORDED: "enregistrée dans l'historique des dossiers",
}


@archives_group.command("inbox")
@click.argument("agreement")
@actor_options
@pass_env
def archives_inbox(env: Env, agreement: str, as_user: str, organisation: str | None) -> None:
    """Relève les messages du service d'archives de l'accord AGREEMENT (demandes d'autorisation
    avant élimination, notifications de modification) et liste ceux qui attendent une réponse."""
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    ctx = env.context()
    new = run(lambda: incoming_exchanges.collect_messages(setup, ctx, actor, agreement))
    click.echo(f"{labels.count(len(new), 'nouveau message', 'nouveaux messages')}.")
    for message in new:
        _echo_incoming(message)
    waiting = run(
        lambda: incoming_exchanges.incoming_messages(ctx, actor, IncomingState.AWAITING_ANSWER)
    )
    click.echo(f"En attente de réponse : {len(waiting)}")
    for message in waiting:
        _echo_incoming(message)


@archives_group.command("answer")
@click.argument("message_identifier")
@click.option("--grant/--refuse", required=True, help="Accorder ou refuser l'élimination")
@click.option("--comment", default=None, help="Motif de la réponse")
@actor_options
@pass_env
def archives_answer(
    env: Env,
    message_identifier: str,
    grant: bool,
    comment: str | None,
    as_user: str,
    organisation: str | None,
) -> None:
    """Répond (archiviste) à une demande d'autorisation d'élimination du service d'archives."""
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    answered = run(
        lambda: incoming_exchanges.answer_authorization(
            setup, env.context(), actor, message_identifier, granted=grant, comment=comment
        )
    )
    verdict = "accordée" if grant else "refusée"
    click.echo(f"Élimination {verdict} : réponse {answered.reply_identifier} envoyée.")


def _echo_incoming(message: IncomingMessage) -> None:
    dossiers = labels.count(len(message.dossiers), "dossier", "dossiers")
    click.echo(
        f"  - {message.message_identifier} : {_TYPES[message.message_type]}, {dossiers} "
        f"({', '.join(message.dossiers) or 'aucun connu'}), {_STATES[message.state]}"
    )
