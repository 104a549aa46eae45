"""Preparing a transfer (versement): dossiers become a SEDA ArchiveTransfer packed as a SIP.

One ArchiveUnit (``File``) per dossier, with its description and history
(``ged.services.transfer_description``) and its rules as the lifecycle computes them
(``ged.services.transfer_rules``); one child unit (``Item``) per document with its current
version as a BinaryDataObject in its own DataObjectGroup (SHA-512 digest, size, PRONOM format,
original file name), and with it, for a signed document, its signature validation report and
its proofs (``ged.services.transfer_signatures``). The SIP's binaries are named
``content/<object id>.<ext>``, which Vitam's file-name check accepts (SafeFileChecker); original
names stay in ``Filename``. The n-th
dossier's unit is ``AU_D<n>`` (``dossier_unit_id``), so that the archive identifier a reply
gives each unit is traced back to its dossier. SEDA 1.0 is written from the same units
(``seda.v1``), its rules translated to its code lists (``ged.services.rules_v1``). Everything
that would stop the manifest (a rule the repository would not know, a hold SEDA 2.1 cannot
carry, a value 1.0 has no place for) is found before a byte of the package is written. Sending,
polling and acting on replies: ``ged.services.transfer_loop``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ged.domain.access import Principal
from ged.domain.model import Version
from ged.services import rules_v1
from ged.services.context import Context, new_id
from ged.services.transfer_description import (
    DossierFile,
    document_content,
    dossier_content,
    load_files,
)
from ged.services.transfer_rule_map import RuleMap, RuleProblems
from ged.services.transfer_rules import dossier_management
from ged.services.transfer_signatures import Carried, Placed, carry_signatures
from kernel.errors import InvalidError, Issue
from seda.errors import SedaError
from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    DataObjectGroup,
    FormatIdentification,
    ManagementMetadata,
    ObjectReference,
    TransferHeader,
)
from seda.sip import ManifestWriter, SipLayout, WrittenSip, content_name, write_sip
from seda.v1.transfer import Seda1TransferWriter
from seda.v1.translation import AttachmentCodes, Seda1Options
from seda.versions import AnyVersion, Seda1Version, SedaVersion
from seda.writer import write_transfer


class ManifestRefused(InvalidError):
    """The SEDA library refused to write the manifest (a value the version cannot carry)."""

    code = "manifest_refused"
    title = "Bordereau impossible à écrire"


@dataclass(frozen=True)
class TransferParties:
    archival_agency: str
    transferring_agency: str
    archival_agreement: str | None = None
    archival_profile: str | None = None  # the ArchivalProfile identifier the agreement names


@dataclass(frozen=True)
class PreparedTransfer:
    message_identifier: str
    sip: Path
    sha256: str
    size: int
    dossiers: tuple[str, ...]
    objects: int
    manifest_sha256: str | None = None  # hashed as written; sent where the remote checks it
    manifest_signature: bytes | None = None  # detached CAdES, also in the SIP (seda.sip)


def prepare_transfer(
    ctx: Context,
    actor: Principal,
    dossier_ids: list[str],
    out: Path,
    version: AnyVersion,
    parties: TransferParties,
    *,
    signer: Callable[[bytes], bytes] | None = None,
    layout: SipLayout = SipLayout.CONTENT,
    rules: RuleMap | None = None,
    schemas: Path | None = None,
) -> PreparedTransfer:
    """The SIP of ``dossier_ids`` in ``version``; ``rules`` maps our rule codes to the
    repository's, ``schemas`` (the installed official schemas) gives SEDA 1.0 its code lists."""
    if not dossier_ids:
        raise InvalidError("Aucun dossier à verser", issues=[Issue("no_dossier", "liste vide")])
    message_id, now = f"GEDSAE-{new_id()}", ctx.clock()
    with ctx.uow() as uow:
        files = load_files(uow, actor, dossier_ids, now.date())
    rule_map = rules or RuleMap()
    writer, units = _manifest(files, version, rule_map, schemas, message_id, now)
    header = TransferHeader(
        version=version if isinstance(version, SedaVersion) else SedaVersion.V2_2,
        message_identifier=message_id,
        archival_agency=Agency(parties.archival_agency),
        transferring_agency=Agency(parties.transferring_agency),
        date=now,
        archival_agreement=parties.archival_agreement,
    )
    groups, members, generated = _objects(files, units, layout, version, parties)
    management = ManagementMetadata(
        archival_profile=parties.archival_profile,
        originating_agency_identifier=_originating_agency(files, parties),
    )
    transfer = ArchiveTransfer(header, groups, units, management)
    written = _write(ctx, out, transfer, members, generated, signer, writer)
    digest = sha256_of(out)
    with ctx.uow() as uow:
        details = {"message_identifier": message_id, "sha256": digest, "dossiers": dossier_ids}
        uow.log(
            actor.id, "transfer.prepare", "transfer", message_id, actor.organisation_id, details
        )
        uow.commit()
    return PreparedTransfer(
        message_id,
        out,
        digest,
        out.stat().st_size,
        tuple(dossier_ids),
        len(members),
        written.manifest_sha256.hex(),
        written.signature,
    )


def _manifest(
    files: list[DossierFile],
    version: AnyVersion,
    rule_map: RuleMap,
    schemas: Path | None,
    message_id: str,
    now: datetime,
) -> tuple[ManifestWriter, list[ArchiveUnit]]:
    """The writer of ``version`` and each dossier's unit; every problem of every dossier's
    rules refused at once, before anything is written."""
    problems = RuleProblems([])
    units = [
        _dossier_unit(n, found, version, rule_map, problems, message_id, now)
        for n, found in enumerate(files, start=1)
    ]
    if not isinstance(version, Seda1Version):
        problems.raise_if_any(message_id)
        return write_transfer, units
    effective = {e.rule.identifier: e.rule for f in files for e in f.lifecycle.effective.values()}
    translation = rules_v1.durations(effective.values(), problems)
    problems.raise_if_any(message_id)
    codes = _attachment_codes(schemas)
    return Seda1TransferWriter(Seda1Options(codes, translation)), units


def _attachment_codes(schemas: Path | None) -> AttachmentCodes:
    try:
        if schemas is None:
            raise FileNotFoundError("schémas SEDA 1.0")
        return AttachmentCodes.from_schemas(schemas)
    except (OSError, SedaError) as exc:
        message = (
            "SEDA 1.0 : listes de codes des schémas officiels introuvables "
            f"({exc}) : installez-les (gedsae schemas install)"
        )
        raise ManifestRefused(message, issues=[Issue("seda1_schemas_missing", message)]) from exc


def _dossier_unit(
    position: int,
    found: DossierFile,
    version: AnyVersion,
    rule_map: RuleMap,
    problems: RuleProblems,
    message_id: str,
    now: datetime,
) -> ArchiveUnit:
    management = dossier_management(found.lifecycle, now.date(), version, rule_map, problems)
    return ArchiveUnit(
        id=dossier_unit_id(position),
        content=dossier_content(found, message_id, now),
        management=management,
    )


def _write(
    ctx: Context,
    out: Path,
    transfer: ArchiveTransfer,
    members: list[tuple[str, str]],
    generated: list[tuple[str, bytes]],
    signer: Callable[[bytes], bytes] | None,
    writer: ManifestWriter,
) -> WrittenSip:
    try:
        with ExitStack() as stack:
            files = [(name, stack.enter_context(ctx.local_copy(sha))) for name, sha in members]
            files += _generated_files(stack, out.parent, generated)
            return write_sip(out, transfer, files, signer=signer, writer=writer)
    except SedaError as exc:  # no package is left behind (seda.sip)
        raise ManifestRefused(str(exc), issues=[Issue(exc.code, str(exc))]) from exc


def _originating_agency(files: list[DossierFile], parties: TransferParties) -> str:
    """The producing service's SEDA identifier when every dossier comes from one service (Vitam
    checks it against its agencies referential); the transferring agency otherwise."""
    services = {found.service for found in files}
    if len(services) == 1 and None not in services:
        return str(services.pop())
    return parties.transferring_agency


def _objects(
    files: list[DossierFile],
    units: list[ArchiveUnit],
    layout: SipLayout,
    version: AnyVersion,
    parties: TransferParties,
) -> tuple[list[DataObjectGroup], list[tuple[str, str]], list[tuple[str, bytes]]]:
    """Each document's unit under its dossier's (in place in ``units``), its object group, the
    (member name, SHA-256) of each binary, and the files the transfer writes itself (the
    signature validation reports, ``ged.services.transfer_signatures``)."""
    groups: list[DataObjectGroup] = []
    members: list[tuple[str, str]] = []
    generated: list[tuple[str, bytes]] = []
    counter = iter(range(1, 1 << 62))
    for index, found in enumerate(files):
        placed = []
        for item in found.items:
            n = next(counter)
            object_id, group_id = f"BDO_{n}", f"GOT_{n}"
            uri = content_name(object_id, item.version.filename, layout)
            groups.append(DataObjectGroup(group_id, (_binary(object_id, uri, item.version),)))
            members.append((uri, item.version.sha256))
            placed.append(
                Placed(
                    item.document,
                    item.version,
                    item.report,
                    item.signs,
                    f"AU_{n}",
                    object_id,
                    group_id,
                )
            )
        carried = Carried()
        if isinstance(version, SedaVersion):
            carried = carry_signatures(version, placed, parties.transferring_agency, layout)
        groups += carried.groups
        generated += carried.files
        children = tuple(_document_unit(p, carried) for p in placed)
        units[index] = replace(units[index], children=children)
    return groups, members, generated


def _document_unit(p: Placed, carried: Carried) -> ArchiveUnit:
    content = document_content(p.document)
    extra = tuple(carried.extra.get(p.unit_id, ()))
    return ArchiveUnit(
        id=p.unit_id,
        content=replace(content, extra=content.extra + extra),
        object_references=(ObjectReference(data_object_group_reference_id=p.group_id),),
        children=tuple(carried.children.get(p.unit_id, ())),
    )


def _generated_files(
    stack: ExitStack, near: Path, generated: list[tuple[str, bytes]]
) -> list[tuple[str, Path]]:
    """The files written by the transfer itself, in a private folder beside the package."""
    if not generated:
        return []
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=near)))
    found = []
    for n, (member, data) in enumerate(generated):
        path = folder / str(n)
        path.write_bytes(data)
        found.append((member, path))
    return found


def dossier_unit_id(position: int) -> str:
    """The manifest id of the ``position``-th dossier's unit (from 1); never an ``AU_<n>`` of a
    document."""
    return f"AU_D{position}"


def _binary(object_id: str, uri: str, version: Version) -> BinaryDataObject:
    return BinaryDataObject(
        id=object_id,
        uri=uri,
        message_digest=version.sha512,
        digest_algorithm="SHA-512",
        size=version.size,
        format=FormatIdentification(
            format_litteral=version.format_name or None,
            mime_type=version.mime_type or None,
            format_id=version.puid,
        ),
        filename=version.filename,
    )


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
