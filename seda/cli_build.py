"""`gedsae seda build`: a SIP from a folder tree (SEDA 1.0, 2.1, 2.2, 2.3), or an exchange message
(delivery, restitution, authorizations, notifications, acknowledgement) from its JSON description
(seda.json_messages). Exit code 1 and the error's code when the input cannot be built."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from pathlib import Path
from typing import IO

import click

from seda.disk_import import DiskImport, transfer_from_directory
from seda.disk_metadata import CSV_NAME
from seda.errors import MissingValue, SedaError
from seda.json_messages import message_from_json
from seda.messages import build_message
from seda.model import AccessRule, Management, Rule
from seda.sip import write_sip
from seda.textout import write_file
from seda.v1.transfer import Seda1TransferWriter
from seda.v1.translation import AttachmentCodes, Seda1Options
from seda.versions import ALL_VERSIONS, SedaVersion, any_version


def default_schemas_dir() -> Path:
    """`$GEDSAE_HOME/schemas`, GEDSAE_HOME defaulting to ~/.local/share/gedsae."""
    home = os.environ.get("GEDSAE_HOME") or str(Path.home() / ".local" / "share" / "gedsae")
    return Path(home) / "schemas"


@click.command("build")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--version", type=click.Choice([v.value for v in ALL_VERSIONS]), default="2.3")
@click.option("--archival-agency", default="ARCHIVAL_AGENCY")
@click.option("--transferring-agency", default="TRANSFERRING_AGENCY")
@click.option("--archival-agreement", default=None)
@click.option(
    "--access-code",
    default=None,
    help="SEDA 1.0 : code de communicabilité des archives (AR038 à AR062), requis en 1.0.",
)
@click.option("--schemas-dir", type=click.Path(file_okay=False, path_type=Path))
def build_command(
    source: Path,
    out: Path,
    version: str,
    archival_agency: str,
    transferring_agency: str,
    archival_agreement: str | None,
    access_code: str | None,
    schemas_dir: Path | None,
) -> None:
    """Construit un SIP (manifest.xml + content/) depuis une arborescence de dossiers, ou un
    message d'échange depuis sa description JSON (fichier .json).

    Métadonnées d'une arborescence : metadata.csv à la racine et/ou fichiers compagnons
    (NOM.metadata.json|xml, __metadata.json|xml dans un dossier), sinon le système de fichiers."""
    try:
        if source.is_file():
            _build_message(source, out, version)
            return
        built = transfer_from_directory(
            source,
            SedaVersion.V2_3 if version == "1.0" else SedaVersion(version),
            message_identifier=f"MSG_{uuid.uuid4().hex}",
            archival_agency=archival_agency,
            transferring_agency=transferring_agency,
            archival_agreement=archival_agreement,
        )
        _write_sip(out, built, version, access_code, schemas_dir or default_schemas_dir())
    except SedaError as exc:
        click.echo(f"{exc.code} : {exc}", err=True)
        raise SystemExit(1) from exc
    size = sum(p.stat().st_size for _m, p in built.members)
    click.echo(
        f"{out} : SEDA {version}, {built.units} unité(s) d'archives, "
        f"{len(built.members)} fichier(s), {size} octets ; métadonnées : "
        f"{built.metadata_rows} ligne(s) de {CSV_NAME}, {built.side_files} fichier(s) compagnon(s)"
    )


def _write_sip(
    out: Path, built: DiskImport, version: str, access_code: str | None, schemas: Path
) -> None:
    if version != "1.0":
        write_sip(out, built.transfer, built.members)
        return
    if access_code is None:
        raise MissingValue("SEDA 1.0 : --access-code requis (communicabilité des archives)")
    transfer = built.transfer
    rule = AccessRule((Rule(access_code, transfer.header.date.date()),))
    metadata = dataclasses.replace(transfer.management_metadata, rules=Management(access=rule))
    transfer = dataclasses.replace(transfer, management_metadata=metadata)
    options = Seda1Options(AttachmentCodes.from_schemas(schemas))
    write_sip(out, transfer, built.members, writer=Seda1TransferWriter(options))


def _write_all(stream: IO[bytes], data: bytes) -> None:
    stream.write(data)


def _build_message(source: Path, out: Path, version: str) -> None:
    try:
        description = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SedaError(f"{source} : JSON illisible ({exc})", code="json_invalid") from exc
    message = message_from_json(description)
    target = any_version(version)
    data = build_message(target, message)
    write_file(out, lambda stream: _write_all(stream, data))
    click.echo(f"{out} : SEDA {target.value}, {type(message).__name__}, {len(data)} octets")
