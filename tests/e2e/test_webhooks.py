"""Webhooks against a real receiver process: a ``gedsae serve`` process sends a ready package
for an application client through a drop folder, and tells its webhook of each state change,
signed; the receiver fails twice, the GED restarts in between, and nothing is lost."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_two_processes import wait_for
from tests.fixtures.processes import GedServer, Service, gedsae_cli, start_ged
from tests.fixtures.ready_sips import Sip, ready_sip
from tests.fixtures.seda_corpus import shared_path
from tests.fixtures.webhook_receiver import Receiver, start_receiver


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    yield from start_receiver(tmp_path, failures=2)


def ged_with_drop_folder(tmp_path: Path, services: list[Service], private: bool) -> GedServer:
    config = (
        f"webhook_interval_s = 0.2\nwebhook_retry_base_s = 2\n"
        f"webhook_allow_private = {'true' if private else 'false'}\n\n"
        f'[connectors.drop]\nkind = "drop_folder"\noutbox_dir = "{tmp_path / "outbox"}"\n'
        f'replies_dir = "{tmp_path / "replies"}"\n\n'
        '[agreements.ad35]\nconnector = "drop"\nseda_version = "2.2"\n'
        'archival_agency = "ARCH"\ntransferring_agency = "SERVICE-A"\n'
        'archival_agreement = "AGR-1"\norganisation = "Commune d\'Essai"\n'
    )
    (tmp_path / "outbox").mkdir()
    (tmp_path / "replies").mkdir()
    server = start_ged(tmp_path, services, config)
    gedsae_cli(server.env, "schemas", "install", "--from", str(shared_path("official")))
    return server


def application(ged: GedServer) -> httpx.Client:
    with ged.client() as admin:
        service = admin.post(
            "/api/v1/services", json={"name": "Finances", "seda_identifier": "SERVICE-A"}
        ).json()
        made = admin.post(
            "/api/v1/principals",
            json={"name": "parapheur", "roles": ["application"], "kind": "application",
                  "service_ids": [service["id"]]},
        )  # fmt: skip
    assert made.status_code == 201, made.text
    return ged.client(made.json()["token"])


def delivered(ged: GedServer, app_token: dict[str, str], hook: str) -> Any:
    def check() -> list[dict[str, Any]] | None:
        with httpx.Client(base_url=ged.base_url, headers=app_token) as app:
            shown: list[dict[str, Any]] = app.get(f"/api/v1/webhooks/{hook}/deliveries").json()
        return shown if shown and all(d["state"] == "delivered" for d in shown) else None

    return check


def pending(database: Path) -> int:
    with closing(sqlite3.connect(database)) as db:
        row = db.execute("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")
        return int(row.fetchone()[0])


@pytest.mark.slow
def test_each_state_change_reaches_the_webhook_signed_despite_failures_and_a_restart(
    tmp_path: Path, services: list[Service], receiver: Receiver
) -> None:
    ged = ged_with_drop_folder(tmp_path, services, private=True)
    with application(ged) as app:
        registered = app.post("/api/v1/webhooks", json={"url": receiver.url})
        assert registered.status_code == 201, registered.text
        hook, secret = registered.json()["id"], registered.json()["secret"]
        assert "secret" not in app.get("/api/v1/webhooks").json()[0]
        sent = app.post(
            "/api/v1/transfers/packages?agreement=ad35",
            content=ready_sip(tmp_path, Sip(originating_agency="SERVICE-A")).read_bytes(),
            headers={"Content-Type": "application/zip"},
        )
        assert sent.status_code == 201, sent.text
        mid = sent.json()["message_identifier"]
        wait_for(lambda: len(receiver.requests()) >= 1, "un premier envoi, refusé")
        headers = dict(app.headers)

    ged.service.stop()  # a restart while deliveries wait in the database for their next try
    assert pending(ged.home / "gedsae.db") >= 1
    ged.service.start()
    shown = wait_for(delivered(ged, headers, hook), "tous les envois remis après redémarrage")

    assert sorted(d["event"]["transfer"]["state"] for d in shown) == ["prepared", "sent"]
    failed = [a for d in shown for a in d["attempts"] if a["status"] == 500]
    assert len(failed) == 2 and all(a["error"] == "réponse HTTP 500" for a in failed)
    accepted = [r for r in receiver.requests() if r["status"] == 204]
    assert len(accepted) == 2
    for request in accepted:
        expected = hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Gedsae-Signature"] == f"sha256={expected}"
        body = json.loads(request["body"])
        assert body["transfer"]["message_identifier"] == mid
        assert body["delivery_id"] == request["headers"]["X-Gedsae-Delivery"]
        assert request["headers"]["X-Gedsae-Timestamp"].isdigit()


@pytest.mark.slow
def test_a_loopback_webhook_is_refused_unless_the_instance_allows_it(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = ged_with_drop_folder(tmp_path, services, private=False)
    with application(ged) as app:
        refused = app.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x"})
        assert refused.status_code == 422
        assert refused.json()["code"] == "webhook_url_refused"
        assert "adresse interne" in refused.json()["issues"][0]["message"]
        assert app.get("/api/v1/webhooks").json() == []
