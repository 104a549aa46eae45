"""Communication and restitution of a dossier the GED transferred (ged.services.
archive_exchanges): the dossier goes to the repository and is accepted (the sae_http transfer
loop), then the GED asks for its archives through the agreement's connector, against the
scripted repository of docs/exchanges.md (tests/connectors/exchange_remote.py). What is kept
of the repository's messages runs on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.base import Connector
from connectors.exchanges import ExchangeKind
from connectors.sae_http import SaeHttpConnector
from ged.api.app import create_app
from ged.domain.model import Role
from ged.services.archive_exchanges import (
    DossierNotArchived,
    ExchangeNotOffered,
    ExchangeRefused,
    receive_archives,
    request_archives,
)
from ged.services.incoming_exchanges import (
    AlreadyAnswered,
    answer_authorization,
    collect_messages,
    incoming_messages,
)
from ged.services.incoming_ports import IncomingState
from ged.services.transfer_loop import get_transfer
from ged.services.transfer_setup import PackageSigner, TransferSetup
from kernel.errors import ForbiddenError
from seda.acknowledgement import Acknowledgement
from seda.elimination import (
    AuthorizationOriginatingAgencyRequest,
    AuthorizationOriginatingAgencyRequestReply,
    UnitToDestroy,
)
from seda.messages import parse_message
from seda.modification import ArchiveModificationNotification
from seda.versions import SedaVersion
from tests.connectors.exchange_remote import (
    ARCHIVAL_AGENCY,
    FILES,
    TOKEN,
    WHEN,
    ExchangeRepository,
)
from tests.e2e.test_lifecycle_api import assert_xsd_valid
from tests.fixtures.ged import Ged
from tests.integration.scripted_repositories import SaeHttpRepository, VitamRepository
from tests.integration.test_transfer_loop import due_dossier
from tests.integration.test_transfer_loop_connectors import (
    AGREEMENT,
    first_poll,
    pushed,
    replied,
    setup_for,
)

ARCHIVES = ("aeaqaaaaaa-ged-1", "aeaqaaaaaa-ged-2")  # what SaeHttpRepository.accept names


def transferred(ged: Ged, tmp_path: Path, signer: PackageSigner) -> tuple[str, TransferSetup]:
    """A dossier transferred and accepted, and the setup whose connector now reaches the
    repository's exchanges."""
    repository = SaeHttpRepository()
    setup = setup_for(repository, tmp_path / "spool", signer)
    dossier_id = due_dossier(ged)
    record = pushed(repository, setup, ged)
    repository.receive(record.message_identifier)
    first_poll(repository, setup, ged)
    assert (
        repository.accept(get_transfer(ged.ctx, ged.admin, record.message_identifier)) == ARCHIVES
    )
    replied(setup, ged, record.message_identifier)
    return dossier_id, setup


def reaching(setup: TransferSetup, remote: ExchangeRepository) -> TransferSetup:
    def connector(name: str) -> Connector:
        client = httpx.Client(transport=httpx.MockTransport(remote))
        return SaeHttpConnector("https://sae.test", TOKEN, client)

    return replace(setup, connector=connector)


def logged(ged: Ged, mid: str) -> list[str]:
    with ged.ctx.uow() as uow:
        return [e.action for e in uow.iter_log() if e.object_id == mid]


def test_a_communication_brings_the_dip_once_every_digest_is_verified(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    setup = reaching(setup, remote)
    mid = request_archives(
        setup, ged.ctx, ged.admin, AGREEMENT, ExchangeKind.DELIVERY, [dossier_id],
        derogation=True, reason="recherche généalogique",
    )  # fmt: skip
    _, sent = parse_message(remote.pending[mid].request)
    assert sent.unit_identifiers == ARCHIVES and sent.derogation  # type: ignore[union-attr]
    dip = tmp_path / "dip.zip"
    waiting = receive_archives(setup, ged.ctx, ged.admin, AGREEMENT, mid, dip)
    assert (waiting.state, waiting.retry_after) == ("waiting", 120.0) and not dip.exists()
    remote.grant(mid)
    received = receive_archives(setup, ged.ctx, ged.admin, AGREEMENT, mid, dip)
    assert (received.state, received.path, received.units) == ("received", dip, ARCHIVES)
    assert dip.read_bytes() == remote.pending[mid].package
    assert logged(ged, mid) == ["archives.communication.request", "archives.communication.received"]


def test_a_refused_communication_gives_the_repositorys_reason(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    setup = reaching(setup, remote)
    mid = request_archives(
        setup, ged.ctx, ged.admin, AGREEMENT, ExchangeKind.DELIVERY, [dossier_id]
    )
    remote.refuse(mid, "Non communicable avant le 1er janvier 2061, aucune dérogation")
    refused = receive_archives(setup, ged.ctx, ged.admin, AGREEMENT, mid, tmp_path / "dip.zip")
    assert refused.state == "refused"
    assert refused.comments == ("Non communicable avant le 1er janvier 2061, aucune dérogation",)
    assert not (tmp_path / "dip.zip").exists()


def test_a_restitution_is_acknowledged_only_once_its_package_is_verified(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    setup = reaching(setup, remote)
    mid = request_archives(
        setup, ged.ctx, ged.admin, AGREEMENT, ExchangeKind.RESTITUTION, [dossier_id]
    )
    out = tmp_path / "rendu" / "archives.zip"
    remote.grant(mid, served={**FILES, "content/BDO_1.pdf": b"%PDF-1.7 autre"})
    with pytest.raises(ExchangeRefused) as refused:
        receive_archives(setup, ged.ctx, ged.admin, AGREEMENT, mid, out)
    assert {i.code for i in refused.value.issues} == {"package_rejected"}
    assert any(i.message.startswith("package_digest_mismatch") for i in refused.value.issues)
    assert remote.pending[mid].receipts == [] and list(out.parent.iterdir()) == []

    reply = remote.grant(mid)
    assert receive_archives(setup, ged.ctx, ged.admin, AGREEMENT, mid, out).state == "received"
    (receipt,) = remote.pending[mid].receipts
    _, acknowledgement = parse_message(receipt)
    _, replied_message = parse_message(reply)
    assert isinstance(acknowledgement, Acknowledgement)
    assert acknowledgement.received_identifier == replied_message.message_identifier
    assert logged(ged, mid)[-1] == "archives.restitution.received"


def test_a_dossier_never_transferred_is_refused_before_anything_is_sent(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository()
    setup = reaching(setup_for(SaeHttpRepository(), tmp_path / "spool", signer), remote)
    dossier_id = due_dossier(ged)
    with pytest.raises(DossierNotArchived, match="aucun versement accepté"):
        request_archives(setup, ged.ctx, ged.admin, AGREEMENT, ExchangeKind.DELIVERY, [dossier_id])
    assert remote.requests == []


def test_a_connector_without_the_exchange_says_so_rather_than_pretending(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = VitamRepository()
    setup = setup_for(repository, tmp_path / "spool", signer)
    with pytest.raises(ExchangeNotOffered, match="export de DIP de Vitam"):
        request_archives(
            setup, sqlite_ged.ctx, sqlite_ged.admin, AGREEMENT, ExchangeKind.DELIVERY, ["D1"]
        )
    assert repository.remote.requests == []


def test_the_api_requests_receives_and_serves_the_verified_package(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    _, agent_token = ged.user("agent", Role.AGENT, services=(ged.service,))
    with TestClient(create_app(ged.ctx, reaching(setup, remote))) as client:
        client.headers["Authorization"] = f"Bearer {ged.admin_token}"
        asked = {"agreement": AGREEMENT, "kind": "communication", "dossier_ids": [dossier_id]}
        created = client.post("/api/v1/archives/requests", json=asked)
        assert created.status_code == 201, created.text
        mid = created.json()["message_identifier"]
        assert created.headers["Location"] == f"/api/v1/archives/requests/{mid}"
        receive = f"/api/v1/archives/requests/{mid}/receive"
        waiting = client.post(receive, json={"agreement": AGREEMENT})
        assert (waiting.status_code, waiting.headers["Retry-After"]) == (202, "120")
        assert client.get(f"/api/v1/archives/requests/{mid}/package").status_code == 404
        remote.grant(mid)
        received = client.post(receive, json={"agreement": AGREEMENT})
        assert received.json()["state"] == "received" and received.json()["units"] == list(ARCHIVES)
        package = client.get(received.json()["package_url"])
        assert package.content == remote.pending[mid].package
        assert package.headers["content-type"] == "application/zip"
        agent = {"Authorization": f"Bearer {agent_token}"}
        assert (
            client.post("/api/v1/archives/requests", json=asked, headers=agent).status_code == 403
        )
        # an identifier that is not one of ours never becomes a file name
        strange = client.get("/api/v1/archives/requests/GEDSAE-COM-..%2E/package")
        assert (strange.status_code, strange.json()["code"]) == (404, "request_unknown")


def authorization_request(mid: str = "ELIM-2026-7") -> AuthorizationOriginatingAgencyRequest:
    return AuthorizationOriginatingAgencyRequest(
        mid, WHEN, ARCHIVAL_AGENCY, "FR_DF", ARCHIVAL_AGENCY, "DUA échue, sort final destruction",
        date(2026, 3, 2), (UnitToDestroy(ARCHIVES[0], "Tables décennales"),),
    )  # fmt: skip


def dossier_history(ged: Ged, dossier_id: str) -> list[str]:
    with ged.ctx.uow() as uow:
        return [e.action for e in uow.iter_log() if e.object_id == dossier_id]


def test_the_repositorys_requests_and_notices_are_kept_once_on_the_dossiers_they_concern(
    ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    remote = ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    setup = reaching(setup, remote)
    remote.post(authorization_request())
    changed = ("Règle de communicabilité AR048 substituée à AR038 après révision",)
    remote.post(
        ArchiveModificationNotification(
            "MOD-2026-3", WHEN, ARCHIVAL_AGENCY, "FR_DF", (ARCHIVES[1],), changed
        )
    )
    kept = collect_messages(setup, ged.ctx, ged.admin, AGREEMENT)
    assert [(m.message_identifier, m.state, m.dossiers) for m in kept] == [
        ("ELIM-2026-7", IncomingState.AWAITING_ANSWER, (dossier_id,)),
        ("MOD-2026-3", IncomingState.RECORDED, (dossier_id,)),
    ]
    assert collect_messages(setup, ged.ctx, ged.admin, AGREEMENT) == []  # read again: nothing new
    history = dossier_history(ged, dossier_id)
    assert history[-2:] == ["archives.authorization.requested", "archives.modification.notified"]
    with ged.ctx.uow() as uow:
        (notice,) = [e for e in uow.iter_log() if e.action == "archives.modification.notified"
                     and e.object_id == dossier_id]  # fmt: skip
    assert notice.details["comments"] == list(changed)
    pending = incoming_messages(ged.ctx, ged.admin, IncomingState.AWAITING_ANSWER)
    assert [m.message_identifier for m in pending] == ["ELIM-2026-7"]


def test_an_archivist_answers_an_authorization_request_once(
    ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    remote = ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    setup = reaching(setup, remote)
    remote.post(authorization_request())
    collect_messages(setup, ged.ctx, ged.admin, AGREEMENT)
    with pytest.raises(ForbiddenError):  # a records officer does not give this answer
        answer_authorization(setup, ged.ctx, ged.admin, "ELIM-2026-7", granted=True)
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    why = "Dossier cité dans un contentieux en cours"
    answered = answer_authorization(
        setup, ged.ctx, archivist, "ELIM-2026-7", granted=False, comment=why
    )
    assert (answered.state, answered.answer, answered.answered_by) == (
        IncomingState.ANSWERED, "refused", archivist.id,
    )  # fmt: skip
    (sent,) = remote.authorization_replies
    _, reply = parse_message(sent)
    assert isinstance(reply, AuthorizationOriginatingAgencyRequestReply)
    assert (reply.request_identifier, reply.reply_code, reply.comments) == (
        "ELIM-2026-7", "300", (why,),
    )  # fmt: skip
    assert dossier_history(ged, dossier_id)[-1] == "archives.authorization.answered"
    with pytest.raises(AlreadyAnswered):
        answer_authorization(setup, ged.ctx, archivist, "ELIM-2026-7", granted=True)
    assert len(remote.authorization_replies) == 1


@pytest.mark.parametrize("version", list(SedaVersion), ids=lambda v: v.value)
def test_every_message_the_ged_sends_is_valid_against_the_official_xsd_of_its_version(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner, schema_dir: Path, version: SedaVersion
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository(version=version)
    dossier_id, setup = transferred(ged, tmp_path, signer)
    agreement = replace(setup.agreements[AGREEMENT], seda_version=version)
    setup = replace(reaching(setup, remote), agreements={AGREEMENT: agreement})
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    asked = [
        request_archives(setup, ged.ctx, ged.admin, AGREEMENT, kind, [dossier_id], reason="étude")
        for kind in ExchangeKind
    ]
    remote.grant(asked[1])
    receive_archives(setup, ged.ctx, ged.admin, AGREEMENT, asked[1], tmp_path / "rendu.zip")
    remote.post(authorization_request())
    collect_messages(setup, ged.ctx, ged.admin, AGREEMENT)
    answer_authorization(setup, ged.ctx, archivist, "ELIM-2026-7", granted=True)
    sent = [
        *(remote.pending[mid].request for mid in asked),
        *remote.pending[asked[1]].receipts,
        *remote.authorization_replies,
    ]
    assert len(sent) == 4
    assert {assert_xsd_valid(schema_dir, message) for message in sent} == {version}


def test_the_api_collects_the_mailbox_and_an_archivist_answers(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, remote = sqlite_ged, ExchangeRepository()
    dossier_id, setup = transferred(ged, tmp_path, signer)
    remote.post(authorization_request())
    _, archivist_token = ged.user("archiviste", Role.ARCHIVIST)
    with TestClient(create_app(ged.ctx, reaching(setup, remote))) as client:
        client.headers["Authorization"] = f"Bearer {ged.admin_token}"
        collected = client.post("/api/v1/archives/messages/collect", json={"agreement": AGREEMENT})
        (new,) = collected.json()["new"]
        assert (new["message_identifier"], new["dossiers"]) == ("ELIM-2026-7", [dossier_id])
        waiting = client.get("/api/v1/archives/messages", params={"state": "awaiting_answer"})
        assert [m["message_identifier"] for m in waiting.json()] == ["ELIM-2026-7"]
        answer = "/api/v1/archives/messages/ELIM-2026-7/answer"
        by_admin = client.post(answer, json={"granted": True})
        assert by_admin.status_code == 403  # an archivist's answer
        archivist = {"Authorization": f"Bearer {archivist_token}"}
        given = client.post(answer, json={"granted": True, "comment": "visa"}, headers=archivist)
        assert (given.status_code, given.json()["answer"]) == (200, "granted")
        again = client.post(answer, json={"granted": False}, headers=archivist)
        assert (again.status_code, again.json()["code"]) == (409, "authorization_already_answered")
        assert (
            client.get("/api/v1/archives/messages", params={"state": "awaiting_answer"}).json()
            == []
        )
