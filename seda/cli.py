"""`gedsae seda ...`: validate a message or SIP; build a SIP from a folder or an exchange message
from its JSON description (seda.cli_build).

Exit codes of `validate`: 0 valid, 1 invalid, 2 unreadable or hostile input.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from seda.cli_build import build_command, default_schemas_dir
from seda.issues import Severity, ValidationReport
from seda.validate import ALL_VERSIONS, ValidationOptions, validate_path


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


seda_group.add_command(build_command)
