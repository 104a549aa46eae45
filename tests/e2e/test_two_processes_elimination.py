"""Elimination in the repository between two processes on loopback: archives whose DUA is over
and final action Destroy are proposed by an archivist of the repository, with the control
authority's visa asked too; the GED reads the authorization request in its mailbox
(``gedsae archives inbox``) and grants it (``gedsae archives answer --grant``); the authority's
reply is recorded; the archivist's visa destroys the archives (a tombstone kept, the
ArchiveDestructionNotification valid against the XSD), and the GED reads the notification."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.sae_http import SaeHttpConnector
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationControlAuthorityRequestReply,
)
from seda.messages import build_message, parse_message
from seda.versions import SedaVersion
from tests.e2e.test_two_processes import decide, setup_pair
from tests.fixtures.processes import Service, gedsae_cli, sae_cli
from tests.sae.test_eliminations import RULES_CSV, destroy_after
from tests.sae.test_ingest import build_sip, manifest_sha256
from tests.seda.test_destruction import assert_valid

API = "/api/v1/sae"


@pytest.mark.slow
def test_archives_are_eliminated_with_the_producers_agreement_given_from_the_ged(
    tmp_path: Path, services: list[Service]
) -> None:
    pair = setup_pair(tmp_path, services)
    # archives the GED's service sent under an agreement that asks no signed manifest
    sae_cli(pair.sae_env, "agreements", "put", "AGR-2", "--agency", "SERVICE-A", "--seda", "2.2")
    rules = tmp_path / "regles.csv"
    rules.write_text(RULES_CSV, encoding="utf-8")
    sae_cli(pair.sae_env, "referentials", "rules", str(rules))
    ged_token = (tmp_path / "ged-token").read_text().strip()
    sip = build_sip(tmp_path, "TR-DUA", agreement="AGR-2", edit=destroy_after("APP-5"))
    with httpx.Client(timeout=60) as http:
        SaeHttpConnector(pair.sae.base_url, ged_token, http).submit(
            sip, message_identifier="TR-DUA", transferring_agency="SERVICE-A",
            manifest_digest=manifest_sha256(sip),
        )  # fmt: skip
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with sae:
        decide(sae, "TR-DUA", "accept", "Conforme")
        made = sae.post(f"{API}/eliminations", json={"control_authority": "FR_AD_35"})
        [proposed] = made.json()["items"]
        elimination, request_id = proposed["elimination_id"], proposed["message_identifier"]

        inbox = gedsae_cli(pair.ged_env, "archives", "inbox", "ad35")
        assert request_id in inbox, inbox
        # the GED's archivist answers for the producer
        gedsae_cli(
            pair.ged_env, "users", "create", "claire", "--role", "archivist", "--no-password"
        )
        answered = gedsae_cli(
            pair.ged_env, "archives", "answer", request_id, "--grant", "--as", "claire"
        )
        granted = re.search(r"Élimination accordée : réponse (\S+) envoyée", answered)
        assert granted, answered
        listed = sae.get(f"{API}/eliminations").json()["items"]
        assert [e["state"] for e in listed] == ["awaiting_control"]

        asked = sae.get(f"{API}/eliminations/{elimination}/control-request").content
        _, control = parse_message(asked)
        assert isinstance(control, AuthorizationControlAuthorityRequest)
        visa = AuthorizationControlAuthorityRequestReply(
            "VISA-1", datetime.now(UTC), control.message_identifier, "ARCH", "FR_AD_35", "000"
        )
        recorded = sae.post(
            f"{API}/control-authorization-replies",
            content=build_message(SedaVersion.V2_2, visa),
            headers={"Content-Type": "application/xml"},
        )
        assert recorded.status_code == 202, recorded.text
        done = sae.post(f"{API}/eliminations/{elimination}/approve")
        assert done.status_code == 200 and done.json()["state"] == "destroyed", done.text
        for archive in proposed["unit_identifiers"]:
            assert sae.get(f"{API}/archives/{archive}").status_code == 404
        notice = sae.get(f"{API}/eliminations/{elimination}/notification").content
    assert_valid(pair.sae_home / "schemas", SedaVersion.V2_2, notice)
    _, notification = parse_message(notice)
    assert isinstance(notification, ArchiveDestructionNotification)
    # the notification answers the reply the GED sent
    assert notification.authorization_reply_identifier == granted.group(1)
    assert "éliminée" in sae_cli(pair.sae_env, "eliminations", "list")
    # the producer hears of it: the notification in the GED's mailbox, recorded there
    told = gedsae_cli(pair.ged_env, "archives", "inbox", "ad35")
    assert f"{notification.message_identifier} : notification de destruction" in told, told
