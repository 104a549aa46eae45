"""``gedsae sae …``: the archival repository (``sae/``) from the command line.

``init`` prepares its home (``sae.toml``, schemas, signing key), ``token create|list|revoke``
manage the bearer tokens of GEDs and archivists, ``serve`` runs it as its own process,
``review`` lets an archivist decide on the repository host itself (the decider is the holder of
an archivist's token, never a name typed on the command line), ``audit`` re-hashes every copy.
``gedsae serve --with-sae`` runs the GED and the repository in one process instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kernel.errors import GedsaeError

if TYPE_CHECKING:  # the repository's modules load only when a command needs them
    from sae.api import Principal, SaeConfig
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
@click.option(
    "--expires-at",
    default=None,
    help="Fin de validité, ISO 8601 (2027-01-31 ou 2027-01-31T18:00+01:00 ; UTC si sans fuseau)",
)
@home_option
def sae_token_create(
    name: str, organisation: str | None, role: str, expires_at: str | None, home: Path | None
) -> None:
    """Crée un jeton (affiché une seule fois) pour un service versant ou un archiviste."""
    from kernel.cli import expiry_option
    from sae.tokens import issue_token

    settings = _settings(home)
    org = organisation or settings.organisation
    expiry = expiry_option(expires_at)
    click.echo(issue_token(settings.home, org, role, name, expires_at=expiry))


@sae_token.command("list")
@home_option
def sae_token_list(home: Path | None) -> None:
    """Les jetons du dépôt (identifiant, titulaire, rôle, état ; jamais leur valeur), en JSON."""
    from sae.tokens import list_tokens

    click.echo(json.dumps(list_tokens(_settings(home).home), ensure_ascii=False, indent=2))


@sae_token.command("revoke")
@click.argument("token_id")
@home_option
def sae_token_revoke(token_id: str, home: Path | None) -> None:
    """Révoque un jeton : refusé dès la requête suivante, y compris par un dépôt en marche ;
    la révocation est inscrite au journal du dépôt."""
    from kernel.cli import run
    from kernel.oplog import LogSpec
    from sae import journal
    from sae.tokens import revoke_token

    settings, config = repository_config(home)
    entry = run(lambda: revoke_token(settings.home, token_id))
    details = {"name": entry["name"], "role": entry["role"]}
    spec = LogSpec("cli", "token.revoke", "token", token_id, entry["organisation"], details)
    journal.record(_store(config), spec)
    click.echo(f"Jeton {token_id} révoqué")


@sae_group.command("serve")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@home_option
def sae_serve(host: str | None, port: int | None, home: Path | None) -> None:
    """Lance le dépôt comme processus autonome (API /api/v1/sae)."""
    import os

    import uvicorn

    os.umask(0o077)  # whatever the repository creates (quarantine, spools, journals) is its own

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


token_option = click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Fichier du jeton d'archiviste qui décide (sinon : variable GEDSAE_SAE_TOKEN)",
)


def _archivist(config: SaeConfig, token_file: Path | None) -> Principal:
    """The archivist who decides is the holder of a token of the repository, never a name
    typed on the command line."""
    import os

    from kernel.errors import AuthenticationError, ForbiddenError

    if token_file is not None:
        token = token_file.read_text(encoding="utf-8").strip()
    else:
        token = os.environ.get("GEDSAE_SAE_TOKEN", "").strip()
    if not token:
        raise AuthenticationError("Jeton d'archiviste requis : --token-file ou GEDSAE_SAE_TOKEN")
    who = config.tokens.get(token)
    if who is None:
        raise AuthenticationError("Jeton inconnu, révoqué ou expiré")
    if who.role != "archivist":
        raise ForbiddenError("Réservé aux archivistes de l'organisation")
    return who


def _decide(
    verb: str, transfer_id: str, token_file: Path | None, comment: str | None, home: Path | None
) -> None:
    from sae import review
    from sae.api import transfer_summary

    _, config = repository_config(home)
    store = _store(config)
    try:
        who = _archivist(config, token_file)
        decision = review.Decision(who.name, comment)
        if verb == "accept":
            done = review.accept(store, config.offers, who.organisation, transfer_id, decision)
        else:
            done = review.reject(store, who.organisation, transfer_id, decision)
    except GedsaeError as exc:
        from kernel.cli import fail

        fail(exc)
    click.echo(json.dumps(transfer_summary(done), ensure_ascii=False, indent=2))


@sae_review.command("accept")
@click.argument("transfer_id")
@token_option
@click.option("--comment", default=None)
@home_option
def sae_review_accept(
    transfer_id: str, token_file: Path | None, comment: str | None, home: Path | None
) -> None:
    """Accepte un versement : objets écrits sur chaque offre, réponse ArchiveTransferReply OK.
    Décide le titulaire du jeton d'archiviste (--token-file ou GEDSAE_SAE_TOKEN)."""
    _decide("accept", transfer_id, token_file, comment, home)


@sae_review.command("reject")
@click.argument("transfer_id")
@token_option
@click.option("--comment", required=True, help="Motif (transmis au service versant)")
@home_option
def sae_review_reject(
    transfer_id: str, token_file: Path | None, comment: str, home: Path | None
) -> None:
    """Rejette un versement avec son motif : réponse ArchiveTransferReply KO. Décide le
    titulaire du jeton d'archiviste (--token-file ou GEDSAE_SAE_TOKEN)."""
    _decide("reject", transfer_id, token_file, comment, home)


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
