"""Preparing a transfer (versement): dossiers become a SEDA ArchiveTransfer packed as a SIP.

One ArchiveUnit (``RecordGrp``) per dossier, one child unit (``Item``) per document with its
current version as a BinaryDataObject in its own DataObjectGroup (SHA-512 digest, size, PRONOM
format, original file name). The SIP's binaries are named ``content/<object id>.<ext>``, which
Vitam's file-name check accepts (SafeFileChecker); original names stay in ``Filename``. The
n-th dossier's unit is ``AU_D<n>`` (``dossier_unit_id``), so that the archive identifier a
reply gives each unit is traced back to its dossier. Sending, polling and acting on replies:
``ged.services.transfer_loop``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ged.domain.access import Principal
from ged.domain.model import Document, Dossier, Version
from ged.services.context import Context, new_id
from ged.services.filing import load_dossier
from kernel.errors import InvalidError, Issue
from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    FormatIdentification,
    ManagementMetadata,
    ObjectReference,
    TransferHeader,
)
from seda.sip import SipLayout, content_name, write_sip
from seda.versions import SedaVersion


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


@dataclass(frozen=True)
class _Item:
    document: Document
    version: Version


def prepare_transfer(
    ctx: Context,
    actor: Principal,
    dossier_ids: list[str],
    out: Path,
    version: SedaVersion,
    parties: TransferParties,
    *,
    signer: Callable[[bytes], bytes] | None = None,
    layout: SipLayout = SipLayout.CONTENT,
) -> PreparedTransfer:
    if not dossier_ids:
        raise InvalidError("Aucun dossier à verser", issues=[Issue("no_dossier", "liste vide")])
    loaded = _load(ctx, actor, dossier_ids)
    message_id = f"GEDSAE-{new_id()}"
    header = TransferHeader(
        version=version,
        message_identifier=message_id,
        archival_agency=Agency(parties.archival_agency),
        transferring_agency=Agency(parties.transferring_agency),
        date=ctx.clock(),
        archival_agreement=parties.archival_agreement,
    )
    groups, units, members = _describe(loaded, layout)
    management = ManagementMetadata(
        archival_profile=parties.archival_profile,
        originating_agency_identifier=_originating_agency(ctx, actor, loaded, parties),
    )
    with ExitStack() as stack:
        files = [(name, stack.enter_context(ctx.local_copy(sha256))) for name, sha256 in members]
        written = write_sip(
            out, ArchiveTransfer(header, groups, units, management), files, signer=signer
        )
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


def _load(
    ctx: Context, actor: Principal, dossier_ids: list[str]
) -> list[tuple[Dossier, list[_Item]]]:
    loaded = []
    with ctx.uow() as uow:
        for dossier_id in dossier_ids:
            dossier = load_dossier(uow, actor, dossier_id)
            items = []
            for doc in uow.repo.documents_in(dossier.id):
                current = uow.repo.get_version(doc.id, doc.current_version)
                if current is not None:
                    items.append(_Item(doc, current))
            loaded.append((dossier, items))
    return loaded


def _originating_agency(
    ctx: Context,
    actor: Principal,
    loaded: list[tuple[Dossier, list[_Item]]],
    parties: TransferParties,
) -> str:
    """The producing service's SEDA identifier when every dossier comes from one service (Vitam
    checks it against its agencies referential); the transferring agency otherwise."""
    service_ids = {dossier.service_id for dossier, _ in loaded}
    if len(service_ids) == 1:
        with ctx.uow() as uow:
            service = uow.repo.get_service(actor.organisation_id, service_ids.pop())
        if service is not None and service.seda_identifier:
            return service.seda_identifier
    return parties.transferring_agency


def _describe(
    loaded: list[tuple[Dossier, list[_Item]]], layout: SipLayout
) -> tuple[list[DataObjectGroup], list[ArchiveUnit], list[tuple[str, str]]]:
    groups: list[DataObjectGroup] = []
    units: list[ArchiveUnit] = []
    members: list[tuple[str, str]] = []
    counter = iter(range(1, 1 << 62))
    for position, (dossier, items) in enumerate(loaded, start=1):
        children = []
        for item in items:
            n = next(counter)
            object_id, group_id = f"BDO_{n}", f"GOT_{n}"
            uri = content_name(object_id, item.version.filename, layout)
            groups.append(DataObjectGroup(group_id, (_binary(object_id, uri, item.version),)))
            members.append((uri, item.version.sha256))
            children.append(_document_unit(f"AU_{n}", item.document, group_id))
        units.append(
            ArchiveUnit(
                id=dossier_unit_id(position),
                content=Content(
                    description_level="RecordGrp",
                    titles=(dossier.title,),
                    descriptions=(dossier.description,) if dossier.description else (),
                    start_date=dossier.opened_on.isoformat(),
                    end_date=dossier.closed_on.isoformat() if dossier.closed_on else None,
                ),
                children=tuple(children),
            )
        )
    return groups, units, members


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


def _document_unit(unit_id: str, doc: Document, group_id: str) -> ArchiveUnit:
    m = doc.metadata
    return ArchiveUnit(
        id=unit_id,
        content=Content(
            description_level="Item",
            titles=(m.title,),
            descriptions=(m.description,) if m.description else (),
            start_date=m.created_on.isoformat() if m.created_on else None,
        ),
        object_references=(ObjectReference(data_object_group_reference_id=group_id),),
    )


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
