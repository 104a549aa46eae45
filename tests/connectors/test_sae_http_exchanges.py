"""Communication and restitution through sae_http against a scripted repository following
docs/exchanges.md (tests/connectors/exchange_remote.py): requests sent once under their
MessageIdentifier, replies read, packages kept only once every digest is verified, the
restitution's receipt sent; and what connectors list says of connectors without them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.base import NotReady, ProtocolError, SubmissionRefused
from connectors.exchanges import (
    ExchangeKind,
    ExchangeReply,
    Exchanges,
    PackageRejected,
    exchanges_of,
    offered,
)
from connectors.sae_http import SaeHttpConnector
from seda.acknowledgement import Acknowledgement
from seda.communication import ArchiveDeliveryRequest
from seda.messages import build_message, parse_message
from seda.modification import ArchiveModificationNotification
from seda.restitution import ArchiveRestitutionRequest
from seda.versions import SedaVersion
from tests.connectors.exchange_remote import (
    ARCHIVAL_AGENCY,
    FILES,
    TOKEN,
    WHEN,
    ExchangeRepository,
    zipped,
)

BASE = "https://sae.example"
UNITS = ("AD35_2026_1", "AD35_2026_2")


def exchanges(remote: ExchangeRepository) -> Exchanges:
    client = httpx.Client(transport=httpx.MockTransport(remote))
    found = exchanges_of(SaeHttpConnector(BASE, TOKEN, client))
    assert found is not None
    return found


def delivery(mid: str = "COM-1") -> bytes:
    message = ArchiveDeliveryRequest(mid, WHEN, ARCHIVAL_AGENCY, "FR_DF", UNITS)
    return build_message(SedaVersion.V2_2, message)


def restitution(mid: str = "RES-1") -> bytes:
    message = ArchiveRestitutionRequest(mid, WHEN, ARCHIVAL_AGENCY, "FR_DF", UNITS)
    return build_message(SedaVersion.V2_2, message)


def test_a_granted_delivery_gives_its_dip_once_every_digest_is_verified(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    link = exchanges(remote)
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())  # a resend changes nothing
    assert list(remote.pending) == ["COM-1"]
    assert link.reply(ExchangeKind.DELIVERY, "COM-1") == NotReady(120.0)
    remote.grant("COM-1")
    reply = link.reply(ExchangeKind.DELIVERY, "COM-1")
    assert isinstance(reply, ExchangeReply) and reply.granted
    dip = tmp_path / "dip.zip"
    read = link.fetch_package(ExchangeKind.DELIVERY, "COM-1", dip)
    assert read.request_identifier == "COM-1" and read.unit_identifiers == UNITS
    assert dip.read_bytes() == remote.pending["COM-1"].package
    assert [r.url.path for r in remote.requests][-1] == "/api/v1/sae/deliveries/COM-1/dip"


@pytest.mark.parametrize(
    ("served", "reason"),
    [
        ({**FILES, "content/BDO_2.txt": b"registre 1924"}, "package_digest_mismatch"),
        ({"content/BDO_1.pdf": FILES["content/BDO_1.pdf"]}, "package_file_missing"),
        ({**FILES, "content/extra.bin": b"?"}, "package_file_unreferenced"),
    ],
    ids=["altered", "missing", "undescribed"],
)
def test_a_dip_that_differs_from_its_reply_is_refused_whole(
    tmp_path: Path, served: dict[str, bytes], reason: str
) -> None:
    remote = ExchangeRepository()
    link = exchanges(remote)
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    remote.grant("COM-1", served=served)
    dip = tmp_path / "dip.zip"
    with pytest.raises(PackageRejected) as refused:
        link.fetch_package(ExchangeKind.DELIVERY, "COM-1", dip)
    assert any(r.startswith(reason) for r in refused.value.reasons)
    assert list(tmp_path.iterdir()) == []  # nothing kept, not even the part downloaded


def test_a_package_answering_another_request_is_refused(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    link = exchanges(remote)
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    link.request(ExchangeKind.DELIVERY, "COM-2", delivery("COM-2"))
    remote.grant("COM-2")
    remote.grant("COM-1")
    remote.pending["COM-1"].package = remote.pending["COM-2"].package
    with pytest.raises(PackageRejected, match="COM-2"):
        link.fetch_package(ExchangeKind.DELIVERY, "COM-1", tmp_path / "dip.zip")
    assert list(tmp_path.iterdir()) == []


def test_a_refused_delivery_is_a_reply_with_its_reason_and_has_no_dip(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    link = exchanges(remote)
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    remote.refuse("COM-1", "Délai de communicabilité non échu (AR048, 1er janvier 2054)")
    reply = link.reply(ExchangeKind.DELIVERY, "COM-1")
    assert isinstance(reply, ExchangeReply) and not reply.granted
    assert reply.message.comments == (
        "Délai de communicabilité non échu (AR048, 1er janvier 2054)",
    )
    with pytest.raises(ProtocolError) as failed:
        link.fetch_package(ExchangeKind.DELIVERY, "COM-1", tmp_path / "dip.zip")
    assert failed.value.code == "delivery_refused"


def test_a_restitution_is_acknowledged_with_the_replys_identifier(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    link = exchanges(remote)
    link.request(ExchangeKind.RESTITUTION, "RES-1", restitution())
    remote.grant("RES-1")
    reply = link.fetch_package(ExchangeKind.RESTITUTION, "RES-1", tmp_path / "rendu.zip")
    receipt = Acknowledgement("RES-1-ACK", WHEN, reply.message_identifier, "FR_DF", ARCHIVAL_AGENCY)
    link.acknowledge(ExchangeKind.RESTITUTION, "RES-1", build_message(SedaVersion.V2_2, receipt))
    (sent,) = remote.pending["RES-1"].receipts
    assert parse_message(sent)[1] == receipt
    assert remote.requests[-1].url.path == "/api/v1/sae/restitutions/RES-1/receipt"


@pytest.mark.parametrize(
    ("issues", "reasons"),
    [
        (
            [{"code": "unit_unknown", "message": "unité AD35_2026_2 inconnue"}],
            ("unité AD35_2026_2 inconnue",),
        ),
        ("unité inconnue", ()),  # not the contract's shape: the refusal stands, without reasons
    ],
    ids=["issues", "malformed"],
)
def test_a_request_the_repository_refuses_is_refused_with_its_reasons(
    issues: object, reasons: tuple[str, ...]
) -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            422, json={"code": "request_invalid", "detail": "refusée", "issues": issues}
        )

    client = httpx.Client(transport=httpx.MockTransport(refusing))
    link = exchanges_of(SaeHttpConnector(BASE, TOKEN, client))
    assert link is not None
    with pytest.raises(SubmissionRefused) as refused:
        link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    assert refused.value.code == "request_invalid"
    assert refused.value.reasons == reasons


def test_connectors_list_says_which_connectors_have_no_such_exchange() -> None:
    assert offered("sae_http") == "échanges : versement, communication, restitution"
    assert "API (requête DSL)" in offered("vitam")
    assert "à la main dans As@lae" in offered("asalae")
    assert offered("drop_folder").endswith("(ce connecteur ne porte que les versements)")


def test_an_unzipped_package_is_refused(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    link = exchanges(remote)
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    remote.grant("COM-1")
    remote.pending["COM-1"].package = zipped({"content/BDO_1.pdf": b"x"})  # no manifest
    with pytest.raises(PackageRejected):
        link.fetch_package(ExchangeKind.DELIVERY, "COM-1", tmp_path / "dip.zip")
    assert list(tmp_path.iterdir()) == []


def test_the_mailbox_is_read_page_by_page_and_an_authorization_answered() -> None:
    remote = ExchangeRepository()
    for n in range(3):
        remote.post(
            ArchiveModificationNotification(
                f"MOD-{n}", WHEN, ARCHIVAL_AGENCY, "FR_DF", UNITS, ("règle AR048 appliquée",)
            )
        )
    link = exchanges(remote)
    first = link.mailbox(None)
    assert [m.remote_id for m in first.messages] == ["0", "1"] and first.next == "1"
    rest = link.mailbox(first.next)
    assert [m.remote_id for m in rest.messages] == ["2"] and rest.next is None
    (last,) = rest.messages
    assert last.message_type == "ArchiveModificationNotification"
    assert parse_message(last.raw)[1].message_identifier == "MOD-2"  # type: ignore[union-attr]
    link.answer_authorization("ELIM-1", b"<reply/>")
    assert remote.authorization_replies == [b"<reply/>"]
    assert remote.requests[-1].headers["Idempotency-Key"] == "ELIM-1"


def test_a_package_larger_than_any_reply_is_streamed_to_disk(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    client = httpx.Client(transport=httpx.MockTransport(remote))
    connector = SaeHttpConnector(BASE, TOKEN, client, max_reply_bytes=512)
    link = exchanges_of(connector)
    assert link is not None
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    remote.grant("COM-1")
    package_size = len(remote.pending["COM-1"].package or b"")
    assert package_size > 512  # more than a reply may hold in memory
    dip = tmp_path / "dip.zip"
    link.fetch_package(ExchangeKind.DELIVERY, "COM-1", dip)
    assert dip.read_bytes() == remote.pending["COM-1"].package
    [fetched] = [e for e in connector.history if e.url.endswith("/dip")]
    assert fetched.response_size == package_size  # recorded as sent, though never in memory


def test_a_package_over_the_limit_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    remote = ExchangeRepository()
    client = httpx.Client(transport=httpx.MockTransport(remote))
    link = exchanges_of(SaeHttpConnector(BASE, TOKEN, client, max_package_bytes=100))
    assert link is not None
    link.request(ExchangeKind.DELIVERY, "COM-1", delivery())
    remote.grant("COM-1")
    with pytest.raises(ProtocolError) as refused:
        link.fetch_package(ExchangeKind.DELIVERY, "COM-1", tmp_path / "dip.zip")
    assert refused.value.code == "package_too_large"
    assert list(tmp_path.iterdir()) == []
