"""Elimination of an archived object from the storage offers, once it has been decided.

The copies go from every offer (the locking ones first: ``StorageOffers.eliminate``), then the
object's digests from the registry, and the operation log records who eliminated what
(NF Z42-013 §6: a destruction is traced). A store that still holds the object under S3 Object
Lock refuses: ``ObjectRetained`` (409) names the offer and the date, and nothing is removed or
logged. An object the catalogue still describes (an archive of an accepted transfer) is refused
(``ObjectStillArchived``): its archive must be eliminated first, which this version does not do
yet, so only objects no archive holds (left by an interrupted acceptance, or of an eliminated
archive) can go. The decision itself (the elimination slip and its approval) is taken before.
"""

from __future__ import annotations

from kernel.errors import ConflictError
from kernel.oplog import LogEntry, LogSpec
from sae.journal.log import record
from sae.ports import Database
from sae.storage.offers import StorageOffers


class ObjectStillArchived(ConflictError):
    code = "object_still_archived"
    title = "Objet encore décrit au catalogue : éliminez d'abord ses archives"


def eliminate_object(
    db: Database, offers: StorageOffers, tenant: str, object_id: str, *, actor: str
) -> LogEntry:
    """Removes the object from every offer and the registry, then logs it (``object.eliminated``)."""
    with db.reading(tenant) as uow:
        holding = uow.catalogue.transfers_holding(object_id)
    if holding:
        raise ObjectStillArchived(
            f"L'objet {object_id} appartient encore aux archives du versement "
            f"{', '.join(holding)} : il ne peut être éliminé qu'avec elles"
        )
    offers.eliminate(object_id)
    spec = LogSpec(
        actor=actor,
        action="object.eliminated",
        object_type="stored_object",
        object_id=object_id,
        organisation_id=tenant,
        details={"offers": [offer.name for offer in offers.offers]},
    )
    return record(db, tenant, spec)
