"""The archival repository's side of each connector's contract, for end-to-end transfer loops.

Each class wraps the scripted remote that its connector's tests play (tests/connectors/, and
``ScriptedSae`` of tests/integration/test_transfer_loop.py for ``sae_http``), hands the transfer
runner a fresh connector on it for every step (the runner closes each connector afterwards), and
scripts the repository's decision on the GED's own transfer. Every reply names the GED's actual
MessageIdentifier: built with ``seda.replies`` (``sae_http``, acknowledgements) or adapted from
the real replies of ../shared/seda/samples by rewriting their identifiers, as the connector tests
do (Vitam writes its operation id in ``MessageIdentifier`` and ours in
``MessageRequestIdentifier``; As@lae swaps them).
"""

from __future__ import annotations

import base64
import hashlib
import io
import ssl
import tarfile
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paramiko

from connectors.asalae import AsalaeConnector
from connectors.base import Connector
from connectors.dropfolder import DropFolderConnector, DropSettings
from connectors.maarch import MaarchRmConnector
from connectors.sae_http import SaeHttpConnector
from connectors.sftp import HostKeyPolicy, SftpConnector, SftpEndpoint
from connectors.vitam import VitamConnector
from ged.services.ports import TransferRecord
from seda.replies import build_transfer_reply
from seda.sip import SipLayout
from seda.v1.replies import build_acknowledgement_v1, build_transfer_reply_v1
from seda.versions import SedaVersion
from tests.connectors import test_asalae as asalae
from tests.connectors import test_maarch as maarch
from tests.connectors import test_vitam as vitam
from tests.connectors.remote import retarget
from tests.connectors.test_dropfolder import acknowledgement
from tests.fixtures.seda_corpus import sample
from tests.fixtures.sftp import SshServer
from tests.integration.test_transfer_loop import ScriptedSae

TRANSFERRING_AGENCY = "FR_DF"  # the agreement's, so the manifest's TransferringAgency too
MANIFEST = "manifest.xml"
SIGNATURE = "manifest.xml.p7s"
VITAM_OK = "pastell/tests-helpers/atr_vitam_ok.xml"
VITAM_KO = "pastell/tests-helpers/atr_vitam_ko.xml"
VITAM_OK_UNITS = ("aeaqaaaaaafdat3yadroqamc2a77c6yaaaba", "aeaqaaaaaafdat3yadroqamc2a77c5iaaaaq")
# the KO events of atr_vitam_ko.xml, as the transfer loop keeps them (code, outcome, message)
VITAM_KO_REASONS = (
    "STP_INGEST_CONTROL_SIP KO : Échec du processus du contrôle du bordereau du SIP",
    "CHECK_HEADER KO : Échec de la vérification générale du bordereau de transfert",
    "CHECK_HEADER.CHECK_IC_AP_RELATION KO : Échec du contrôle de cohérence",
)
PASTELL_OK = "pastell/fakeSae-seda-2.1/ATR.xml"
PASTELL_REFUSED = "pastell/fakeSae-seda-2.1/ATR_refused.xml"
PASTELL_UNIT = "AE_2022_15"  # the ArchivalAgencyArchiveUnitIdentifier of PASTELL_OK


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def vitam_reply(name: str, *, operation: str | None, transfer: str) -> bytes:
    """A Vitam reply of the corpus readdressed: its operation (when given) in MessageIdentifier,
    `transfer` (ours, or what Vitam writes when it could not read it) in
    MessageRequestIdentifier."""
    data = sample(name)
    if operation is not None:
        data = retarget(data, "MessageIdentifier", operation)
    return retarget(data, "MessageRequestIdentifier", transfer)


class ScriptedRepository(ABC):
    """One archival repository as the transfer runner meets it through one connector kind."""

    kind: str
    acknowledges = True  # the first poll after the push finds an Acknowledgement
    verbatim = True  # the repository receives the SIP byte for byte
    keeps_signature = True  # the manifest's detached signature reaches the repository
    sign_package = True  # the agreement's sign_package: false where the layout forbids it
    layout = SipLayout.CONTENT  # the agreement's sip_layout

    @abstractmethod
    def connector(self) -> Connector:
        """A fresh connector on this repository: the runner builds one per step, then closes it."""

    def receive(self, mid: str) -> None:
        """What the repository does once the package is in, before anyone decides."""
        del mid  # HTTP repositories acknowledge when asked

    @abstractmethod
    def received(self, mid: str) -> tuple[bytes, dict[str, bytes]]:
        """What was uploaded (its history digest must match) and the package's members."""

    @abstractmethod
    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        """Script a positive reply; returns the archive identifiers it carries."""

    @abstractmethod
    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        """Script a negative reply; returns how each reason the transfer must keep begins (the
        corpus' messages run over several lines)."""


class TlsRefusing(httpx.MockTransport):
    """The remote behind a TLS endpoint that refuses the handshake for the next ``refusals``
    requests (a certificate its trust store does not know), then lets them through."""

    def __init__(self, remote: httpx.MockTransport) -> None:
        super().__init__(remote.handle_request)
        self.refusals = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refusals:
            self.refusals -= 1
            cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
            raise httpx.ConnectError("handshake failed", request=request) from cause
        return super().handle_request(request)


class SaeHttpRepository(ScriptedRepository):
    kind = "sae_http"

    def __init__(self) -> None:
        self.remote = ScriptedSae()
        self.transport = TlsRefusing(httpx.MockTransport(self.remote))

    def connector(self) -> Connector:
        client = httpx.Client(transport=self.transport)
        return SaeHttpConnector("https://sae.test", "secret-token", client)

    def received(self, mid: str) -> tuple[bytes, dict[str, bytes]]:
        body = self.remote.received[mid]
        return body, zip_members(body)

    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        units = ("aeaqaaaaaa-ged-1", "aeaqaaaaaa-ged-2")
        self.remote.decide(record.message_identifier, "OK", archive_ids=units)
        return units

    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        events = (
            ("CHECK_DIGEST", "OK", "empreintes vérifiées"),
            ("CHECK_RULES", "KO", "règle EC-04 inconnue du dépôt"),
        )
        self.remote.decide(record.message_identifier, "KO", events=events)
        return ("CHECK_RULES KO : règle EC-04 inconnue du dépôt",)


class VitamRepository(ScriptedRepository):
    kind = "vitam"
    acknowledges = False  # Vitam writes no Acknowledgement, only the final reply
    sign_package = False  # one root file only: no manifest.xml.p7s beside the manifest

    def __init__(self, context_id: str = "DEFAULT_WORKFLOW") -> None:
        self.remote = vitam.FakeVitam(running_polls=1)  # the operation runs at the first poll
        self.context_id = context_id

    def connector(self) -> Connector:
        client = httpx.Client(transport=httpx.MockTransport(self.remote))
        return VitamConnector(vitam.BASE, vitam.TENANT, client, context_id=self.context_id)

    def received(self, mid: str) -> tuple[bytes, dict[str, bytes]]:
        assert len(self.remote.received) == 1, "one ingest per transfer"
        return self.remote.received[0], zip_members(self.remote.received[0])

    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        self._decide(record, "OK", VITAM_OK, record.message_identifier)
        return VITAM_OK_UNITS

    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        self._decide(record, "KO", VITAM_KO, record.message_identifier)
        return VITAM_KO_REASONS

    def reply_of(self, record: TransferRecord) -> bytes:
        reply = self.remote.operations[record.remote_reference or ""].reply
        assert reply is not None
        return reply

    def reject_early(self, record: TransferRecord, request_identifier: str) -> None:
        """Vitam's early KO as it writes it: MessageRequestIdentifier empty, or ``Unknown``
        (AtrKoBuilder's placeholder when the manifest could not be read), not ours."""
        self._decide(record, "KO", VITAM_KO, request_identifier)

    def _decide(self, record: TransferRecord, status: str, name: str, transfer: str) -> None:
        """The operation (its id is the record's remote reference) ends with this reply."""
        operation_id = record.remote_reference or ""
        operation = self.remote.operations[operation_id]
        operation.status = status
        operation.reply = vitam_reply(name, operation=operation_id, transfer=transfer)


@dataclass
class RecordingAsalae(asalae.FakeAsalae):
    """The scripted As@lae, keeping each manifest it receives (its fake drops them)."""

    manifests: dict[str, bytes] = field(default_factory=dict)

    def _message(self, form: dict[str, tuple[str | None, bytes]]) -> httpx.Response:
        manifest = form["seda_message"][1]
        self.manifests[asalae.manifest_keys(manifest)[2]] = manifest
        return super()._message(form)


class AsalaeRepository(ScriptedRepository):
    """Pastell's way (the default): the manifest apart, the other members as archive.tar.gz."""

    kind = "asalae"
    verbatim = False
    keeps_signature = False  # the connector repacks the members but the manifest and signature

    def __init__(self) -> None:
        self.remote = RecordingAsalae()

    def connector(self) -> Connector:
        client = httpx.Client(transport=httpx.MockTransport(self.remote))
        return AsalaeConnector(asalae.BASE, asalae.USER, asalae.PASSWORD, client)

    def received(self, mid: str) -> tuple[bytes, dict[str, bytes]]:
        transfer = self.remote.transfers[(TRANSFERRING_AGENCY, mid)]
        assert transfer.attachments is not None
        with tarfile.open(fileobj=io.BytesIO(transfer.attachments), mode="r:gz") as tar:
            members = {m.name: _extracted(tar, m) for m in tar.getmembers()}
        return transfer.attachments, {MANIFEST: self.remote.manifests[mid], **members}

    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        # As@lae's own way round: MessageIdentifier is the transfer's
        reply = retarget(sample(PASTELL_OK), "MessageIdentifier", record.message_identifier)
        self._transfer(record).reply = reply
        return (PASTELL_UNIT,)

    def accept_each(self, record: TransferRecord) -> tuple[str, ...]:
        """As@lae's acceptance of a transfer of several dossiers: one top-level unit per dossier,
        in the manifest's order, each with its own archive identifier."""
        units = tuple(f"AE_2026_{n}" for n in range(1, len(record.dossiers) + 1))
        self._transfer(record).reply = asalae.asalae_reply(
            "000", units, message=record.message_identifier
        )
        return units

    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        reply = retarget(sample(PASTELL_REFUSED), "MessageIdentifier", record.message_identifier)
        self._transfer(record).reply = reply
        # As@lae's refusal carries its code and its reason in Comment, no event
        return ("ReplyCode 101", "Commentaire : Transfert de l'acte administratif TRDYTVB")

    def reject_with_comment(self, record: TransferRecord, code: str, comment: str) -> bytes:
        """As@lae's refusal as it writes it: the reason only in the reply's Comment."""
        reply = build_transfer_reply(
            SedaVersion.V2_1,
            message_identifier=record.message_identifier,  # As@lae's way round
            request_identifier=f"ATR-{record.message_identifier}",
            reply_code=code,
            archival_agency="FRLSADC",
            transferring_agency=TRANSFERRING_AGENCY,
            date=datetime(2026, 3, 2, tzinfo=UTC),
            comment=comment,
        )
        self._transfer(record).reply = reply
        return reply

    def _transfer(self, record: TransferRecord) -> asalae.Transfer:
        return self.remote.transfers[(TRANSFERRING_AGENCY, record.message_identifier)]


class AsalaeSeda1Repository(AsalaeRepository):
    """As@lae fed SEDA 1.0, as Pastell's profiles do in many départements: its acknowledgement
    and its reply are SEDA 1.0 messages (``seda.v1.replies``), each accepted archive described
    in the reply with the identifier As@lae gives it."""

    def receive(self, mid: str) -> None:
        self.remote.transfers[
            (TRANSFERRING_AGENCY, mid)
        ].acknowledgement = build_acknowledgement_v1(
            message_identifier=f"FRLSADC_ACK_{mid}",
            received_identifier=mid,
            sender="FRLSADC",
            receiver=TRANSFERRING_AGENCY,
            date=datetime(2026, 3, 2, tzinfo=UTC),
        )

    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        units = tuple(f"AE_2026_{n}" for n in range(1, len(record.dossiers) + 1))
        self._transfer(record).reply = seda1_reply(record.message_identifier, "000", units)
        return units

    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        comment = "Profil d'archivage non respecté"
        self._transfer(record).reply = seda1_reply(record.message_identifier, "300", (), comment)
        return ("ReplyCode 300", f"Commentaire : {comment}")


def seda1_reply(mid: str, code: str, archives: tuple[str, ...], comment: str = "") -> bytes:
    """A SEDA 1.0 ArchiveTransferReply as As@lae writes it, one described Archive per identifier
    (valid against the official 1.0 XSD)."""
    built = build_transfer_reply_v1(
        message_identifier=f"FRLSADC_ATR_{mid}",
        request_identifier=mid,
        reply_code=code,
        archival_agency="FRLSADC",
        transferring_agency=TRANSFERRING_AGENCY,
        date=datetime(2026, 3, 2, tzinfo=UTC),
        grant_date=datetime(2026, 3, 2, tzinfo=UTC),
        comment=comment or None,
    )
    described = "".join(
        f"<Archive><ArchivalAgencyArchiveIdentifier>{a}</ArchivalAgencyArchiveIdentifier>"
        "<DescriptionLanguage>fra</DescriptionLanguage><Name>Dossier</Name>"
        "<ContentDescription><DescriptionLevel>file</DescriptionLevel><Language>fra</Language>"
        "</ContentDescription><AccessRestrictionRule><Code>AR038</Code>"
        "<StartDate>2026-03-02</StartDate></AccessRestrictionRule></Archive>"
        for a in archives
    )
    return built.replace(
        b"</ArchiveTransferReply>", described.encode() + b"</ArchiveTransferReply>"
    )


def _extracted(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None, member.name
    return handle.read()


class MaarchRepository(ScriptedRepository):
    kind = "maarch_rm"
    sign_package = False  # receiveZip would take the .p7s for an attachment the manifest lacks
    layout = SipLayout.FLAT  # receiveZip flattens folders

    def __init__(self) -> None:
        self.remote = maarch.FakeMaarch()

    def connector(self) -> Connector:
        client = httpx.Client(transport=httpx.MockTransport(self.remote))
        return MaarchRmConnector(maarch.BASE, maarch.TOKEN, client)

    def received(self, mid: str) -> tuple[bytes, dict[str, bytes]]:
        (body,) = self.remote.bodies
        package = base64.b64decode(str(body["messageFile"]), validate=True)
        assert self.remote.messages[mid].digest == sha256(package)
        return package, zip_members(package)

    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        self.remote.reply = maarch.accepted_reply(record.message_identifier)
        self.remote.final_status = "processed"
        return (PASTELL_UNIT,)

    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        self.remote.reply = maarch.refused_reply(record.message_identifier)
        self.remote.final_status = "rejected"
        return ("ReplyCode 101", "Commentaire : Transfert de l'acte administratif TRDYTVB")


class DropFolderRepository(ScriptedRepository):
    """A repository watching the outbox and writing its replies, Vitam's, into another folder."""

    kind = "drop_folder"

    def __init__(self, root: Path) -> None:
        self.outbox, self.replies = root / "outbox", root / "replies"
        self.outbox.mkdir()
        self.replies.mkdir()
        self.settings = DropSettings(str(self.outbox), str(self.replies))

    def connector(self) -> Connector:
        return DropFolderConnector(self.settings)

    def receive(self, mid: str) -> None:
        self._write(f"ACK_{mid}.xml", acknowledgement(mid))

    def received(self, mid: str) -> tuple[bytes, dict[str, bytes]]:
        assert sorted(p.name for p in self.outbox.iterdir()) == [f"{mid}.zip"]  # no .part left
        package = (self.outbox / f"{mid}.zip").read_bytes()
        return package, zip_members(package)

    def accept(self, record: TransferRecord) -> tuple[str, ...]:
        mid = record.message_identifier
        self._write(f"ATR_{mid}.xml", vitam_reply(VITAM_OK, operation=None, transfer=mid))
        return VITAM_OK_UNITS

    def reject(self, record: TransferRecord) -> tuple[str, ...]:
        mid = record.message_identifier
        self._write(f"ATR_{mid}.xml", vitam_reply(VITAM_KO, operation=None, transfer=mid))
        return VITAM_KO_REASONS

    def _write(self, name: str, data: bytes) -> None:
        """Written under a dot-name, then renamed: the connector never reads half a reply."""
        partial = self.replies / f".{name}"
        partial.write_bytes(data)
        partial.replace(self.replies / name)


class SftpRepository(DropFolderRepository):
    """The same folders, reached through the real sshd of tests/fixtures/sftp.py."""

    kind = "sftp"

    def __init__(self, server: SshServer, root: Path) -> None:
        super().__init__(root)
        self.endpoint = SftpEndpoint(
            host=server.host,
            username=server.username,
            host_keys=HostKeyPolicy(pinned_sha256=server.host_key_sha256),
            port=server.port,
            private_key=paramiko.PKey.from_path(server.client_key),
            # the production default: on two loaded cores (the whole suite) the handshake with
            # the real sshd passed 5 s (two pushes ended in error_sending)
            connect_timeout=15.0,
        )

    def connector(self) -> Connector:
        return SftpConnector(self.endpoint, self.settings)
