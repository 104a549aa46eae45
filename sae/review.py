"""Archivist review of received transfers and the ArchiveTransferReply (SEDA 2.x, §3.2.2).

Accepting writes the BinaryDataObjects of the SIP through ``StorageOffers.store_many`` (every
offer, by batches; digests kept in the registry apart from the objects), gives each ArchiveUnit
an archive identifier, and answers ``OK`` with those identifiers as ``Content/SystemId``
(Vitam's dialect, read by ``seda.replies.parse_reply``). Rejecting answers ``KO`` with the
archivist's comment and every blocking check issue as ``Operation/Event``. Exactly one decision
wins: the transfer is claimed by a conditional UPDATE on its state before anything is written.

The decision, the catalogue rows of the accepted archives (``sae.catalogue``) and the entry of
the operation log (``sae.journal``: who, decision, comment, archive identifiers) are committed
in ONE transaction: none exists without the others. An acceptance then seals the log head
(``sae.checkpoints``) when sealing is configured; a failed seal is logged, not raised (the
decision is final; the scheduler's next seal covers it).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from kernel.errors import ConflictError, GedsaeError
from kernel.oplog import LogSpec
from kernel.signing import SigningError
from sae import catalogue, journal
from sae.offers import StorageOffers
from sae.store import ArchivedObject, CheckIssue, Transfer, TransferState, TransferStore
from seda.model import ArchiveTransfer, ArchiveUnit, BinaryDataObject
from seda.package import open_package
from seda.reader import read_transfer
from seda.replies import build_transfer_reply
from seda.versions import SedaVersion

_REPLY_VERSION = SedaVersion.V2_2
log = logging.getLogger("gedsae.sae.review")


class ChecksFailed(ConflictError):
    code = "transfer_checks_failed"
    title = "Les contrôles ont échoué : le transfert ne peut qu'être rejeté"


class PackageAltered(ConflictError):
    """The quarantined package is no longer the one received and checked."""

    code = "package_altered_in_quarantine"
    title = "Paquet modifié en quarantaine depuis sa réception : à rejeter"


@dataclass(frozen=True)
class Decision:
    archivist: str
    comment: str | None = None


@dataclass(frozen=True)
class Archived:
    """What accepting wrote to the offers, and the manifest it read."""

    objects: list[ArchivedObject]
    units: list[tuple[str, str]]  # (unit id in the SIP, archive identifier)
    manifest: ArchiveTransfer


def pending(store: TransferStore, organisation: str) -> list[Transfer]:
    return store.in_state(organisation, TransferState.AWAITING_REVIEW)


def accept(
    store: TransferStore,
    offers: StorageOffers,
    organisation: str,
    transfer_id: str,
    d: Decision,
    *,
    seal: Callable[[], object] | None = None,
) -> Transfer:
    transfer = store.get(organisation, transfer_id)
    if not transfer.checks_passed:
        raise ChecksFailed(f"Le transfert {transfer_id} a échoué aux contrôles")
    store.claim(transfer.id, TransferState.AWAITING_REVIEW, TransferState.ACCEPTING)
    try:
        _ensure_unchanged(transfer)
        archived = _archive(offers, transfer)
        reply = _reply(transfer, "OK", d.comment, _units_element(archived.units, transfer))
        store.decide(
            transfer.id,
            TransferState.ACCEPTING,
            TransferState.ACCEPTED,
            reply=reply,
            comment=d.comment,
            decided_by=d.archivist,
            archive_identifiers=archived.units,
            objects=archived.objects,
            within=lambda conn: _record_acceptance(conn, transfer, d, archived),
        )
    except BaseException:
        # Nothing is registered for this transfer (the decision, its catalogue rows and its log
        # entry were rolled back together); objects already on the offers are content-addressed
        # and harmless (an audit may collect them later).
        store.claim(transfer.id, TransferState.ACCEPTING, TransferState.AWAITING_REVIEW)
        raise
    transfer.quarantine_path.unlink(missing_ok=True)
    _seal_quietly(seal, transfer.id)
    return store.get(organisation, transfer_id)


def _ensure_unchanged(transfer: Transfer) -> None:
    """What is archived must be what was checked: the package's SHA-256 taken at reception is
    compared before anything is written (one more read of the package, nothing stored)."""
    with transfer.quarantine_path.open("rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    if digest != transfer.package_sha256:
        raise PackageAltered(
            f"Le paquet du transfert {transfer.id} a changé en quarantaine depuis sa réception "
            f"(SHA-256 {digest}, reçu {transfer.package_sha256})"
        )


def reject(store: TransferStore, organisation: str, transfer_id: str, d: Decision) -> Transfer:
    transfer = store.get(organisation, transfer_id)
    blocking = [i for i in transfer.issues if i.blocking]
    events = [("archivist_rejection", "KO", d.comment or "Rejeté par l'archiviste")]
    events += [(i.code, "KO", _issue_text(i)) for i in blocking]
    reply = _reply(transfer, "KO", d.comment, _operation(events))
    details = {"issues": sorted({i.code for i in blocking})}
    spec = _decision_spec(transfer, d, "transfer.rejected", "reject", details)
    store.decide(
        transfer.id,
        TransferState.AWAITING_REVIEW,
        TransferState.REJECTED,
        reply=reply,
        comment=d.comment,
        decided_by=d.archivist,
        within=lambda conn: journal.append(conn, spec),
    )
    transfer.quarantine_path.unlink(missing_ok=True)
    return store.get(organisation, transfer_id)


def _record_acceptance(
    conn: sqlite3.Connection, transfer: Transfer, d: Decision, archived: Archived
) -> None:
    now = datetime.now(UTC)
    ids = dict(archived.units)
    catalogue.record(
        conn,
        catalogue.describe(transfer, archived.manifest, ids, archived.objects, archived_at=now),
    )
    details = {
        "archive_identifiers": [list(pair) for pair in archived.units],
        "objects": [{"object_id": o.object_id, "sha256": o.sha256} for o in archived.objects],
    }
    journal.append(conn, _decision_spec(transfer, d, "transfer.accepted", "accept", details))


def _decision_spec(
    transfer: Transfer, d: Decision, action: str, decision: str, details: Mapping[str, object]
) -> LogSpec:
    return LogSpec(
        actor=d.archivist,
        action=action,
        object_type="transfer",
        object_id=transfer.id,
        organisation_id=transfer.organisation,
        details={
            "decision": decision,
            "comment": d.comment,
            "message_identifier": transfer.message_identifier,
            **details,
        },
    )


def _seal_quietly(seal: Callable[[], object] | None, transfer_id: str) -> None:
    if seal is None:
        return
    try:
        seal()
    except (GedsaeError, SigningError, sqlite3.Error, OSError):
        log.warning("log not sealed after accepting %s", transfer_id, exc_info=True)


def _archive(offers: StorageOffers, transfer: Transfer) -> Archived:
    with open_package(transfer.quarantine_path) as package:
        name = package.manifest_name
        assert name is not None  # the checks passed, so the manifest is there
        parsed = read_transfer(lambda: package.open(name))
        binaries = [
            obj
            for group in parsed.groups
            for obj in group.objects
            if isinstance(obj, BinaryDataObject)
        ]
        # Batched (a few syncs and one registry commit per batch) rather than one store, with
        # its ~8 syncs, per object; the generator hands over a member once the last is spooled.
        stored = offers.store_many(package.chunks(obj.uri) for obj in binaries)
    objects = [
        ArchivedObject(transfer.id, obj.id, obj.uri, s.sha256, s.sha512, s.size)
        for obj, s in zip(binaries, stored, strict=True)
    ]
    units = [(u.id, f"AU-{uuid.uuid4()}") for u in _walk(parsed.units)]
    return Archived(objects, units, parsed)


def _walk(units: Iterable[ArchiveUnit]) -> Iterator[ArchiveUnit]:
    for unit in units:
        yield unit
        yield from _walk(unit.children)


def _reply(transfer: Transfer, code: str, comment: str | None, extra: etree._Element) -> bytes:
    version = SedaVersion(transfer.seda_version) if transfer.seda_version else _REPLY_VERSION
    data = build_transfer_reply(
        version,
        message_identifier=f"ATR-{uuid.uuid4()}",
        request_identifier=transfer.message_identifier,
        reply_code=code,
        archival_agency=transfer.organisation,
        transferring_agency=transfer.transferring_agency,
        date=datetime.now(UTC).replace(microsecond=0),
        grant_date=datetime.now(UTC).replace(microsecond=0) if code == "OK" else None,
        comment=comment,
    )
    return _insert(data, extra)


def _insert(reply: bytes, extra: etree._Element) -> bytes:
    """Put DataObjectPackage before ReplyCode, Operation after it (SEDA 2.x order)."""
    root = etree.fromstring(reply)
    ns = etree.QName(root).namespace
    code = root.find(f"{{{ns}}}ReplyCode")
    assert code is not None  # build_transfer_reply always writes it
    for el in extra.iter():
        if isinstance(el.tag, str):
            el.tag = f"{{{ns}}}{etree.QName(el).localname}"
    if etree.QName(extra).localname == "Operation":
        code.addnext(extra)
    else:
        code.addprevious(extra)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _units_element(units: list[tuple[str, str]], transfer: Transfer) -> etree._Element:
    package = etree.Element("DataObjectPackage")
    descriptive = etree.SubElement(package, "DescriptiveMetadata")
    for unit_id, archive_id in units:
        unit = etree.SubElement(descriptive, "ArchiveUnit", id=unit_id)
        etree.SubElement(etree.SubElement(unit, "Content"), "SystemId").text = archive_id
    management = etree.SubElement(package, "ManagementMetadata")
    etree.SubElement(management, "OriginatingAgencyIdentifier").text = transfer.transferring_agency
    return package


def _operation(events: list[tuple[str, str, str]]) -> etree._Element:
    operation = etree.Element("Operation")
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    for code, outcome, message in events:
        event = etree.SubElement(operation, "Event")
        etree.SubElement(event, "EventTypeCode").text = code
        etree.SubElement(event, "EventDateTime").text = now
        etree.SubElement(event, "Outcome").text = outcome
        etree.SubElement(event, "OutcomeDetailMessage").text = message
    return operation


def _issue_text(issue: CheckIssue) -> str:
    where = ", ".join(
        f"{k} {v}" for k, v in (("chemin", issue.path), ("ligne", issue.line)) if v is not None
    )
    return f"{issue.message} ({where})" if where else issue.message
