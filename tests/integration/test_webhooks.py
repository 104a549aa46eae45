"""Webhooks on both databases: who hears of which transfer, the queue written with the state
change itself, a webhook seen and removed by its principal only, and the deliveries due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

import pytest

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services import webhooks
from ged.services.ports import TransferRecord, TransferState
from ged.services.transfer_state import store
from ged.services.webhooks import WebhookNotFound, WebhookSettings, WebhookUrlRefused
from kernel.errors import ForbiddenError
from kernel.paging import Page
from tests.fixtures.ged import Ged

SETTINGS = WebhookSettings()
PAGE = Page(100)


def public(host: str) -> Iterable[str]:
    return ["203.0.114.7"]


def hook(ged: Ged, who: Principal, url: str = "https://app.example/hook") -> str:
    return webhooks.register(ged.ctx, who, url, SETTINGS, public).webhook.id


def transfer_of(ged: Ged, creator: Principal) -> TransferRecord:
    now = ged.clock()
    record = TransferRecord(
        "PARAPH-1", ged.admin.organisation_id, (), "drop", "SERVICE-A", TransferState.PREPARED,
        "/nowhere.zip", "0" * 64, now, now, creator.id,
    )  # fmt: skip
    with ged.ctx.uow() as uow:
        uow.transfers.claim(record)
        uow.commit()
    return record


def test_a_state_change_is_queued_for_its_application_and_for_those_who_run_transfers(
    ged: Ged,
) -> None:
    app, _ = ged.user("parapheur", Role.APPLICATION, services=(ged.service,))
    other_app, _ = ged.user("tdt", Role.APPLICATION, services=(ged.service,))
    officer, _ = ged.user("referent", Role.RECORDS_OFFICER)
    mine, theirs, everything = hook(ged, app), hook(ged, other_app), hook(ged, officer)
    before = transfer_of(ged, app)
    ged.clock.advance(seconds=5)
    store(ged.ctx, app, before, replace(before, state=TransferState.SENT))

    queued = {h: webhooks.deliveries(ged.ctx, who, h, PAGE) for h, who in
              ((mine, app), (theirs, other_app), (everything, officer))}  # fmt: skip
    assert [len(queued[h]) for h in (mine, theirs, everything)] == [1, 0, 1]
    event = queued[mine][0].event
    assert event["transfer"] == {
        "message_identifier": "PARAPH-1", "state": "sent", "previous_state": "prepared",
        "agreement": None, "error_code": None, "href": "/api/v1/transfers/PARAPH-1",
    }  # fmt: skip
    assert queued[mine][0].next_attempt_at == ged.clock()
    with ged.ctx.uow() as uow:
        due = uow.webhooks.due(ged.clock(), 10)
    assert sorted(w.id for w, _ in due) == sorted([mine, everything])
    assert webhooks.webhooks_of(ged.ctx, app)[0].all_transfers is False
    assert webhooks.webhooks_of(ged.ctx, officer)[0].all_transfers is True


def test_a_webhook_is_seen_and_removed_by_its_principal_only_with_its_queue(ged: Ged) -> None:
    app, _ = ged.user("parapheur", Role.APPLICATION, services=(ged.service,))
    other_app, _ = ged.user("tdt", Role.APPLICATION, services=(ged.service,))
    mine = hook(ged, app)
    before = transfer_of(ged, app)
    store(ged.ctx, app, before, replace(before, state=TransferState.SENT))
    with pytest.raises(WebhookNotFound):
        webhooks.deliveries(ged.ctx, other_app, mine, PAGE)
    with pytest.raises(WebhookNotFound):
        webhooks.remove(ged.ctx, other_app, mine)
    assert [w.id for w in webhooks.webhooks_of(ged.ctx, ged.admin)] == [mine]  # administrator
    webhooks.remove(ged.ctx, app, mine)
    assert webhooks.webhooks_of(ged.ctx, app) == []
    with ged.ctx.uow() as uow:
        assert uow.webhooks.due(ged.clock() + timedelta(days=1), 10) == []


def test_an_agent_may_not_register_a_webhook_nor_an_internal_address(ged: Ged) -> None:
    agent, _ = ged.user("agent", Role.AGENT, services=(ged.service,))
    with pytest.raises(ForbiddenError):
        hook(ged, agent)
    with pytest.raises(WebhookUrlRefused) as refused:
        webhooks.register(
            ged.ctx, ged.admin, "http://intranet/", SETTINGS, lambda host: ["10.0.0.8"]
        )
    assert [i.code for i in refused.value.issues] == ["webhook_url_refused"]
    assert webhooks.webhooks_of(ged.ctx, ged.admin) == []


def test_a_delivery_is_leased_to_one_process_at_a_time(ged: Ged) -> None:
    app, _ = ged.user("parapheur", Role.APPLICATION, services=(ged.service,))
    hook(ged, app)
    before = transfer_of(ged, app)
    store(ged.ctx, app, before, replace(before, state=TransferState.SENT))
    with ged.ctx.uow() as uow:
        [(_, seen_by_one)] = uow.webhooks.due(ged.clock(), 10)
        [(_, seen_by_other)] = uow.webhooks.due(ged.clock(), 10)
        assert uow.webhooks.lease(seen_by_one, ged.clock() + timedelta(minutes=2))
        assert not uow.webhooks.lease(seen_by_other, ged.clock() + timedelta(minutes=2))
        uow.commit()
    with ged.ctx.uow() as uow:
        assert uow.webhooks.due(ged.clock(), 10) == []  # held until the lease ends
        assert len(uow.webhooks.due(ged.clock() + timedelta(minutes=2), 10)) == 1
