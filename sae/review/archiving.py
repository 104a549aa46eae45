"""Writing an accepted transfer's archive in memory bounded whatever its number of objects and
units (OAIS Archival Storage and Data Management, ISO 14721 §4.1.1.3–4).

Two passes over the stored manifest (``seda.stream``), each freeing what it has handed over:

1. **store** (before any transaction): the BinaryDataObjects, by batches of the offers'
   ``batch_objects``, written to every offer (``StorageOffers.store_many``); what each became
   (its group, file name, format and digests) goes to the acceptance's spool, on disk
   (``Database.spool``), indexed by object and by group;
2. **record** (in the acceptance's unit of work): the spool's objects, then the units in document
   order, each given its archive identifier, written by batches (``CatalogueRepository.record``
   of a few hundred rows, the archived objects with them); a unit's references are resolved
   against the spool (a group gives all its kept objects).

Nothing is committed by this module: the caller commits the decision, these rows and the log
entry in ONE transaction, so a failure midway leaves no partial catalogue (objects already on
the offers are content-addressed and harmless). The pairs (unit id, archive identifier) are
kept in the spool for the reply, the transfer's record and the log entry's digest.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Final, TypeVar

from sae.catalogue.describe import originating_agency, unit_rules
from sae.model import (
    ArchivedObject,
    CatalogueLink,
    CatalogueObject,
    CatalogueUnit,
    Description,
    SpooledObject,
    StoredObject,
    Transfer,
)
from sae.ports import AcceptanceSpool, UnitOfWork
from sae.storage.offers import StorageOffers
from seda import model as m
from seda.package import Package
from seda.stream import ClosedUnit, ObjectStream, OpenedUnit, units

BATCH_ROWS: Final = 500  # catalogue rows written at once
T = TypeVar("T")


# -- pass 1 --------------------------------------------------------------------------------
def store_objects(
    offers: StorageOffers, package: Package, spool: AcceptanceSpool
) -> m.ArchiveTransfer:
    """Writes the package's binaries to every offer, by batches, into ``spool``; the message's
    frame (header, ManagementMetadata)."""
    name = package.manifest_name
    assert name is not None  # the checks passed, so the manifest is there
    stream = ObjectStream(lambda: package.open(name))
    binaries = ((key, obj) for key, obj in stream if isinstance(obj, m.BinaryDataObject))
    for batch in _batched(binaries, offers.batch_objects):
        stored = offers.store_many(package.chunks(obj.uri) for _key, obj in batch)
        spool.add_objects(
            _spooled(key, obj, s) for (key, obj), s in zip(batch, stored, strict=True)
        )
    assert stream.frame is not None  # set once the objects are all read
    return stream.frame


def _spooled(key: str, obj: m.BinaryDataObject, stored: StoredObject) -> SpooledObject:
    fmt = obj.format
    return SpooledObject(
        obj.id,
        key,
        obj.uri,
        obj.filename,
        fmt.mime_type if fmt else None,
        fmt.format_id if fmt else None,
        stored.sha256,
        stored.sha512,
        stored.size,
    )


# -- pass 2 --------------------------------------------------------------------------------
def record_archive(
    uow: UnitOfWork,
    package: Package,
    transfer: Transfer,
    frame: m.ArchiveTransfer,
    spool: AcceptanceSpool,
    archived_at: datetime,
) -> None:
    """The catalogue rows and archived objects of the transfer, in ``uow`` (not committed)."""
    _record_objects(uow, transfer, spool)
    for batch in _batched(
        _catalogue_units(package, transfer, frame, spool, archived_at), BATCH_ROWS
    ):
        rows = [unit for unit, _links in batch]
        links = [link for _unit, unit_links in batch for link in unit_links]
        uow.catalogue.record(Description(rows, [], links))
        spool.add_units((u.unit_id, u.archive_id) for u in rows)


def _record_objects(uow: UnitOfWork, transfer: Transfer, spool: AcceptanceSpool) -> None:
    verdicts = {v.object_id: v.found for v in transfer.signature_checks}
    for batch in _batched(spool.objects(), BATCH_ROWS):
        uow.transfers.add_objects(
            [
                ArchivedObject(transfer.id, o.object_id, o.uri, o.sha256, o.sha512, o.size)
                for o in batch
            ]
        )
        catalogued = [
            CatalogueObject(
                transfer.id,
                o.object_id,
                o.group_id,
                o.uri,
                o.filename,
                o.sha256,
                o.sha512,
                o.size,
                o.mime_type,
                o.format_id,
                verdicts.get(o.object_id),
            )
            for o in batch
        ]
        uow.catalogue.record(Description([], catalogued))


def _catalogue_units(
    package: Package,
    transfer: Transfer,
    frame: m.ArchiveTransfer,
    spool: AcceptanceSpool,
    archived_at: datetime,
) -> Iterator[tuple[CatalogueUnit, list[CatalogueLink]]]:
    """Each unit's row as it opens (object ids empty), its links once it closes; a row comes
    with the links of the units closed since the previous one."""
    defaults = frame.management_metadata.rules
    package_agency = frame.management_metadata.originating_agency_identifier
    name = package.manifest_name
    assert name is not None
    # the open units around the one being read: (unit id, archive id, originating agency)
    open_units: list[tuple[str, str, str | None]] = []
    pending: CatalogueUnit | None = None
    links: list[CatalogueLink] = []
    position = 0
    for event in units(lambda: package.open(name)):
        if isinstance(event, ClosedUnit):
            _uid, archive_id, _agency = open_units.pop()
            links += [
                CatalogueLink(archive_id, transfer.id, object_id)
                for object_id in spool.resolve(event.object_references)
            ]
            continue
        if pending is not None:
            yield pending, links
            links = []
        unit = event.unit
        parent = open_units[-1] if open_units else None
        agency = originating_agency(unit) or (parent[2] if parent else package_agency)
        archive_id = f"AU-{uuid.uuid4()}"
        content = unit.content
        pending = CatalogueUnit(
            archive_id=archive_id,
            organisation=transfer.organisation,
            transfer_id=transfer.id,
            message_identifier=transfer.message_identifier,
            unit_id=unit.id,
            parent_archive_id=None if parent is None else parent[1],
            position=position,
            description_level=content.description_level,
            title=content.titles[0] if content.titles else "",
            description="\n".join(content.descriptions),
            start_date=content.start_date,
            end_date=content.end_date,
            originating_agency=agency,
            archived_at=archived_at,
            titles=content.titles,
            rules=unit_rules(unit, defaults),
        )
        open_units.append((unit.id, archive_id, agency))
        position += 1
    if pending is not None:
        yield pending, links


def account(spool: AcceptanceSpool) -> dict[str, object]:
    """The log entry's account of the archive, in place of every identifier: how many units
    and objects, and the SHA-256 of the lines ``unit id TAB archive identifier LF`` (units in
    document order, as the transfer's record lists them) and ``object id TAB SHA-256 LF``
    (objects by id, as its archived objects are listed), which anyone can recompute."""
    units, units_sha256 = _digest(f"{u}\t{a}\n" for u, a in spool.units())
    objects, objects_sha256 = _digest(f"{o}\t{sha}\n" for o, sha in spool.digests())
    return {
        "units": units,
        "archive_identifiers_sha256": units_sha256,
        "objects": objects,
        "objects_sha256": objects_sha256,
    }


def _digest(lines: Iterable[str]) -> tuple[int, str]:
    sha256, count = hashlib.sha256(), 0
    for line in lines:
        sha256.update(line.encode())
        count += 1
    return count, sha256.hexdigest()


def unit_ends(
    package: Package,
    frame: m.ArchiveTransfer,
    spool: AcceptanceSpool,
    dua_end: Callable[[m.ArchiveUnit, m.Management], date | None],
) -> dict[str, list[date | None]]:
    """SHA-256 of each stored object → the DUA ends of the units that reference it (an object
    no unit references: ``[None]``), for the offers that lock (``sae.storage.retention``)."""
    name = package.manifest_name
    assert name is not None
    sha256_of = {o.object_id: o.sha256 for o in spool.objects()}
    found: dict[str, list[date | None]] = {sha: [] for sha in sha256_of.values()}
    ends: list[date | None] = []
    for event in units(lambda: package.open(name)):
        if isinstance(event, OpenedUnit):
            ends.append(dua_end(event.unit, frame.management_metadata.rules))
            continue
        end = ends.pop()
        for object_id in spool.resolve(event.object_references):
            found[sha256_of[object_id]].append(end)
    return {sha: values or [None] for sha, values in found.items()}


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
