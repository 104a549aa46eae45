"""``gedsae-sae deliveries|derogations|access-register`` on a home made by ``gedsae-sae init``:
a delivery refused for want of a derogation, the derogation granted with an archivist's token,
the same archive then delivered, and the register written as CSV with French headers."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from connectors.sae_http import SaeHttpConnector
from sae.api.app import create_app
from sae.bootstrap import build_config
from sae.cli import main
from sae.config import load_settings
from seda.communication import ArchiveDeliveryRequest
from seda.elimination import (
    AuthorizationControlAuthorityRequest,
    AuthorizationControlAuthorityRequestReply,
    AuthorizationOriginatingAgencyRequestReply,
)
from seda.messages import build_message, parse_message
from seda.versions import SedaVersion
from tests.e2e.test_cli_sae import home, issue_token, sae
from tests.sae.test_deliveries import RULES_CSV, with_access_rules
from tests.sae.test_eliminations import RULES_CSV as ELIMINATION_RULES
from tests.sae.test_eliminations import destroy_after
from tests.sae.test_ingest import build_sip, manifest_sha256

__all__ = ["home"]  # fixture


def ask(client: TestClient, token: str, mid: str, archive: str) -> bool:
    """Posts a delivery request of ``archive``; whether its reply grants it."""
    message = ArchiveDeliveryRequest(mid, datetime.now(UTC), "ARCH", "SERVICE-A", (archive,))
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/xml",
        "Idempotency-Key": mid,
    }
    body = build_message(SedaVersion.V2_2, message)
    posted = client.post("/api/v1/sae/deliveries", content=body, headers=headers)
    assert posted.status_code == 202, posted.text
    reply = client.get(f"/api/v1/sae/deliveries/{mid}/reply", headers=headers)
    _, read = parse_message(reply.content)
    return read.reply_code == "000"  # type: ignore[union-attr]


def test_a_derogation_granted_from_the_command_line_opens_a_delivery_and_the_register_says_so(
    home: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "regles.csv"
    rules.write_text(RULES_CSV, encoding="utf-8")
    sae("referentials", "rules", str(rules))
    alice = home / "alice.token"
    alice.write_text(issue_token("alice", "archivist") + "\n", encoding="utf-8")
    ged = issue_token("ged", "transferring")
    with TestClient(create_app(build_config(load_settings(home)))) as client:
        sip = build_sip(tmp_path, "TR-1", edit=with_access_rules)
        connector = SaeHttpConnector(str(client.base_url), ged, client, allow_insecure_http=True)
        submitted = connector.submit(
            sip, message_identifier="TR-1", transferring_agency="SERVICE-A",
            manifest_digest=manifest_sha256(sip),
        )  # fmt: skip
        sae("review", "accept", submitted.remote_reference, "--token-file", str(alice))
        [item] = json.loads(sae("archives", "search", "courrier", "--json"))["items"]
        archive = item["archive_id"]
        assert not ask(client, ged, "COM-1", archive)  # fifty years from 2021
        refused = CliRunner().invoke(
            main, ["derogations", "grant", "AU-inconnue", "--requester", "SERVICE-A",
                   "--reason", "Recherche", "--until", "2999-12-31", "--token-file", str(alice)],
        )  # fmt: skip
        assert refused.exit_code == 3 and "introuvable" in refused.output, refused.output
        granted = sae("derogations", "grant", archive, "--requester", "SERVICE-A",
                      "--reason", "Recherche historique", "--until", "2999-12-31",
                      "--token-file", str(alice))  # fmt: skip
        assert "accordée à SERVICE-A" in granted and "jusqu'au 2999-12-31 inclus" in granted
        assert ask(client, ged, "COM-2", archive)
    listed = sae("deliveries", "list")
    assert "COM-1  SERVICE-A  refusée" in listed and "COM-2  SERVICE-A  accordée" in listed
    [derogation] = json.loads(sae("derogations", "list", "--json"))
    assert (derogation["granted_by"], derogation["revoked_at"]) == ("alice", None)
    out = tmp_path / "registre.csv"
    assert "écrit" in sae("access-register", "export", "-o", str(out))
    [line] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert (line["Archive"], line["Fondement"], line["Dérogation"]) == (
        archive,
        "dérogation",
        derogation["derogation_id"],
    )
    assert "Demande de communication" in sae("access-register", "export")
    again = CliRunner().invoke(main, ["access-register", "export", "-o", str(out)])
    assert again.exit_code == 2  # an existing file is never overwritten
    withdrawn = sae(
        "derogations", "revoke", derogation["derogation_id"], "--token-file", str(alice)
    )
    assert "retirée" in withdrawn


def test_an_elimination_is_approved_from_the_command_line_once_producer_and_control_agree(
    home: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "regles.csv"
    rules.write_text(ELIMINATION_RULES, encoding="utf-8")
    sae("referentials", "rules", str(rules))
    alice = home / "alice.token"
    alice.write_text(issue_token("alice", "archivist") + "\n", encoding="utf-8")
    ged = issue_token("ged", "transferring")
    with TestClient(create_app(build_config(load_settings(home)))) as client:
        sip = build_sip(tmp_path, "TR-1", edit=destroy_after("APP-5"))
        connector = SaeHttpConnector(str(client.base_url), ged, client, allow_insecure_http=True)
        submitted = connector.submit(
            sip, message_identifier="TR-1", transferring_agency="SERVICE-A",
            manifest_digest=manifest_sha256(sip),
        )  # fmt: skip
        sae("review", "accept", submitted.remote_reference, "--token-file", str(alice))
        proposed = sae(
            "eliminations", "propose", "--control-authority", "FR_AD_35", "--token-file", str(alice)
        )
        assert "1 élimination(s) proposée(s)" in proposed
        [listed] = json.loads(sae("eliminations", "list", "--json"))
        refused = CliRunner().invoke(
            main, ["eliminations", "approve", listed["elimination_id"], "--token-file", str(alice)]
        )
        assert refused.exit_code == 4 and "elimination_not_agreed" in refused.output
        reply = AuthorizationOriginatingAgencyRequestReply(
            "REP-1", datetime.now(UTC), listed["message_identifier"], "ARCH", "SERVICE-A", "000"
        )
        agreed = client.post(
            "/api/v1/sae/authorization-replies",
            content=build_message(SedaVersion.V2_2, reply),
            headers={"Authorization": f"Bearer {ged}", "Content-Type": "application/xml"},
        )
        assert agreed.status_code == 202, agreed.text
    assert "en attente du visa de l'autorité de contrôle" in sae("eliminations", "list")
    request_file, reply_file = tmp_path / "demande-visa.xml", tmp_path / "visa.xml"
    sae("eliminations", "control-request", listed["elimination_id"], "--out", str(request_file))
    _, asked = parse_message(request_file.read_bytes())
    assert isinstance(asked, AuthorizationControlAuthorityRequest)
    visa = AuthorizationControlAuthorityRequestReply(
        "VISA-1", datetime.now(UTC), asked.message_identifier, "ARCH", "FR_AD_35", "000"
    )
    reply_file.write_bytes(build_message(SedaVersion.V2_2, visa))
    recorded = sae("eliminations", "control-reply", str(reply_file), "--token-file", str(alice))
    assert "accordée : en attente du visa de l'archiviste" in recorded
    done = sae("eliminations", "approve", listed["elimination_id"], "--token-file", str(alice))
    assert "faite : 1 archive(s) détruite(s)" in done
    assert "éliminée" in sae("eliminations", "list")
    assert json.loads(sae("archives", "search", "--json"))["items"] == []
    assert "0 demande(s)" in sae("restitutions", "list")
