"""``gedsae-sae init`` prepares the repository's home (and its database, with the default
tenant); ``gedsae-sae db upgrade`` brings the database's schema up to date (PostgreSQL: as the
schema's owner); ``gedsae-sae serve`` runs it."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kernel.cli import run
from kernel.errors import UnavailableError
from kernel.signing import write_self_signed
from sae.bootstrap import check_object_lock
from sae.cli.context import Instance, pass_instance
from sae.config import write_default_config


@click.command("init")
@click.option("--organisation", required=True, help="Identifiant SEDA du service d'archives")
@click.option(
    "--schemas-from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Dossier local des XSD officiels (sinon : téléchargement vérifié)",
)
@click.option("--port", type=int, default=8100, show_default=True)
@pass_instance
def init(instance: Instance, organisation: str, schemas_from: Path | None, port: int) -> None:
    """Crée le dépôt : sae.toml (base SQLite, deux offres disque), schémas SEDA, clé de
    scellement, et le locataire par défaut (le service d'archives ORGANISATION) ; vérifie que
    les offres verrouillées (object_lock) le sont. Ne refait rien de ce qui est fait."""
    root = instance.home
    config = write_default_config(root, organisation, port)
    schemas = root / "schemas"
    if not (schemas / "catalog.xml").exists():
        run(lambda: install_schemas(schemas, schemas_from, organisation))
    key = root / "signing" / "key.pem"
    if not key.exists():
        certificate = root / "signing" / "certificate.pem"
        write_self_signed(key, certificate, f"gedsae SAE {organisation}", organisation)
    opened = instance.repository()  # the database, migrated, and the default tenant
    run(lambda: check_object_lock(opened.config))
    click.echo(f"Dépôt prêt dans {root} (configuration : {config})")


class SchemasUnavailable(UnavailableError):
    code = "schemas_unavailable"
    title = "Schémas SEDA officiels indisponibles"


def install_schemas(dest: Path, source: Path | None, organisation: str) -> None:
    """The official XSDs (pinned by SHA-256), downloaded or copied from ``--schemas-from``;
    nothing is installed when one fails, and the message says how to go on offline."""
    from schemas.install import SchemaDownloadFailed, SchemaInstallError, install

    try:
        install(dest, source)
    except SchemaDownloadFailed as exc:
        raise SchemasUnavailable(
            f"Les schémas SEDA officiels n'ont pas pu être téléchargés ({exc}). Sans accès au "
            "réseau, copiez-les sur ce serveur et indiquez leur dossier : gedsae-sae init "
            f"--organisation {organisation} --schemas-from DOSSIER"
        ) from exc
    except SchemaInstallError as exc:
        raise SchemasUnavailable(
            f"Schémas SEDA officiels refusés ({exc}) : vérifiez le dossier --schemas-from"
        ) from exc


@click.group("db")
def db_group() -> None:
    """Base de données du dépôt."""


@db_group.command("upgrade")
@pass_instance
def upgrade(instance: Instance) -> None:
    """Met le schéma de la base à jour (PostgreSQL : avec database.owner_url, le rôle
    propriétaire, qui accorde ses droits au rôle de l'application)."""
    instance.repository()
    click.echo("Base du dépôt à jour")


@click.command("serve")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@pass_instance
def serve(instance: Instance, host: str | None, port: int | None) -> None:
    """Lance le dépôt (API /api/v1/sae ; avec [vitam], l'entrée compatible Vitam en TLS
    mutuel sur son propre port)."""
    from sae.api.app import create_app
    from sae.api.client_certificates import serve_all

    os.umask(0o077)  # whatever the repository creates (quarantine, spools, journals) is its own
    settings, config = instance.settings(), instance.config()
    app = create_app(config)
    serve_all(app, host or settings.host, port or settings.port, config.vitam, "info")
