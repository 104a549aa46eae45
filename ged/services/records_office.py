"""Read models of the records officer's screens: what one page shows, gathered from the
services that give it piece by piece, with the same access rules (another organisation's
dossier is never named)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ged.domain.access import Principal
from ged.domain.lifecycle import Hold
from ged.services import holds
from ged.services.context import Context


def dossier_titles(ctx: Context, actor: Principal, dossier_ids: Iterable[str]) -> dict[str, str]:
    """The title of each dossier of ``dossier_ids`` that ``actor`` may read."""
    found = {}
    with ctx.uow() as uow:
        for dossier_id in set(dossier_ids):
            dossier = uow.repo.get_dossier(dossier_id)
            if dossier is None or dossier.organisation_id != actor.organisation_id:
                continue
            if actor.sees_service(dossier.service_id):
                found[dossier.id] = dossier.title
    return found


@dataclass(frozen=True)
class HoldsPage:
    holds: list[Hold]  # active first, then lifted; newest first within each
    titles: dict[str, str]  # dossier_id -> title


def holds_page(ctx: Context, actor: Principal, include_lifted: bool = False) -> HoldsPage:
    """The organisation's holds with the titles of their dossiers."""
    found = holds.list_holds(ctx, actor, None, include_lifted)
    ordered = sorted(found, key=lambda h: (h.lifted_at is not None, -h.placed_at.timestamp()))
    return HoldsPage(ordered, dossier_titles(ctx, actor, (h.dossier_id for h in found)))
