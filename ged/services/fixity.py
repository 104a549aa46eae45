"""Damaged content: a blob whose stored bytes no longer match the digests recorded at ingest
(OAIS Archival Storage "error checking", ISO 14721 §4.1.1.3; NF Z42-013 §5).

Whoever finds it (a download that re-hashes what it serves, the audit) marks the blob damaged
and writes one operation-log entry per document holding it, in ONE transaction; the mark is
visible on every version of that content and no download serves it until a repair (the audit,
from a verified replica copy) clears it, with a log entry again. Finding the same damage twice
changes nothing and logs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ged.domain.model import Damage
from ged.services.context import Context
from kernel.blobstore.ports import ContentRef

log = logging.getLogger("gedsae.fixity")


@dataclass(frozen=True)
class RecordedBlob:
    """A blob as the database records it: the reference its stored copies are checked against."""

    sha256: str
    sha512: str
    size: int
    damage: Damage | None = None

    @property
    def ref(self) -> ContentRef:
        return ContentRef(sha256=self.sha256, sha512=self.sha512, size=self.size)


@dataclass(frozen=True)
class Holder:
    """A document whose versions hold a blob."""

    document_id: str
    organisation_id: str
    versions: tuple[int, ...]


class FixityRepository(Protocol):
    def blobs_after(self, sha256: str, limit: int) -> list[RecordedBlob]:
        """Blobs some version holds, in digest order, the first ``limit`` after ``sha256``
        (a blob no version holds any more is being purged: not the audit's to keep)."""
        ...

    def known(self, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` that some version holds."""
        ...

    def find(self, sha256: str) -> RecordedBlob | None: ...

    def set_damage(self, sha256: str, damage: Damage | None, at: datetime) -> bool:
        """Marks (or clears) the blob's damage; False when it was so already, or is gone."""
        ...

    def holders(self, sha256: str) -> list[Holder]: ...


def record_damage(ctx: Context, actor: str, sha256: str, damage: Damage, detected_by: str) -> bool:
    """Marks the blob damaged and logs it for each document holding it; False if it was so."""
    details: dict[str, object] = {
        "sha256": sha256,
        "damage": damage.value,
        "detected_by": detected_by,
    }
    changed = _mark(ctx, actor, sha256, damage, "document.content_damaged", details)
    if changed:
        log.error("stored content %s found %s (%s)", sha256, damage.value, detected_by)
    return changed


def record_repair(ctx: Context, actor: str, sha256: str, repaired_from: str | None) -> bool:
    """Clears the blob's damage once its stored copy verifies again, and logs it."""
    details: dict[str, object] = {"sha256": sha256, "repaired_from": repaired_from}
    changed = _mark(ctx, actor, sha256, None, "document.content_repaired", details)
    if changed:
        log.warning("stored content %s verified again (from %s)", sha256, repaired_from)
    return changed


def _mark(
    ctx: Context,
    actor: str,
    sha256: str,
    damage: Damage | None,
    action: str,
    details: dict[str, object],
) -> bool:
    with ctx.uow() as uow:
        if not uow.fixity.set_damage(sha256, damage, ctx.clock()):
            return False
        for holder in uow.fixity.holders(sha256):
            entry = {**details, "versions": list(holder.versions)}
            uow.log(actor, action, "document", holder.document_id, holder.organisation_id, entry)
        uow.commit()
    return True
