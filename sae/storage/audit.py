"""Fixity audit of the storage offers (OAIS Archival Storage "error checking", ISO 14721 §4.1.1.3).

Every registered object is re-hashed on every offer and compared with the digests of the
registry (SHA-256, SHA-512 and size, NF Z42-013 §5). A missing or altered copy is repaired only
from a copy that re-verifies while it is copied (never from an unverified one), and the repaired
copy is hashed again on its offer. When every copy is bad the object is quarantined in the
registry and never served; a copy on an offer that cannot be read is not "bad", so an object
whose only good copy may sit on an unavailable offer is reported, not quarantined. Objects on an
offer that the registry does not know (orphans) are reported and left in place: they may belong
to a store in progress. Temp files of processes that died while writing (kill -9 during an
acceptance) are removed from every offer and from the spool, and listed; a live process's
never are (``kernel.blobstore.tempfiles``).

The report has stable snake_case codes, counts for every code and is JSON-serialisable, so the
CLI (``gedsae-sae audit``) and a monitoring job can both read it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from kernel.blobstore.fixity import (
    CopyState,
    check_copy,
    copy_verified,
    replace_copy,
    sweep_temp_files,
    unknown_digests,
)
from kernel.blobstore.ports import BlobStore, Leftover, StorageUnavailable
from sae.model import StoredObject
from sae.ports import DigestRegistry
from sae.storage.offers import REPAIR_PREFIX, SPOOL, spool_area


class AuditCode(StrEnum):
    COPY_OK = "copy_ok"
    COPY_MISSING = "copy_missing"
    COPY_ALTERED = "copy_altered"
    COPY_UNREADABLE = "copy_unreadable"
    COPY_REPAIRED = "copy_repaired"
    REPAIR_FAILED = "repair_failed"
    OBJECT_QUARANTINED = "object_quarantined"
    OBJECT_IN_QUARANTINE = "object_in_quarantine"
    NO_VERIFIED_COPY = "no_verified_copy"
    ORPHAN_OBJECT = "orphan_object"
    OFFER_UNREADABLE = "offer_unreadable"
    TEMP_FILE_REMOVED = "temp_file_removed"


_STATE_CODES: Final = {
    CopyState.OK: AuditCode.COPY_OK,
    CopyState.MISSING: AuditCode.COPY_MISSING,
    CopyState.ALTERED: AuditCode.COPY_ALTERED,
    CopyState.UNREADABLE: AuditCode.COPY_UNREADABLE,
}
_BAD: Final = frozenset({CopyState.MISSING, CopyState.ALTERED})
# Codes that need no one's attention once the audit is over.
_SETTLED: Final = frozenset(
    {AuditCode.COPY_OK, AuditCode.COPY_REPAIRED, AuditCode.TEMP_FILE_REMOVED}
)
_REPAIRED_ISSUES: Final = frozenset({AuditCode.COPY_MISSING, AuditCode.COPY_ALTERED})


@dataclass(frozen=True)
class AuditFinding:
    code: AuditCode
    message: str
    object_id: str | None = None
    offer: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": str(self.code),
            "object_id": self.object_id,
            "offer": self.offer,
            "message": self.message,
        }


@dataclass
class AuditReport:
    """What the audit found; ``copy_ok`` is counted but not listed (one per healthy copy)."""

    objects_checked: int = 0
    findings: list[AuditFinding] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, code: AuditCode, message: str, object_id: str | None, offer: str | None) -> None:
        self.counts[str(code)] += 1
        if code is not AuditCode.COPY_OK:
            self.findings.append(AuditFinding(code, message, object_id, offer))

    def codes_for(self, object_id: str) -> list[AuditCode]:
        return [f.code for f in self.findings if f.object_id == object_id]

    @property
    def clean(self) -> bool:
        """True when nothing is left for an operator: every bad copy found was repaired."""
        repaired = {
            (f.object_id, f.offer) for f in self.findings if f.code is AuditCode.COPY_REPAIRED
        }
        return all(
            f.code in _SETTLED
            or (f.code in _REPAIRED_ISSUES and (f.object_id, f.offer) in repaired)
            for f in self.findings
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "objects_checked": self.objects_checked,
            "clean": self.clean,
            "counts": {str(code): self.counts.get(str(code), 0) for code in AuditCode},
            "findings": [finding.to_dict() for finding in self.findings],
        }


def audit(
    offers: Sequence[BlobStore],
    registry: DigestRegistry,
    *,
    repair: bool = True,
    spool_dir: Path | str | None = None,
) -> AuditReport:
    """Re-hashes every registered object on every offer, repairs, quarantines, reports; removes
    the temp files of dead processes."""
    report = AuditReport()
    _remove_temp_files(offers, spool_dir, report)
    for stored in registry.iter_objects():
        report.objects_checked += 1
        _audit_object(stored, offers, registry, report, repair=repair, spool_dir=spool_dir)
    for offer in offers:
        _report_orphans(offer, registry, report)
    return report


def _audit_object(
    stored: StoredObject,
    offers: Sequence[BlobStore],
    registry: DigestRegistry,
    report: AuditReport,
    *,
    repair: bool,
    spool_dir: Path | str | None,
) -> None:
    states = {offer.name: check_copy(offer, stored) for offer in offers}
    for name, state in states.items():
        report.add(_STATE_CODES[state], _copy_message(state), stored.object_id, name)
    if stored.quarantined:
        report.add(
            AuditCode.OBJECT_IN_QUARANTINE,
            "Objet en quarantaine, non réparé",
            stored.object_id,
            None,
        )
        return
    good = [offer for offer in offers if states[offer.name] is CopyState.OK]
    bad = [offer for offer in offers if states[offer.name] in _BAD]
    if not good:
        _no_good_copy(stored, registry, report, every_copy_bad=len(bad) == len(offers))
    elif bad and repair:
        _repair(stored, good, bad, report, spool_dir)


def _no_good_copy(
    stored: StoredObject, registry: DigestRegistry, report: AuditReport, *, every_copy_bad: bool
) -> None:
    if every_copy_bad:
        reason = "aucune copie ne correspond aux empreintes enregistrées"
        registry.quarantine(stored.object_id, reason)
        report.add(
            AuditCode.OBJECT_QUARANTINED,
            f"Objet mis en quarantaine : {reason}",
            stored.object_id,
            None,
        )
        return
    report.add(
        AuditCode.NO_VERIFIED_COPY,
        "Aucune copie vérifiée ; une offre illisible peut en détenir une (pas de quarantaine)",
        stored.object_id,
        None,
    )


def _repair(
    stored: StoredObject,
    sources: Sequence[BlobStore],
    targets: Sequence[BlobStore],
    report: AuditReport,
    spool_dir: Path | str | None,
) -> None:
    area = spool_area(spool_dir)  # kept while the spool file is in use: it owns its name
    fd, spool = area.mkstemp(REPAIR_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            source = copy_verified(stored, sources, out)
        for target in targets:
            _repair_one(stored, target, spool, source, report)
    finally:
        spool.unlink(missing_ok=True)


def _repair_one(
    stored: StoredObject,
    target: BlobStore,
    spool: Path,
    source: BlobStore | None,
    report: AuditReport,
) -> None:
    if source is None:
        message = "Aucune copie source ne s'est revérifiée : rien n'a été réécrit"
        report.add(AuditCode.REPAIR_FAILED, message, stored.object_id, target.name)
        return
    state = replace_copy(target, spool, stored)
    if state is CopyState.OK:
        message = f"Copie réécrite depuis l'offre {source.name}, puis revérifiée"
        report.add(AuditCode.COPY_REPAIRED, message, stored.object_id, target.name)
    else:
        message = f"Copie réécrite depuis l'offre {source.name} mais non revérifiée ({state})"
        report.add(AuditCode.REPAIR_FAILED, message, stored.object_id, target.name)


def _report_orphans(offer: BlobStore, registry: DigestRegistry, report: AuditReport) -> None:
    def known_among(digests: list[str]) -> set[str]:
        return {digest for digest in digests if registry.find(digest) is not None}

    try:
        for digest in unknown_digests(offer, known_among):
            message = "Objet présent dans l'offre mais inconnu du registre (conservé)"
            report.add(AuditCode.ORPHAN_OBJECT, message, digest, offer.name)
    except (StorageUnavailable, OSError):
        message = "Liste des objets de l'offre illisible : orphelins non recherchés"
        report.add(AuditCode.OFFER_UNREADABLE, message, None, offer.name)


def _remove_temp_files(
    offers: Sequence[BlobStore], spool_dir: Path | str | None, report: AuditReport
) -> None:
    for offer in offers:
        try:
            _report_removed(report, sweep_temp_files([offer]))
        except (StorageUnavailable, OSError):
            message = "Fichiers temporaires de l'offre illisibles : non nettoyés"
            report.add(AuditCode.OFFER_UNREADABLE, message, None, offer.name)
    if spool_dir is not None:
        _report_removed(report, [(SPOOL, found) for found in spool_area(spool_dir).remove_stale()])


def _report_removed(report: AuditReport, removed: list[tuple[str, Leftover]]) -> None:
    for where, leftover in removed:
        message = (
            f"Fichier temporaire d'un processus arrêté supprimé : {leftover.path.name} "
            f"({leftover.size} octets)"
        )
        report.add(AuditCode.TEMP_FILE_REMOVED, message, None, where)


def _copy_message(state: CopyState) -> str:
    return {
        CopyState.OK: "Copie conforme",
        CopyState.MISSING: "Copie absente",
        CopyState.ALTERED: "Copie altérée : empreintes ou taille différentes du registre",
        CopyState.UNREADABLE: "Copie illisible : offre indisponible",
    }[state]
