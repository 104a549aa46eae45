"""`gedsae schemas ...`: install the pinned official SEDA schemas (digests checked)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from schemas.install import SchemaInstallError, install
from schemas.pins import DEFAULT_VERSIONS, SEDA_VERSIONS


def default_schemas_dir() -> Path:
    """`$GEDSAE_HOME/schemas`, GEDSAE_HOME defaulting to ~/.local/share/gedsae."""
    home = os.environ.get("GEDSAE_HOME") or str(Path.home() / ".local" / "share" / "gedsae")
    return Path(home) / "schemas"


@click.group("schemas")
def schemas_group() -> None:
    """Schémas officiels SEDA épinglés (adresse + SHA-256)."""


@schemas_group.command("install")
@click.option(
    "--from",
    "from_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Copier depuis ce dossier au lieu de télécharger.",
)
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option(
    "--version",
    "versions",
    multiple=True,
    type=click.Choice(SEDA_VERSIONS),
    help="Versions à installer (défaut : 1.0, 2.1, 2.2, 2.3).",
)
def install_command(from_dir: Path | None, dest: Path | None, versions: tuple[str, ...]) -> None:
    """Installe les XSD officiels en vérifiant chaque empreinte."""
    target = dest if dest is not None else default_schemas_dir()
    try:
        report = install(target, from_dir, versions=versions or DEFAULT_VERSIONS)
    except SchemaInstallError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{len(report.files)} fichiers installés dans {report.dest}")
