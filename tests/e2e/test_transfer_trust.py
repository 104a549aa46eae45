"""Transfers against a real ``gedsae serve`` process: only a reply the product verified makes a
dossier permanent or lets its content go."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from seda.replies import build_transfer_reply
from seda.versions import SedaVersion
from tests.fixtures.due_dossiers import file_due, lifecycle_phase
from tests.fixtures.processes import Service, gedsae_cli, new_port


@dataclass
class Instance:
    service: Service
    env: dict[str, str]
    home: Path
    admin: str  # the token `gedsae init` printed

    def client(self, token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.service.base_url, headers=headers, timeout=60)

    def token(self, name: str, *roles: str) -> str:
        options = [arg for role in roles for arg in ("--role", role)]
        return gedsae_cli(self.env, "tokens", "create", name, *options).strip()


def serve(tmp_path: Path, services: list[Service], config: str = "") -> Instance:
    """A fresh instance (scheduler off: the tests drive each step), started."""
    home, port = tmp_path / "ged", new_port()
    env = {"GEDSAE_HOME": str(home), "GEDSAE_EXTRACTION_WORKERS": "1"}
    admin = gedsae_cli(env, "init").strip().splitlines()[-1]
    (home / "config.toml").write_text(
        f"transfer_poll_interval_s = 0\nport = {port}\n\n{config}", encoding="utf-8"
    )
    service = Service("ged", ("serve",), env, port, "/healthz", tmp_path / "ged.log")
    services.append(service)
    service.start()
    return Instance(service, env, home, admin)


def test_hand_driven_routes_neither_make_a_dossier_permanent_nor_purge_its_content(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = serve(tmp_path, services)
    service_id = gedsae_cli(ged.env, "services", "create", "Finances", "FR_DF").strip()
    officer = ged.token("greffier", "records_officer")
    with ged.client(officer) as client:
        (filed,) = file_due(client, service_id, ["Tables décennales 2001-2010"])
        dossier = f"/api/v1/dossiers/{filed.dossier}"
        started = client.post(f"{dossier}/transfer", json={"reference": "SIP-fictif"})
        replied = client.post(
            f"{dossier}/transfer-reply", json={"accepted": True, "verified": True}
        )
        purged = client.post(f"{dossier}/purge")
        assert (started.status_code, replied.status_code) == (404, 404)
        assert purged.status_code == 409 and purged.json()["code"] == "wrong_phase"
        assert lifecycle_phase(client, filed.dossier) == "due"
        content = client.get(f"/api/v1/documents/{filed.document}/content")
        assert content.status_code == 200 and content.content == filed.content


def drop_folder(tmp_path: Path, agreement: str = "depot", extra: str = "") -> str:
    """A drop-folder connector and an agreement using it (config.toml tables)."""
    outbox, replies = tmp_path / "outbox", tmp_path / "replies"
    outbox.mkdir(exist_ok=True)
    replies.mkdir(exist_ok=True)
    return (
        f'[connectors.depot]\nkind = "drop_folder"\noutbox_dir = "{outbox}"\n'
        f'replies_dir = "{replies}"\n\n'
        f'[agreements.{agreement}]\nconnector = "depot"\nseda_version = "2.2"\n'
        f'archival_agency = "FR_AD_35"\ntransferring_agency = "FR_DF"\n{extra}\n'
    )


def asalae_refusal(mid: str, comment: str) -> bytes:
    """As@lae's way: its reason in Comment only, our MessageIdentifier in MessageIdentifier."""
    return build_transfer_reply(
        SedaVersion.V2_1,
        message_identifier=mid,
        request_identifier=f"ATR-{mid}",
        reply_code="300",
        archival_agency="FR_AD_35",
        transferring_agency="FR_DF",
        date=datetime(2026, 3, 2, tzinfo=UTC),
        comment=comment,
    )


def start(client: httpx.Client, agreement: str, dossier: str) -> str:
    started = client.post(
        "/api/v1/transfers", json={"agreement": agreement, "dossier_ids": [dossier]}
    )
    assert started.status_code == 201, started.text
    assert started.json()["state"] == "sent", started.json()
    return str(started.json()["message_identifier"])


def test_a_rejection_keeps_the_replys_comment_and_its_xml_for_download(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = serve(tmp_path, services, drop_folder(tmp_path))
    service_id = gedsae_cli(ged.env, "services", "create", "Finances", "FR_DF").strip()
    with ged.client(ged.admin) as client:
        (filed,) = file_due(client, service_id, ["Tables décennales 2001-2010"])
        mid = start(client, "depot", filed.dossier)
        missing = client.get(f"/api/v1/transfers/{mid}/reply")
        assert missing.status_code == 404 and missing.json()["code"] == "transfer_reply_absent"
        reason = "Profil d'archivage PR-ETAT-CIVIL inconnu du service d'archives"
        reply = asalae_refusal(mid, reason)
        (tmp_path / "replies" / f"ATR_{mid}.xml").write_bytes(reply)
        polled = client.post(f"/api/v1/transfers/{mid}/poll")
        assert polled.status_code == 200 and polled.json()["state"] == "rejected"
        shown = client.get(f"/api/v1/transfers/{mid}").json()
        assert shown["reasons"] == ["ReplyCode 300", f"Commentaire : {reason}"]
        assert shown["outcome"]["comments"] == [reason]
        downloaded = client.get(f"/api/v1/transfers/{mid}/reply")
        assert downloaded.status_code == 200 and downloaded.content == reply
        assert downloaded.headers["content-type"] == "application/xml"
        assert lifecycle_phase(client, filed.dossier) == "due"
    printed = json.loads(gedsae_cli(ged.env, "transfers", "show", mid, "--reply"))
    assert printed["reasons"] == shown["reasons"]
    assert printed["reply_xml"].encode() == reply
