"""`gedsae seda ...`: validate a manifest or SIP, build a SIP from a folder.

Exit codes of `validate`: 0 valid, 1 invalid, 2 unreadable or hostile input.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import click

from seda.disk_import import transfer_from_directory
from seda.disk_metadata import CSV_NAME
from seda.errors import SedaError
from seda.issues import Severity, ValidationReport
from seda.sip import write_sip
from seda.validate import ALL_VERSIONS, ValidationOptions, validate_path
from seda.versions import SedaVersion


def default_schemas_dir() -> Path:
    """`$GEDSAE_HOME/schemas`, GEDSAE_HOME defaulting to ~/.local/share/gedsae."""
    home = os.environ.get("GEDSAE_HOME") or str(Path.home() / ".local" / "share" / "gedsae")
    return Path(home) / "schemas"


@click.group("seda")
def seda_group() -> None:
    """Messages et paquets SEDA 1.0, 2.1, 2.2 et 2.3."""


@seda_group.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--schema-set",
    type=click.Choice(["official", "vitam"]),
    default="official",
    help="vitam : XSD 1.1 de Vitam et ses règles d'entrée (une unité désigne un groupe d'objets).",
)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.option("--schemas-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--size-mismatch",
    type=click.Choice(["warning", "error"]),
    default="warning",
    help="Gravité d'une taille (Size) déclarée fausse ; avertissement par défaut, comme Vitam.",
)
def validate_command(
    path: Path,
    profile: Path | None,
    schema_set: str,
    output: str,
    schemas_dir: Path | None,
    size_mismatch: str,
) -> None:
    """Valide un message ou un SIP SEDA 1.0, 2.1, 2.2 ou 2.3 : XSD, références, paquet, dates,
    profil."""
    options = ValidationOptions(
        schema_dir=schemas_dir or default_schemas_dir(),
        schema_set="vitam" if schema_set == "vitam" else "official",
        profile=profile,
        size_mismatch=Severity(size_mismatch),
        seda_versions=ALL_VERSIONS,
    )
    report = validate_path(path, options)
    click.echo(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=1)
        if output == "json"
        else _text(report)
    )
    raise SystemExit(2 if report.refused else 0 if report.valid else 1)


def _text(report: ValidationReport) -> str:
    lines = [
        f"{i.severity.value.upper()} {i.code} ligne {i.line or '-'} {i.xpath or ''}: {i.message}"
        for i in report.issues
    ]
    verdict = "refusé" if report.refused else "valide" if report.valid else "invalide"
    lines.append(
        f"{report.source} : SEDA {report.version or '?'} {report.message_type or ''} — "
        f"{verdict} ({len(report.issues)} constat(s))"
    )
    return "\n".join(lines)


@seda_group.command("build")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--version", type=click.Choice([v.value for v in SedaVersion]), default="2.3")
@click.option("--archival-agency", default="ARCHIVAL_AGENCY")
@click.option("--transferring-agency", default="TRANSFERRING_AGENCY")
@click.option("--archival-agreement", default=None)
def build_command(
    directory: Path,
    out: Path,
    version: str,
    archival_agency: str,
    transferring_agency: str,
    archival_agreement: str | None,
) -> None:
    """Construit un SIP (manifest.xml + content/) depuis une arborescence de dossiers.

    Métadonnées : metadata.csv à la racine et/ou fichiers compagnons (NOM.metadata.json|xml,
    __metadata.json|xml dans un dossier), sinon le système de fichiers."""
    try:
        built = transfer_from_directory(
            directory,
            SedaVersion(version),
            message_identifier=f"MSG_{uuid.uuid4().hex}",
            archival_agency=archival_agency,
            transferring_agency=transferring_agency,
            archival_agreement=archival_agreement,
        )
        write_sip(out, built.transfer, built.members)
    except SedaError as exc:
        click.echo(f"{exc.code} : {exc}", err=True)
        raise SystemExit(1) from exc
    size = sum(p.stat().st_size for _m, p in built.members)
    click.echo(
        f"{out} : SEDA {version}, {built.units} unité(s) d'archives, "
        f"{len(built.members)} fichier(s), {size} octets ; métadonnées : "
        f"{built.metadata_rows} ligne(s) de {CSV_NAME}, {built.side_files} fichier(s) compagnon(s)"
    )
