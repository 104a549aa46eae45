"""A business application sends a ready SIP over HTTP, with the GED and our repository as two
processes on loopback (``setup_pair``): the zip streamed as the body, refused with every problem
(problem+json) and nothing kept, or sent, accepted by the archivist, and followed by the
application until the scheduler collects the reply."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_two_processes import decide, final_state, setup_pair, wait_for
from tests.e2e.test_webhooks import ged_with_drop_folder
from tests.fixtures.leftovers import temp_files
from tests.fixtures.processes import Service, gedsae_cli
from tests.fixtures.ready_sips import Sip, ready_sip
from tests.fixtures.seda_corpus import shared_path

PACKAGES = "/api/v1/transfers/packages?agreement=ad35"


def application_token(ged: httpx.Client, name: str, service_id: str) -> dict[str, str]:
    made = ged.post(
        "/api/v1/principals",
        json={
            "name": name,
            "roles": ["application"],
            "service_ids": [service_id],
            "kind": "application",
        },
    )
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def send(app: httpx.Client, path: Path) -> httpx.Response:
    with path.open("rb") as body:
        return app.post(PACKAGES, content=body, headers={"Content-Type": "application/zip"})


@pytest.mark.slow
def test_an_application_sends_a_ready_package_and_follows_it_to_its_acceptance(
    tmp_path: Path, services: list[Service]
) -> None:
    pair = setup_pair(tmp_path, services)
    gedsae_cli(pair.ged_env, "schemas", "install", "--from", str(shared_path("official")))
    service_id = gedsae_cli(pair.ged_env, "services", "create", "Finances", "SERVICE-A").strip()
    spool = tmp_path / "ged" / "transfers"
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with ged, sae:
        app_headers = application_token(ged, "parapheur", service_id)
        other_headers = application_token(ged, "tdt", service_id)
        app = httpx.Client(base_url=pair.ged.base_url, headers=app_headers, timeout=60)
        other = httpx.Client(base_url=pair.ged.base_url, headers=other_headers, timeout=60)
        with app, other:
            broken = Sip(transferring_agency="SERVICE-Z", originating_agency="FR_RH")
            refused = send(app, ready_sip(tmp_path, broken, "broken.zip"))
            assert refused.status_code == 422
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert problem["code"] == "package_refused"
            assert {i["code"] for i in problem["issues"]} == {
                "package_outside_agreement",
                "originating_agency_outside",
            }
            assert list(spool.glob("*")) == [] and list(spool.glob(".*")) == []

            sent = send(app, ready_sip(tmp_path, Sip(originating_agency="SERVICE-A")))
            assert sent.status_code == 201, sent.text
            mid = sent.json()["message_identifier"]
            assert sent.headers["Location"] == f"/api/v1/transfers/{mid}"
            assert sent.json()["state"] == "sent" and sent.json()["dossiers"] == []

            decide(sae, mid, "accept", "Conforme")
            accepted = wait_for(final_state(app, mid), "réponse positive collectée")
            assert accepted["state"] == "accepted"
            assert accepted["outcome"]["archive_identifiers"]
            assert [t["message_identifier"] for t in app.get("/api/v1/transfers").json()] == [mid]
            assert other.get(f"/api/v1/transfers/{mid}").status_code == 404
            assert ged.get(f"/api/v1/transfers/{mid}").json()["state"] == "accepted"
            assert list(spool.glob("*.zip")) == []  # the repository holds it now


@pytest.mark.slow
def test_a_package_upload_killed_midway_leaves_nothing_after_the_restart(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = ged_with_drop_folder(tmp_path, services, private=False)
    spool = ged.home / "spool"
    stop = threading.Event()

    def trickle() -> Iterator[bytes]:
        while not stop.is_set():
            yield b"PK" * 32_768
            time.sleep(0.05)

    def upload() -> None:
        with suppress(httpx.HTTPError), ged.client() as admin:
            admin.post(PACKAGES, content=trickle(), headers={"Content-Type": "application/zip"})

    threading.Thread(target=upload, daemon=True).start()
    wait_for(lambda: [p for p in temp_files(spool) if p.stat().st_size], "envoi commencé")
    ged.service.kill()
    stop.set()
    ged.service.start()
    assert temp_files(spool) == [] and temp_files(ged.home / "transfers") == []
