"""``gedsae transfers``: transfers to an archival repository from the command line.

``transfers send`` prepares, signs and pushes one transfer under an archival agreement;
``transfers run`` is one pass of the scheduler (what ``gedsae serve`` does every
``transfer_poll_interval_s``); ``transfers record-reply`` records a reply received outside any
connector (archivists). The connectors themselves: ``ged.cli_connectors``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ged.cli import Env, pass_env
from ged.cli_lifecycle import actor_options, principal_for
from ged.domain.access import Principal
from ged.presentation import labels
from ged.services import transfer_loop, transfer_runner
from ged.services.ports import TransferRecord, TransferState
from ged.services.transfer_due import LeftBehind
from ged.services.transfer_runner import NothingToTransfer
from ged.services.transfer_setup import TransferSetup
from kernel.cli import fail, run
from kernel.errors import GedsaeError
from seda.versions import ALL_VERSIONS, any_version


def setup_for(env: Env) -> TransferSetup:
    from ged.bootstrap import build_transfer_setup

    return run(lambda: build_transfer_setup(env.settings))


# -- transfers ----------------------------------------------------------------------------------
@click.group("transfers")
def transfers_group() -> None:
    """Versements vers un service d'archives : préparation, envoi, suivi."""


@transfers_group.command("prepare")
@click.argument("dossier_ids", nargs=-1, required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="SIP (zip) à écrire")
@click.option(
    "--version",
    "seda_version",
    type=click.Choice([v.value for v in ALL_VERSIONS]),
    default="2.2",
    help="2.1, 2.2, 2.3, ou 1.0 (schémas installés par gedsae schemas install)",
)
@click.option("--archival-agency", required=True, help="Identifiant SEDA du service d'archives")
@click.option("--transferring-agency", required=True, help="Identifiant SEDA du service versant")
@click.option("--agreement", default=None, help="Accord de versement (ArchivalAgreement)")
@actor_options
@pass_env
def transfers_prepare(
    env: Env,
    dossier_ids: tuple[str, ...],
    out: Path,
    seda_version: str,
    archival_agency: str,
    transferring_agency: str,
    agreement: str | None,
    as_user: str,
    organisation: str | None,
) -> None:
    """Construit le bordereau SEDA et le SIP des dossiers donnés (sans l'envoyer)."""
    from ged.services.transfers import TransferParties, prepare_transfer

    actor = principal_for(env, as_user, organisation)
    parties = TransferParties(archival_agency, transferring_agency, agreement)
    schemas = env.settings.home / "schemas"
    prepared = run(
        lambda: prepare_transfer(
            env.context(),
            actor,
            list(dossier_ids),
            out,
            any_version(seda_version),
            parties,
            schemas=schemas,
        )
    )
    click.echo(
        f"{prepared.sip} : {prepared.objects} objets, {prepared.size} octets, "
        f"sha256 {prepared.sha256}, MessageIdentifier {prepared.message_identifier}"
    )


@transfers_group.command("send")
@click.argument("agreement")
@click.argument("dossier_ids", nargs=-1)
@click.option("--due", is_flag=True, help="Tous les dossiers échus à conserver qui peuvent partir")
@actor_options
@pass_env
def transfers_send(
    env: Env,
    agreement: str,
    dossier_ids: tuple[str, ...],
    due: bool,
    as_user: str,
    organisation: str | None,
) -> None:
    """Prépare, signe et envoie un versement selon l'accord AGREEMENT : les dossiers donnés, ou
    (--due) tous les dossiers échus à conserver qui peuvent partir, chaque autre dossier échu
    étant nommé avec son motif (gelé, tri à décider, hors de l'accord…). Code de sortie : 0 tout
    est parti, 4 des dossiers restent (nommés), 1 refus (rien à verser, versement rejeté), 5
    erreur à réessayer."""
    if bool(dossier_ids) == due:
        raise click.UsageError("Donnez des identifiants de dossiers ou --due, pas les deux")
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    if not due:
        record = run(
            lambda: transfer_runner.start(setup, env.context(), actor, agreement, list(dossier_ids))
        )
        _echo_record(record)
        _exit_for(record)
        return
    outcome = _start_due(setup, env, actor, agreement)
    _echo_record(outcome.record)
    _echo_left(outcome.left)
    _exit_for(outcome.record)
    if outcome.left:
        sys.exit(LEFT_BEHIND)


LEFT_BEHIND = 4  # some due dossiers stay: conflict with their state (held, undecided…)


def _start_due(
    setup: TransferSetup, env: Env, actor: Principal, agreement: str
) -> transfer_runner.DueTransfer:
    """The transfer of what may leave; when nothing may, every dossier left is named."""
    try:
        return transfer_runner.start_due(setup, env.context(), actor, agreement)
    except NothingToTransfer as exc:
        left = exc.extra.get("left")
        if not isinstance(left, list) or not left:
            fail(exc)
        click.echo("Aucun versement : aucun dossier échu ne peut partir.")
        _echo_left(left)
        sys.exit(LEFT_BEHIND)
    except GedsaeError as exc:
        fail(exc)


def _echo_left(left: list[LeftBehind]) -> None:
    if not left:
        return
    click.echo(f"{labels.count(len(left), 'dossier échu laissé', 'dossiers échus laissés')} :")
    for x in left:
        click.echo(f"  - {x.dossier_id} « {x.title} » : {x.reason}")


@transfers_group.command("poll")
@click.argument("message_identifier")
@actor_options
@pass_env
def transfers_poll(
    env: Env, message_identifier: str, as_user: str, organisation: str | None
) -> None:
    """Interroge le dépôt (ou renvoie le paquet) pour un versement, et applique la réponse."""
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    ctx = env.context()
    record = run(lambda: transfer_loop.get_transfer(ctx, actor, message_identifier))
    done = run(lambda: transfer_runner.step(setup, ctx, actor, record))
    _echo_record(done)
    _exit_for(done)


@transfers_group.command("record-reply")
@click.argument("message_identifier")
@click.argument("reply", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_options
@pass_env
def transfers_record_reply(
    env: Env, message_identifier: str, reply: Path, as_user: str, organisation: str | None
) -> None:
    """Enregistre la réponse du service d'archives reçue hors connecteur (courrier, papier) :
    son XML (ArchiveTransferReply), vérifié comme une réponse collectée. Archivistes seulement."""
    from ged.services.transfer_by_hand import MAX_REPLY_BYTES

    if reply.stat().st_size > MAX_REPLY_BYTES:
        raise click.UsageError(f"Réponse de plus de {MAX_REPLY_BYTES} octets refusée")
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env) if env.settings.agreements else None
    data = reply.read_bytes()
    done = run(
        lambda: transfer_runner.record_reply(setup, env.context(), actor, message_identifier, data)
    )
    _echo_record(done)  # recorded: a rejection recorded is no failure of the command


@transfers_group.command("run")
@pass_env
def transfers_run(env: Env) -> None:
    """Un passage du planificateur : renvois et interrogations arrivés à échéance."""
    setup = setup_for(env)
    reports = run(lambda: transfer_runner.run_all(setup, env.context()))
    for organisation, report in reports.items():
        click.echo(
            f"{organisation} : {report.polled} interrogés, {report.resent} renvoyés, "
            f"{report.gave_up} abandonnés, {len(report.failed)} en erreur"
        )
        for message_identifier, code in report.failed:
            click.echo(f"  - {message_identifier} : {code}")


@transfers_group.command("list")
@click.option("--state", type=click.Choice([s.value for s in TransferState]), default=None)
@click.option("--json", "as_json", is_flag=True)
@actor_options
@pass_env
def transfers_list(
    env: Env, state: str | None, as_json: bool, as_user: str, organisation: str | None
) -> None:
    """Liste les versements de l'organisation, du plus récent au plus ancien."""
    actor = principal_for(env, as_user, organisation)
    wanted = TransferState(state) if state else None
    records = run(lambda: transfer_loop.list_transfers(env.context(), actor, wanted))
    if as_json:
        click.echo(
            json.dumps([transfer_runner.describe(r) for r in records], ensure_ascii=False, indent=2)
        )
        return
    for r in records:
        error = f" ({r.last_error_code})" if r.last_error_code else ""
        state = labels.label(labels.TRANSFER_STATES, r.state)
        click.echo(
            f"{r.message_identifier}  {state}{error}  {r.agreement or r.connector}  "
            f"{labels.count(len(r.dossiers), 'dossier')}  {labels.moment(r.updated_at)}"
        )


@transfers_group.command("show")
@click.argument("message_identifier")
@click.option("--history", is_flag=True, help="Avec chaque échange avec le dépôt")
@click.option("--reply", is_flag=True, help="Avec le XML de la réponse du dépôt, tel que reçu")
@actor_options
@pass_env
def transfers_show(
    env: Env,
    message_identifier: str,
    history: bool,
    reply: bool,
    as_user: str,
    organisation: str | None,
) -> None:
    """Affiche un versement (JSON) : état, motifs, commentaires et événements de la réponse,
    signatures."""
    actor = principal_for(env, as_user, organisation)
    ctx = env.context()
    record = run(lambda: transfer_loop.get_transfer(ctx, actor, message_identifier))
    shown = transfer_runner.describe(record)
    if history:
        shown["history"] = list(record.history)
    if reply:
        data = run(lambda: transfer_loop.transfer_reply(ctx, actor, message_identifier))
        shown["reply_xml"] = data.decode("utf-8", errors="replace")
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2, default=str))


def _echo_record(r: TransferRecord) -> None:
    click.echo(f"{r.message_identifier} : {labels.label(labels.TRANSFER_STATES, r.state)}")
    if r.dossiers:
        click.echo(f"  {labels.count(len(r.dossiers), 'dossier')} : {', '.join(r.dossiers)}")
    if r.last_error_code:
        click.echo(f"  erreur ({r.last_error_code}) : {r.last_error_message}", err=True)
    for reason in r.reasons:
        click.echo(f"  - {reason}")
    for archive in (r.outcome or {}).get("archive_identifiers", []):
        click.echo(f"  archive {archive}")


def _exit_for(r: TransferRecord) -> None:
    """A rejection exits 1 (the package must be corrected); an error to retry exits 5."""
    if r.state is TransferState.REJECTED:
        sys.exit(1)
    if r.last_error_code:
        sys.exit(5)
