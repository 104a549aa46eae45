"""``gedsae sae …``: the archival repository (``sae/``) from the command line.

``init`` prepares its home (``sae.toml``, schemas, signing key), ``token create`` issues a
bearer token for a GED or an archivist, ``serve`` runs it as its own process, ``review``
lets an archivist decide on the repository host itself, ``audit`` re-hashes every stored copy.
``gedsae serve --with-sae`` runs the GED and the repository in one process instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ged.domain.errors import GedError

if TYPE_CHECKING:  # the repository's modules load only when a command needs them
    from sae.api import SaeConfig
    from sae.config import SaeSettings
    from sae.store import TransferStore


def _settings(home: Path | None) -> SaeSettings:
    from sae.config import SaeMisconfigured, load_settings

    try:
        return load_settings(home)
    except SaeMisconfigured as exc:
        click.echo(f"sae_misconfigured: {exc}", err=True)
        sys.exit(1)


def repository_config(home: Path | None) -> tuple[SaeSettings, SaeConfig]:
    from sae.config import SaeMisconfigured, build_config

    settings = _settings(home)
    try:
        return settings, build_config(settings)
    except SaeMisconfigured as exc:
        click.echo(f"sae_misconfigured: {exc}", err=True)
        sys.exit(1)


def _store(config: SaeConfig) -> TransferStore:
    from sae.store import TransferStore

    return TransferStore(config.data_dir / "transfers.sqlite")


home_option = click.option(
    "--sae-home",
    "home",
    type=click.Path(path_type=Path),
    envvar="GEDSAE_SAE_HOME",
    help="Dossier du dépôt (défaut : $GEDSAE_HOME/sae)",
)


@click.group("sae")
def sae_group() -> None:
    """Le dépôt d'archives (SAE) : installation, service, contrôle, audit."""


@sae_group.command("init")
@click.option("--organisation", required=True, help="Identifiant SEDA du service d'archives")
@click.option(
    "--schemas-from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Dossier local des XSD officiels (sinon : téléchargement vérifié)",
)
@click.option("--port", type=int, default=8100, show_default=True)
@home_option
def sae_init(organisation: str, schemas_from: Path | None, port: int, home: Path | None) -> None:
    """Crée le dépôt : sae.toml (deux offres disque), schémas SEDA, clé de scellement."""
    from ged.adapters.signing import write_self_signed
    from sae.config import sae_home, write_default_config
    from schemas.install import install

    root = (home or sae_home()).resolve()
    config = write_default_config(root, organisation, port)
    schemas = root / "schemas"
    if not (schemas / "catalog.xml").exists():
        install(schemas, schemas_from)
    key = root / "signing" / "key.pem"
    if not key.exists():
        certificate = root / "signing" / "certificate.pem"
        write_self_signed(key, certificate, f"gedsae SAE {organisation}", organisation)
    click.echo(f"Dépôt prêt dans {root} (configuration : {config})")


@sae_group.group("token")
def sae_token() -> None:
    """Jetons d'accès au dépôt (seule leur empreinte est conservée)."""


@sae_token.command("create")
@click.argument("name")
@click.option("--organisation", default=None, help="Organisation (défaut : celle du dépôt)")
@click.option("--role", type=click.Choice(["transferring", "archivist"]), required=True)
@home_option
def sae_token_create(name: str, organisation: str | None, role: str, home: Path | None) -> None:
    """Crée un jeton (affiché une seule fois) pour un service versant ou un archiviste."""
    from sae.config import issue_token

    settings = _settings(home)
    click.echo(issue_token(settings.home, organisation or settings.organisation, role, name))


@sae_group.command("serve")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@home_option
def sae_serve(host: str | None, port: int | None, home: Path | None) -> None:
    """Lance le dépôt comme processus autonome (API /api/v1/sae)."""
    import uvicorn

    from sae.api import create_sae_app

    settings, config = repository_config(home)
    uvicorn.run(
        create_sae_app(config),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@sae_group.group("review")
def sae_review() -> None:
    """Contrôle des versements reçus par l'archiviste."""


@sae_review.command("list")
@click.option("--organisation", default=None)
@click.option("--json", "as_json", is_flag=True)
@home_option
def sae_review_list(organisation: str | None, as_json: bool, home: Path | None) -> None:
    """Versements en attente de décision, avec le résultat des contrôles."""
    from sae import review
    from sae.api import transfer_summary

    settings, config = repository_config(home)
    pending = review.pending(_store(config), organisation or settings.organisation)
    if as_json:
        click.echo(json.dumps([transfer_summary(t) for t in pending], ensure_ascii=False, indent=2))
        return
    for t in pending:
        verdict = "contrôles OK" if t.checks_passed else f"{len(t.issues)} anomalie(s)"
        click.echo(f"{t.id}  {t.message_identifier}  {t.transferring_agency}  {verdict}")
        for issue in t.issues:
            click.echo(f"    - [{issue.severity}] {issue.code} : {issue.message}")


def _decide(
    verb: str,
    transfer_id: str,
    archivist: str,
    comment: str | None,
    home: Path | None,
    organisation: str | None,
) -> None:
    from sae import review
    from sae.api import transfer_summary

    settings, config = repository_config(home)
    store = _store(config)
    org = organisation or settings.organisation
    decision = review.Decision(archivist, comment)
    try:
        if verb == "accept":
            done = review.accept(store, config.offers, org, transfer_id, decision)
        else:
            done = review.reject(store, org, transfer_id, decision)
    except GedError as exc:
        from ged.cli import fail

        fail(exc)
    click.echo(json.dumps(transfer_summary(done), ensure_ascii=False, indent=2))


@sae_review.command("accept")
@click.argument("transfer_id")
@click.option("--as", "archivist", required=True, help="Nom de l'archiviste")
@click.option("--comment", default=None)
@click.option("--organisation", default=None)
@home_option
def sae_review_accept(
    transfer_id: str,
    archivist: str,
    comment: str | None,
    organisation: str | None,
    home: Path | None,
) -> None:
    """Accepte un versement : objets écrits sur chaque offre, réponse ArchiveTransferReply OK."""
    _decide("accept", transfer_id, archivist, comment, home, organisation)


@sae_review.command("reject")
@click.argument("transfer_id")
@click.option("--as", "archivist", required=True, help="Nom de l'archiviste")
@click.option("--comment", required=True, help="Motif (transmis au service versant)")
@click.option("--organisation", default=None)
@home_option
def sae_review_reject(
    transfer_id: str, archivist: str, comment: str, organisation: str | None, home: Path | None
) -> None:
    """Rejette un versement avec son motif : réponse ArchiveTransferReply KO."""
    _decide("reject", transfer_id, archivist, comment, home, organisation)


@sae_group.command("audit")
@click.option("--no-repair", is_flag=True, help="Constater seulement, sans réparer")
@click.option("--json", "as_json", is_flag=True)
@home_option
def sae_audit(no_repair: bool, as_json: bool, home: Path | None) -> None:
    """Recalcule l'empreinte de chaque copie ; répare depuis une copie vérifiée (code 1 si
    une anomalie subsiste)."""
    from sae.audit import audit

    settings, config = repository_config(home)
    offers = config.offers
    report = audit(
        offers.offers, offers.registry, repair=not no_repair, spool_dir=settings.home / "spool"
    )
    from sae import journal

    journal.log_audit(_store(config), report)
    data: dict[str, Any] = report.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{data['objects_checked']} objets contrôlés")
        for finding in data["findings"]:
            click.echo(
                f"  - {finding['code']} {finding.get('object_id') or ''} : {finding['message']}"
            )
    sys.exit(0 if report.clean else 1)


@sae_group.command("seal")
@home_option
def sae_seal(home: Path | None) -> None:
    """Scelle le journal du dépôt : point de contrôle signé, écrit sur chaque offre."""
    from sae.checkpoints import seal

    _, config = repository_config(home)
    if config.sealing is None:
        click.echo("sae_misconfigured: aucune clé de scellement (gedsae sae init)", err=True)
        sys.exit(1)
    sealed = seal(_store(config), config.offers, config.sealing)
    click.echo(json.dumps(sealed.to_dict(), ensure_ascii=False, indent=2, default=str))


def verify_repository_log(home: Path | None) -> bool:
    """The repository's chain and its sealed checkpoints; prints the findings."""
    from sae.checkpoint_verify import verify_with_checkpoints

    _, config = repository_config(home)
    anchors = config.sealing.anchors() if config.sealing is not None else ()
    report = verify_with_checkpoints(config.data_dir / "transfers.sqlite", config.offers, anchors)
    if report.ok:
        click.echo("Journal du dépôt intègre (chaîne et points de contrôle scellés)")
        return True
    for finding in report.to_dict().get("findings", []):
        click.echo(f"Journal du dépôt : {finding}", err=True)
    return False


@sae_group.group("log")
def sae_log() -> None:
    """Journal des opérations du dépôt."""


@sae_log.command("verify")
@home_option
def sae_log_verify(home: Path | None) -> None:
    """Vérifie la chaîne du journal et chaque point de contrôle scellé (code 1 sinon)."""
    sys.exit(0 if verify_repository_log(home) else 1)
