"""Deleting archives from the repository, for a restitution acknowledged or an elimination
approved: in the caller's transaction, each unit and everything below it leaves the catalogue
and a tombstone is kept of each; once committed, the objects no other archive holds leave the
registry, then every offer (a crash in between leaves unreferenced copies, never a registered
object without its copies), and the packages built for the tenant are removed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from kernel.blobstore.ports import ObjectRetained
from sae.access.selection import Node, select
from sae.model import Tombstone
from sae.ports import Database, UnitOfWork
from sae.storage.offers import StorageOffers

log = logging.getLogger("gedsae.sae.access")


def delete_archives(
    uow: UnitOfWork,
    archive_ids: Sequence[str],
    reason: Literal["restitution", "elimination"],
    message_identifier: str,
    actor: str,
    now: datetime,
) -> tuple[list[Node], set[str]]:
    """The units deleted (each with what was below it) and the objects released."""
    nodes = list(select(uow.catalogue, archive_ids).nodes())
    uow.tombstones.add(
        [
            Tombstone(
                n.unit.archive_id,
                n.unit.title,
                n.unit.transfer_id,
                reason,
                message_identifier,
                now,
                actor,
                tuple(sorted({o.sha256 for o in n.objects})),
            )
            for n in nodes
        ]
    )
    return nodes, uow.catalogue.remove([n.unit.archive_id for n in nodes])


def discard(
    db: Database, offers: StorageOffers, packages: Path, tenant: str, released: set[str]
) -> None:
    """The objects no archive holds any more: out of the registry, then off every offer; and
    every package built for the tenant (DIPs, restitutions), which may hold copies of them (a
    DIP asked again is rebuilt, or refused when its archives are gone)."""
    db.registry(tenant).forget(sorted(released))
    for sha256 in sorted(released):
        for offer in offers.offers:
            try:
                offer.delete(sha256)
            except ObjectRetained:
                # a locking offer keeps it until its retention date (compliance mode: no one
                # can shorten it); the archive is gone, the copy is an orphan the audit reports
                log.warning("copy %s kept by offer %s until its retention date", sha256, offer.name)
    for built in (packages / tenant).glob("*.zip"):
        built.unlink(missing_ok=True)
