"""Preparing a transfer (versement): dossiers become a SEDA ArchiveTransfer packed as a SIP.

One ArchiveUnit (``File``) per dossier, with its description and history
(``ged.services.transfer_description``) and its rules as the lifecycle computes them
(``ged.services.transfer_rules``); one child unit (``Item``) per document with its current
version as a BinaryDataObject in its own DataObjectGroup (SHA-512 digest, size, PRONOM format,
original file name), and with it, for a signed document, its signature validation report and
its proofs (``ged.services.transfer_signatures``). The documents are read page by page while the
SIP is written, three times (object groups, units, then the files), so that memory does not
grow with the size of a dossier; only what the signatures of a dossier need is kept between
the passes. The SIP's binaries are named
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import count
from pathlib import Path

from ged.domain.access import Principal
from ged.domain.model import Version
from ged.services import rules_v1
from ged.services.context import Context, new_id
from ged.services.transfer_description import (
    DossierFile,
    Item,
    document_content,
    dossier_content,
    items_of,
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
    parts = _Parts(ctx, files, units, layout, version, parties, out.parent)
    management = ManagementMetadata(
        archival_profile=parties.archival_profile,
        originating_agency_identifier=_originating_agency(files, parties),
    )
    transfer = ArchiveTransfer(header, parts.groups(), parts.units(), management)
    written = _write(out, transfer, parts.files(), signer, writer)
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
        parts.objects,
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
    out: Path,
    transfer: ArchiveTransfer,
    files: Iterator[tuple[str, Path]],
    signer: Callable[[bytes], bytes] | None,
    writer: ManifestWriter,
) -> WrittenSip:
    try:
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


class _Parts:
    """The object groups, the units and the files of the SIP, each produced as the SIP's writing
    asks for it (``seda.sip`` writes the groups, then the units, then the files), from the
    dossiers' documents read again for each; the n-th document of the transfer is ``AU_<n>``,
    ``BDO_<n>`` and ``GOT_<n>`` in every pass. Between the passes are kept only what the
    signatures of each dossier add (``ged.services.transfer_signatures``), computed from its
    documents that have a signature report, a signature relation or a proof's type: the others
    add nothing."""

    def __init__(
        self,
        ctx: Context,
        files: list[DossierFile],
        units: list[ArchiveUnit],
        layout: SipLayout,
        version: AnyVersion,
        parties: TransferParties,
        near: Path,
    ) -> None:
        self.ctx, self.found, self.dossier_units = ctx, files, units
        self.layout, self.version, self.agency, self.near = (
            layout, version, parties.transferring_agency, near,
        )  # fmt: skip
        self.carried: list[Carried] = []
        self.generated: list[tuple[str, bytes]] = []
        self.objects = 0

    def groups(self) -> Iterator[DataObjectGroup]:
        numbers = count(1)
        for found in self.found:
            signing = _with_signatures(found)
            placed = []
            for p in self._placed(found, numbers):
                uri = content_name(p.object_id, p.version.filename, self.layout)
                yield DataObjectGroup(p.group_id, (_binary(p.object_id, uri, p.version),))
                if p.document.id in signing or p.proof:
                    placed.append(p)
            carried = Carried()
            if isinstance(self.version, SedaVersion):
                carried = carry_signatures(self.version, placed, self.agency, self.layout)
            self.carried.append(carried)
            self.generated += carried.files
            yield from carried.groups

    def units(self) -> Iterator[ArchiveUnit]:
        if len(self.carried) != len(self.found):
            raise RuntimeError("the object groups are written before the units")
        numbers = count(1)
        for unit, found, carried in zip(self.dossier_units, self.found, self.carried, strict=True):
            placed = self._placed(found, numbers)
            yield replace(unit, children=(_document_unit(p, carried) for p in placed))

    def files(self) -> Iterator[tuple[str, Path]]:
        """Each document's file (a local path for the time it is copied), then the files the
        transfer writes itself, from a private folder beside the package."""
        numbers = count(1)
        for found in self.found:
            for p in self._placed(found, numbers):
                self.objects += 1
                with self.ctx.local_copy(p.version.sha256) as path:
                    yield content_name(p.object_id, p.version.filename, self.layout), path
        if self.generated:
            with tempfile.TemporaryDirectory(dir=self.near) as folder:
                for n, (member, data) in enumerate(self.generated):
                    path = Path(folder) / str(n)
                    path.write_bytes(data)
                    yield member, path

    def _placed(self, found: DossierFile, numbers: Iterator[int]) -> Iterator[Placed]:
        for item in items_of(self.ctx.uow, found):
            yield _place(next(numbers), item)


def _place(n: int, item: Item) -> Placed:
    return Placed(
        item.document, item.version, item.report, item.signs, f"AU_{n}", f"BDO_{n}", f"GOT_{n}"
    )


def _with_signatures(found: DossierFile) -> set[str]:
    """The documents of the dossier whose signatures the SIP carries: verified ones, detached
    signatures and what they sign (proofs are told by their type, while reading)."""
    signed = {target for targets in found.signing.values() for target in targets}
    return set(found.reports) | set(found.signing) | signed


def _document_unit(p: Placed, carried: Carried) -> ArchiveUnit:
    content = document_content(p.document)
    extra = tuple(carried.extra.get(p.unit_id, ()))
    return ArchiveUnit(
        id=p.unit_id,
        content=replace(content, extra=content.extra + extra),
        object_references=(ObjectReference(data_object_group_reference_id=p.group_id),),
        children=tuple(carried.children.get(p.unit_id, ())),
    )


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
