"""Transfers against a real ``gedsae serve`` process: only a reply the product verified makes a
dossier permanent or lets its content go."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from lxml import etree

from seda.replies import build_transfer_reply
from seda.versions import SedaVersion
from tests.fixtures.due_dossiers import file_due, lifecycle_phase
from tests.fixtures.processes import INIT, ORGANISATION, Service, gedsae_cli, new_port


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
    admin = gedsae_cli(env, *INIT).strip().splitlines()[-1]
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
    """A drop-folder connector and an agreement of the first organisation using it."""
    outbox, replies = tmp_path / "outbox", tmp_path / "replies"
    outbox.mkdir(exist_ok=True)
    replies.mkdir(exist_ok=True)
    return (
        f'[connectors.depot]\nkind = "drop_folder"\noutbox_dir = "{outbox}"\n'
        f'replies_dir = "{replies}"\n\n'
        f'[agreements.{agreement}]\nconnector = "depot"\nseda_version = "2.2"\n'
        f'archival_agency = "FR_AD_35"\ntransferring_agency = "FR_DF"\n'
        f'organisation = "{ORGANISATION}"\n{extra}\n'
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


def acceptance(mid: str, units: dict[str, str]) -> bytes:
    """A positive reply the Vitam way (ours in MessageRequestIdentifier), one SystemId per
    unit id of the manifest."""
    data = build_transfer_reply(
        SedaVersion.V2_2,
        message_identifier=f"ATR-{mid}",
        request_identifier=mid,
        reply_code="OK",
        archival_agency="FR_AD_35",
        transferring_agency="FR_DF",
        date=datetime(2026, 3, 2, tzinfo=UTC),
    )
    root = etree.fromstring(data)
    ns = etree.QName(root).namespace
    described = etree.SubElement(
        etree.Element(f"{{{ns}}}DataObjectPackage"), f"{{{ns}}}DescriptiveMetadata"
    )
    for unit_id, archive_id in units.items():
        unit = etree.SubElement(described, f"{{{ns}}}ArchiveUnit", id=unit_id)
        etree.SubElement(
            etree.SubElement(unit, f"{{{ns}}}Content"), f"{{{ns}}}SystemId"
        ).text = archive_id
    code = root.find(f"{{{ns}}}ReplyCode")
    assert code is not None
    code.addprevious(described.getparent())
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def test_only_an_archivist_records_a_reply_by_hand_and_only_a_checked_one_counts(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = serve(tmp_path, services, drop_folder(tmp_path))
    service_id = gedsae_cli(ged.env, "services", "create", "Finances", "FR_DF").strip()
    archivist = ged.token("archiviste", "archivist")
    with ged.client(ged.admin) as officer, ged.client(archivist) as archives:
        (filed,) = file_due(officer, service_id, ["Registres matricules 1900-1910"])
        mid = start(officer, "depot", filed.dossier)
        url = f"/api/v1/transfers/{mid}/reply"
        good = acceptance(mid, {"AU_D1": "arch-2026-0001"})
        by_officer = officer.post(url, content=good)
        assert by_officer.status_code == 403
        refused = {
            "reply_unreadable": b"<ArchiveTransferReply><pas-fini>",
            "reply_mismatch": acceptance("GEDSAE-autre", {"AU_D1": "arch-x"}),
            "archive_identifier_missing": acceptance(mid, {}),
        }
        for code, body in refused.items():
            answer = archives.post(url, content=body)
            assert answer.status_code == 422, answer.text
            assert [i["code"] for i in answer.json()["issues"]] == [code]
        assert officer.get(f"/api/v1/transfers/{mid}").json()["state"] == "sent"
        early = officer.post(f"/api/v1/dossiers/{filed.dossier}/purge")
        assert early.status_code == 409  # still transferring: nothing to purge

        recorded = archives.post(url, content=good, headers={"Content-Type": "application/xml"})
        assert recorded.status_code == 200, recorded.text
        shown = recorded.json()
        assert shown["state"] == "accepted"
        assert shown["outcome"]["dossier_archives"] == {filed.dossier: ["arch-2026-0001"]}
        assert shown["outcome"]["reply"]["recorded_by"] is not None
        assert archives.get(url).content == good
        assert lifecycle_phase(officer, filed.dossier) == "permanent"
        again = archives.post(url, content=good)
        assert again.status_code == 409 and again.json()["code"] == "transfer_not_awaiting_reply"
        purged = officer.post(f"/api/v1/dossiers/{filed.dossier}/purge")
        assert purged.status_code == 200, purged.text
        gone = officer.get(f"/api/v1/documents/{filed.document}/content")
        assert gone.status_code == 404


def test_an_archivist_records_a_mailed_rejection_from_the_command_line(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = serve(tmp_path, services, drop_folder(tmp_path))
    service_id = gedsae_cli(ged.env, "services", "create", "Finances", "FR_DF").strip()
    ged.token("archiviste", "archivist")
    with ged.client(ged.admin) as officer:
        (filed,) = file_due(officer, service_id, ["Délibérations 1990"])
        mid = start(officer, "depot", filed.dossier)
    mailed = tmp_path / "reponse-courrier.xml"
    mailed.write_bytes(asalae_refusal(mid, "Bordereau sans dates extrêmes"))
    refused = gedsae_cli(
        ged.env, "transfers", "record-reply", mid, str(mailed), check=False, stderr=True
    )
    assert "Action réservée au rôle : archiviste" in refused  # the admin is no archivist
    said = gedsae_cli(ged.env, "transfers", "record-reply", mid, str(mailed), "--as", "archiviste")
    assert f"{mid} : refusé" in said and "Commentaire : Bordereau sans dates extrêmes" in said
    with ged.client(ged.admin) as officer:
        assert lifecycle_phase(officer, filed.dossier) == "due"


def test_another_organisations_agreement_answers_exactly_like_a_missing_one(
    tmp_path: Path, services: list[Service]
) -> None:
    config = drop_folder(tmp_path, "a") + (
        '[agreements.b]\nconnector = "depot"\nseda_version = "2.2"\norganisation = "Commune B"\n'
        'archival_agency = "FR_AD_35"\ntransferring_agency = "FR_B"\n'
    )
    ged = serve(tmp_path, services, config)
    with ged.client(ged.admin) as platform:
        org_b = platform.post("/api/v1/organisations", json={"name": "Commune B"}).json()["id"]
        issued = platform.post(
            "/api/v1/principals",
            json={
                "organisation_id": org_b,
                "name": "greffier-b",
                "roles": ["admin", "records_officer"],
            },
        )
        assert issued.status_code == 201, issued.text
    with ged.client(issued.json()["token"]) as b:
        service = b.post("/api/v1/services", json={"name": "Mairie", "seda_identifier": "FR_B"})
        (filed,) = file_due(b, service.json()["id"], ["État civil 1900-1910"])
        foreign = b.post(
            "/api/v1/transfers", json={"agreement": "a", "dossier_ids": [filed.dossier]}
        )
        missing = b.post(
            "/api/v1/transfers", json={"agreement": "nulle-part", "dossier_ids": [filed.dossier]}
        )
        assert (foreign.status_code, missing.status_code) == (404, 404)
        assert foreign.json()["code"] == missing.json()["code"] == "agreement_not_found"
        assert foreign.json()["detail"] == missing.json()["detail"].replace("nulle-part", "a")
        assert list((tmp_path / "outbox").iterdir()) == []  # nothing left for A's repository
        assert lifecycle_phase(b, filed.dossier) == "due"
        own = start(b, "b", filed.dossier)
        assert [t["message_identifier"] for t in b.get("/api/v1/transfers").json()] == [own]
    with ged.client(ged.admin) as platform:
        assert platform.get("/api/v1/transfers").json() == []
        assert platform.get(f"/api/v1/transfers/{own}").status_code == 404


def test_a_due_transfer_over_http_names_each_dossier_it_leaves_and_why(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = serve(tmp_path, services, drop_folder(tmp_path))
    service_id = gedsae_cli(ged.env, "services", "create", "Finances", "FR_DF").strip()
    with ged.client(ged.admin) as client:
        leaving, held = file_due(client, service_id, ["Tables 2001-2010", "Tables 1991-2000"])
        placed = client.post(
            "/api/v1/holds", json={"dossier_id": held.dossier, "reason": "recours contentieux"}
        )
        assert placed.status_code == 201, placed.text
        started = client.post("/api/v1/transfers", json={"agreement": "depot", "due": True})
        assert started.status_code == 201, started.text
        assert started.json()["dossiers"] == [leaving.dossier]
        (left,) = started.json()["left"]
        assert (left["dossier_id"], left["code"]) == (held.dossier, "held")
        assert left["title"] == "Tables 1991-2000" and "recours contentieux" in left["reason"]
        again = client.post("/api/v1/transfers", json={"agreement": "depot", "due": True})
        assert again.status_code == 422 and again.json()["code"] == "nothing_to_transfer"
        assert [(i["path"], i["code"]) for i in again.json()["issues"]] == [(held.dossier, "held")]
