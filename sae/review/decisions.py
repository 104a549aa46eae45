"""Archivist review of received transfers and the ArchiveTransferReply (SEDA 2.x, §3.2.2).

Accepting writes the BinaryDataObjects of the SIP through ``StorageOffers.store_many`` (every
offer, by batches; digests kept in the registry apart from the objects), gives each ArchiveUnit
an archive identifier, and answers ``OK`` with those identifiers as ``Content/SystemId``
(Vitam's dialect, read by ``seda.replies.parse_reply``). Rejecting answers ``KO`` with the
archivist's comment and every blocking check issue as ``Operation/Event``. Exactly one decision
wins: the transfer is claimed by a conditional UPDATE on its state before anything is written.

The decision, the catalogue rows of the accepted archives and the entry of the operation log
(who, decision, comment; how many units and objects, with a digest of their identifiers) are
committed in ONE unit of work: none exists without the others. Both passes over the manifest
stream it (``sae.review.archiving``), so that memory stays flat in the size of a transfer. An acceptance then seals the log head
(``sae.journal.checkpoints``) when sealing is configured; a failed seal is logged, not raised
(the decision is final; the scheduler's next seal covers it). The replies themselves:
``sae.review.replies``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from kernel.errors import ConflictError
from kernel.memory import give_back_memory
from kernel.oplog import LogSpec
from kernel.paging import Page
from sae.catalogue.describe import unit_rules
from sae.model import ArchivedObject, Decision, DecisionRecord, Transfer, TransferState
from sae.ports import AcceptanceSpool, Database, JobQueue
from sae.review import archiving
from sae.review.replies import accepted_reply, issue_text, operation, reply
from sae.storage.offers import StorageOffers
from sae.storage.retention import dua_end, rule_durations
from seda.model import ArchiveTransfer, ArchiveUnit, Management
from seda.package import Package, open_package

log = logging.getLogger("gedsae.sae.review")


class ChecksFailed(ConflictError):
    code = "transfer_checks_failed"
    title = "Les contrôles ont échoué : le transfert ne peut qu'être rejeté"


class PackageAltered(ConflictError):
    """The quarantined package is no longer the one received and checked."""

    code = "package_altered_in_quarantine"
    title = "Paquet modifié en quarantaine depuis sa réception : à rejeter"


def pending(db: Database, organisation: str, page: Page | None = None) -> list[Transfer]:
    """Transfers awaiting the archivist, oldest first: all of them, or one page."""
    with db.reading(organisation) as uow:
        return uow.transfers.in_state(TransferState.AWAITING_REVIEW, page)


def get_transfer(db: Database, organisation: str, transfer_id: str) -> Transfer:
    """The organisation's transfer (``TransferNotFound`` for another organisation's)."""
    with db.reading(organisation) as uow:
        return uow.transfers.get(transfer_id)


def transfer_reply(db: Database, organisation: str, transfer_id: str) -> bytes | None:
    """The ArchiveTransferReply of the organisation's transfer, None before the decision."""
    with db.reading(organisation) as uow:
        return uow.transfers.reply(transfer_id)


def archived_objects(db: Database, organisation: str, transfer_id: str) -> list[ArchivedObject]:
    """What the acceptance of ``transfer_id`` wrote to the offers (none before it)."""
    with db.reading(organisation) as uow:
        return uow.transfers.objects(transfer_id)


def accept(
    db: Database,
    offers: StorageOffers,
    organisation: str,
    transfer_id: str,
    d: Decision,
    *,
    seal: Callable[[], object] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    jobs: JobQueue | None = None,
) -> Transfer:
    """Stores the objects, locks them on the locking offers until their archives' dates
    (``sae.storage.retention``), then records the decision (see the module docstring).

    The claim records who decided and why; with the workers' queue (``jobs``) the writing is a
    job (``complete_acceptance``) and the transfer answers ``accepting`` until it is done."""
    transfer = _claim_for_acceptance(db, organisation, transfer_id, d)
    if jobs is not None and jobs.defer_acceptance(transfer):
        return get_transfer(db, organisation, transfer_id)
    try:
        _write_archive(db, offers, transfer, d, clock)
    except BaseException:
        # Nothing is registered for this transfer (the decision, its catalogue rows and its log
        # entry were rolled back together); objects already on the offers are content-addressed
        # and harmless (an audit may collect them later).
        release_claim(db, transfer)
        raise
    return _accepted(db, transfer, seal)


def complete_acceptance(
    db: Database,
    offers: StorageOffers,
    organisation: str,
    transfer_id: str,
    *,
    seal: Callable[[], object] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Transfer:
    """A worker's half of an acceptance: the archive of a transfer claimed with its decision.
    Run again (a retry, a killed worker's job taken up), it writes once: a transfer no longer
    ``accepting`` is left as it is. A package altered in quarantine goes back to the archivist
    (to be rejected); any other failure leaves the transfer ``accepting`` for the next try."""
    transfer = get_transfer(db, organisation, transfer_id)
    if transfer.state is not TransferState.ACCEPTING:
        return transfer
    decision = Decision(transfer.decided_by or "archiviste", transfer.comment)
    try:
        _write_archive(db, offers, transfer, decision, clock)
    except PackageAltered:
        release_claim(db, transfer)
        raise
    return _accepted(db, transfer, seal)


def _write_archive(
    db: Database,
    offers: StorageOffers,
    transfer: Transfer,
    d: Decision,
    clock: Callable[[], datetime],
) -> None:
    """The two passes of ``sae.review.archiving``: objects stored, then (in ONE unit of work
    with the decision and its log entry) the catalogue."""
    organisation = transfer.organisation
    _ensure_unchanged(transfer)
    spool = db.spool()
    try:
        with open_package(transfer.quarantine_path) as package:
            frame = archiving.store_objects(offers, package, spool)
            now = clock()
            _lock(db, offers, organisation, package, frame, spool, now)
            with db.unit_of_work(organisation) as uow:
                archiving.record_archive(uow, package, transfer, frame, spool, now)
                content = accepted_reply(transfer, d.comment, spool.units(), compressed=True)
                record = DecisionRecord(content, d, now, spool.units(), reply_encoding="zlib")
                uow.transfers.decide(
                    transfer.id, TransferState.ACCEPTING, TransferState.ACCEPTED, record
                )
                uow.log.append(
                    _decision_spec(
                        transfer, d, "transfer.accepted", "accept", archiving.account(spool)
                    )
                )
                uow.commit()
    finally:
        spool.close()
        give_back_memory()  # a long-lived process: what the acceptance freed (kernel.memory)


def _accepted(db: Database, transfer: Transfer, seal: Callable[[], object] | None) -> Transfer:
    transfer.quarantine_path.unlink(missing_ok=True)
    _seal_quietly(seal, transfer.id)
    return get_transfer(db, transfer.organisation, transfer.id)


def _lock(
    db: Database,
    offers: StorageOffers,
    tenant: str,
    package: Package,
    frame: ArchiveTransfer,
    spool: AcceptanceSpool,
    now: datetime,
) -> None:
    """On the locking offers, each object until the latest date of the archives holding it."""
    if offers.locking:
        durations = rule_durations(db, tenant)

        def end(unit: ArchiveUnit, defaults: Management) -> date | None:
            return dua_end(unit_rules(unit, defaults), durations)

        offers.retain(archiving.unit_ends(package, frame, spool, end), now.date())


def release_claim(db: Database, transfer: Transfer) -> None:
    """Back to the archivist, with no trace of the decision that could not be written."""
    with db.unit_of_work(transfer.organisation) as uow:
        uow.transfers.unclaim(transfer.id)
        uow.commit()


def _claim_for_acceptance(
    db: Database, organisation: str, transfer_id: str, d: Decision
) -> Transfer:
    """awaiting_review → accepting, with who decided: exactly one acceptance writes the
    archive."""
    with db.unit_of_work(organisation) as uow:
        transfer = uow.transfers.get(transfer_id)
        if not transfer.checks_passed:
            raise ChecksFailed(f"Le transfert {transfer_id} a échoué aux contrôles")
        uow.transfers.claim(transfer.id, d)
        uow.commit()
    return transfer


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


def reject(db: Database, organisation: str, transfer_id: str, d: Decision) -> Transfer:
    transfer = get_transfer(db, organisation, transfer_id)
    blocking = [i for i in transfer.issues if i.blocking]
    events = [("archivist_rejection", "KO", d.comment or "Rejeté par l'archiviste")]
    events += [(i.code, "KO", issue_text(i)) for i in blocking]
    content = reply(transfer, "KO", d.comment, operation(events))
    details = {"issues": sorted({i.code for i in blocking})}
    record = DecisionRecord(content, d, datetime.now(UTC))
    with db.unit_of_work(organisation) as uow:
        uow.transfers.decide(
            transfer.id, TransferState.AWAITING_REVIEW, TransferState.REJECTED, record
        )
        uow.log.append(_decision_spec(transfer, d, "transfer.rejected", "reject", details))
        uow.commit()
    transfer.quarantine_path.unlink(missing_ok=True)
    return get_transfer(db, organisation, transfer_id)


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
    except Exception:
        # Whatever failed (storage, time-stamping, the database), the decision stands; the
        # scheduler's next seal covers it.
        log.warning("log not sealed after accepting %s", transfer_id, exc_info=True)
