"""sftp against a real OpenSSH server on loopback (`tests.fixtures.sftp`).

The server runs as the current user, so its folders are tmp_path folders the test can also read
and write directly: the test plays the repository by dropping replies into the reply folder.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import paramiko
import pytest

from connectors.base import (
    CredentialsRefused,
    Exchange,
    NotReady,
    Replied,
    Submission,
    SubmissionRefused,
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings, build
from connectors.dropfolder import DropSettings
from connectors.files import FolderUnusable
from connectors.sftp import (
    HostKeyPolicy,
    HostKeyRefused,
    SftpConnector,
    SftpEndpoint,
    fingerprint_sha256,
)
from seda.replies import Outcome
from tests.connectors.test_dropfolder import accepted_reply, make_sip, our_reply
from tests.fixtures.sftp import SshServer, free_port

MID = "TR-SFTP-0001"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    outbox, replies = tmp_path / "outbox", tmp_path / "replies"
    outbox.mkdir()
    replies.mkdir()
    return outbox, replies


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    return make_sip(tmp_path / "sip.zip")


def connector(
    server: SshServer,
    folders: tuple[Path, Path],
    *,
    host_keys: HostKeyPolicy | None = None,
    key: Path | None = None,
    port: int | None = None,
    done_marker: bool = False,
) -> SftpConnector:
    endpoint = SftpEndpoint(
        host=server.host,
        username=server.username,
        host_keys=host_keys or HostKeyPolicy(pinned_sha256=server.host_key_sha256),
        port=port or server.port,
        private_key=paramiko.PKey.from_path(key or server.client_key),
        connect_timeout=5.0,
    )
    settings = DropSettings(
        str(folders[0]), str(folders[1]), done_marker=done_marker, chunk_bytes=4096
    )
    return SftpConnector(endpoint, settings)


def send(conn: SftpConnector, sip: Path) -> Submission:
    return conn.submit(sip, message_identifier=MID, transferring_agency="A", manifest_digest=None)


def test_submit_then_poll_an_accepted_reply(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path, tmp_path: Path
) -> None:
    outbox, replies = folders
    known_hosts = sshd_server.known_hosts(tmp_path / "known_hosts")
    conn = connector(sshd_server, folders, host_keys=HostKeyPolicy(known_hosts=known_hosts))
    submission = send(conn, sip)
    assert (outbox / f"{MID}.zip").read_bytes() == sip.read_bytes()
    assert sorted(p.name for p in outbox.iterdir()) == [f"{MID}.zip"]
    prefix = f"sftp://{sshd_server.host}:{sshd_server.port}"
    assert submission.remote_reference == f"{prefix}{outbox}/{MID}.zip"
    assert conn.poll(submission) == NotReady(60.0)
    (replies / f"ATR_{MID}.xml").write_bytes(accepted_reply(MID))
    result = conn.poll(submission)
    assert isinstance(result, Replied)
    assert result.outcome.outcome is Outcome.ACCEPTED
    methods = [(e.method, e.url) for e in conn.history]
    assert methods == [
        ("PUT", f"{prefix}{outbox}/.{MID}.zip.part"),
        ("RENAME", f"{prefix}{outbox}/{MID}.zip"),
        ("GET", f"{prefix}{replies}/ATR_{MID}.xml"),
    ]
    assert conn.history[0].request_sha256 == hashlib.sha256(sip.read_bytes()).hexdigest()


def test_resend_with_done_marker_is_a_duplicate(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path, tmp_path: Path
) -> None:
    conn = connector(sshd_server, folders, done_marker=True)
    send(conn, sip)
    digest = hashlib.sha256(sip.read_bytes()).hexdigest()
    assert (folders[0] / f"{MID}.zip.done").read_text() == f"{digest}  {MID}.zip\n"
    assert send(conn, sip).duplicate is True
    other = make_sip(tmp_path / "other.zip", b"other")
    with pytest.raises(SubmissionRefused, match="autre paquet") as caught:
        send(conn, other)
    assert caught.value.code == "idempotency_conflict"


def test_a_pinned_fingerprint_that_differs_refuses_before_authenticating(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path
) -> None:
    wrong = "SHA256:" + "A" * 43
    conn = connector(sshd_server, folders, host_keys=HostKeyPolicy(pinned_sha256=wrong))
    with pytest.raises(HostKeyRefused) as caught:
        send(conn, sip)
    assert caught.value.code == "host_key_mismatch" and not caught.value.retryable
    assert sshd_server.host_key_sha256 in str(caught.value)
    assert list(folders[0].iterdir()) == [] and conn.history == []
    report = conn.check()
    assert (report.ok, report.code) == (False, "host_key_mismatch")


def test_known_hosts_with_another_key_or_without_the_host_is_refused(
    sshd_server: SshServer, folders: tuple[Path, Path], tmp_path: Path
) -> None:
    stranger = (sshd_server.stranger_key.with_suffix(".pub")).read_text().split()
    other_key = sshd_server.known_hosts(tmp_path / "other", " ".join(stranger[:2]))
    conn = connector(sshd_server, folders, host_keys=HostKeyPolicy(known_hosts=other_key))
    assert conn.check().code == "host_key_mismatch"
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    conn = connector(sshd_server, folders, host_keys=HostKeyPolicy(known_hosts=empty))
    report = conn.check()
    assert (report.code, sshd_server.host_key_sha256 in report.reason) == ("host_key_unknown", True)


def test_an_unknown_client_key_is_credentials_refused(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path
) -> None:
    conn = connector(sshd_server, folders, key=sshd_server.stranger_key)
    with pytest.raises(CredentialsRefused) as caught:
        send(conn, sip)
    assert not caught.value.retryable and sshd_server.username in str(caught.value)
    assert conn.check().code == "credentials_refused"
    assert list(folders[0].iterdir()) == []


def test_check_reports_a_usable_server(sshd_server: SshServer, folders: tuple[Path, Path]) -> None:
    report = connector(sshd_server, folders).check()
    assert (report.ok, report.code) == (True, "ok")
    assert report.details["host_key"] == f"ssh-ed25519 {sshd_server.host_key_sha256}"
    assert list(folders[0].iterdir()) == []  # the write probe was removed


def test_check_names_an_unreachable_server_and_missing_folders(
    sshd_server: SshServer, folders: tuple[Path, Path]
) -> None:
    closed = connector(sshd_server, folders, port=free_port()).check()
    assert (closed.ok, closed.code) == (False, "remote_unavailable")
    folders[1].rmdir()
    report = connector(sshd_server, folders).check()
    assert (report.code, str(folders[1]) in report.reason) == ("folder_missing", True)
    folders[1].write_text("a file")
    assert connector(sshd_server, folders).check().code == "not_a_folder"


def test_a_server_refusing_writes_is_permission_denied(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path
) -> None:
    conn = connector(sshd_server, folders, port=sshd_server.read_only_port)
    report = conn.check()
    assert (report.ok, report.code) == (False, "permission_denied")
    assert str(folders[0]) in report.reason
    with pytest.raises(FolderUnusable) as caught:
        send(conn, sip)
    assert caught.value.code == "permission_denied" and caught.value.retryable
    assert list(folders[0].iterdir()) == []


def test_submit_into_a_missing_outbox_is_retryable(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path
) -> None:
    folders[0].rmdir()
    conn = connector(sshd_server, folders)
    with pytest.raises(FolderUnusable) as caught:
        send(conn, sip)
    assert caught.value.code == "folder_missing" and caught.value.retryable
    assert [(e.method, e.error) for e in conn.history] == [("PUT", "folder_missing")]


def test_built_from_settings_with_known_hosts(
    sshd_server: SshServer, folders: tuple[Path, Path], sip: Path, tmp_path: Path
) -> None:
    table = {
        "kind": "sftp",
        "host": sshd_server.host,
        "port": sshd_server.port,
        "username": sshd_server.username,
        "known_hosts": str(sshd_server.known_hosts(tmp_path / "known_hosts")),
        "private_key": str(sshd_server.client_key),
        "outbox_dir": str(folders[0]),
        "replies_dir": str(folders[1]),
    }
    history: list[Exchange] = []
    conn = build(ConnectorSettings.from_table("sftp-sae", table), history)
    assert isinstance(conn, SftpConnector)
    submission = conn.submit(
        sip, message_identifier=MID, transferring_agency="A", manifest_digest=None
    )
    (folders[1] / "reply.xml").write_bytes(our_reply(MID))
    assert isinstance(conn.poll(submission), Replied)
    assert [e.method for e in history] == ["PUT", "RENAME", "GET"]
    assert str(sshd_server.client_key) not in repr(conn)


def test_settings_without_host_key_verification_are_refused(tmp_path: Path) -> None:
    table = {
        "kind": "sftp",
        "host": "sftp.example",
        "username": "gedsae",
        "password_env": "SFTP_PASSWORD",
        "outbox_dir": "/depot",
        "replies_dir": "/retours",
    }
    settings = ConnectorSettings.from_table("sftp-sae", table, {"SFTP_PASSWORD": "s3cret"})
    with pytest.raises(ConnectorMisconfigured, match="known_hosts ou host_key_sha256"):
        build(settings)
    pinned = {**table, "host_key_sha256": "SHA256:" + "A" * 43}
    conn = build(ConnectorSettings.from_table("sftp-sae", pinned, {"SFTP_PASSWORD": "s3cret"}))
    assert "s3cret" not in repr(conn) and "s3cret" not in repr(getattr(conn, "endpoint", None))


def test_fingerprint_matches_what_ssh_keygen_prints(sshd_server: SshServer) -> None:
    kind, blob = sshd_server.host_public_key.split()
    key = paramiko.PKey.from_type_string(kind, base64.b64decode(blob))
    assert fingerprint_sha256(key) == sshd_server.host_key_sha256
