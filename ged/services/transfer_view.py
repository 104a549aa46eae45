"""Read models of the transfer (versement) screens: what a transfer under one agreement would
take and what would stay, with why (``ged.services.transfer_due``, the same selection as
``transfers send --due``), and one transfer as its page shows it — its dossiers by title, the
last error said in a sentence, the repository's reasons, its exchanges, whether a reply was
received. Same access rules as ``ged.services.transfer_loop``: records officers, archivists and
administrators of the transfer's organisation; another organisation's transfer is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ged.domain.access import Principal
from ged.services import lifecycle, transfer_loop, transfer_runner
from ged.services.agreements import Agreement, agreements_of, covered_services
from ged.services.context import Context
from ged.services.ports import TransferRecord
from ged.services.records_office import dossier_titles
from ged.services.transfer_due import LeftBehind, select_due
from ged.services.transfer_setup import TransferSetup, organisation_of


@dataclass(frozen=True)
class TransferChoice:
    """The organisation's agreements and, for the chosen one, the due dossiers to keep that may
    leave under it (``sendable``, with their titles) and every other one with its reason."""

    agreements: list[Agreement]
    chosen: Agreement | None
    sendable: list[tuple[str, str]]  # dossier id, title
    left: list[LeftBehind]


def transfer_choice(
    setup: TransferSetup, ctx: Context, actor: Principal, agreement_name: str = ""
) -> TransferChoice:
    """The first agreement is chosen when none is named (the only one, most often)."""
    actor.ensure_role(*lifecycle.RUNNERS)
    organisation = organisation_of(ctx, actor.organisation_id)
    own = sorted(agreements_of(setup.agreements, organisation).values(), key=lambda a: a.name)
    if not own:
        return TransferChoice([], None, [], [])
    chosen = setup.agreement(agreement_name, organisation) if agreement_name else own[0]
    selection = select_due(ctx, actor, chosen, covered_services(ctx, actor, chosen))
    titles = dossier_titles(ctx, actor, selection.sendable)
    sendable = [(d, titles.get(d, "")) for d in selection.sendable]
    return TransferChoice(own, chosen, sendable, selection.left)


@dataclass(frozen=True)
class ExchangeRow:
    """One exchange of the connector with the repository (``connectors.base.Exchange``)."""

    started_at: datetime
    operation: str  # method and address, secrets already redacted by the connector
    status: int | None
    sent: int
    received: int

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ExchangeRow:
        return cls(
            datetime.fromisoformat(kept["started_at"]),
            f"{kept['method']} {kept['url']}",
            kept.get("status"),
            int(kept.get("request_size") or 0),
            int(kept.get("response_size") or 0),
        )


@dataclass(frozen=True)
class TransferPage:
    record: TransferRecord
    titles: dict[str, str]  # dossier id -> title, of the dossiers still here
    error: str  # the last error and what happens next, in a sentence; "" when none
    has_reply: bool
    history: list[ExchangeRow]  # newest first


def transfer_page(ctx: Context, actor: Principal, message_identifier: str) -> TransferPage:
    record = transfer_loop.get_transfer(ctx, actor, message_identifier)
    with ctx.uow() as uow:
        has_reply = uow.transfers.get_reply(record.message_identifier) is not None
    error = transfer_runner.describe(record)["error"]
    return TransferPage(
        record,
        dossier_titles(ctx, actor, record.dossiers),
        error["explanation"] if error else "",
        has_reply,
        [ExchangeRow.of(e) for e in reversed(record.history)],
    )
