"""drop_folder against real folders (tmp_path) playing the repository's side of the exchange.

Replies are the real ones of ../shared/seda/samples (Pastell's fake SAE, SEDA 2.1) with their
transfer identifier rewritten by `retarget`, and our own `build_transfer_reply` /
`build_acknowledgement`; the corpus tests skip when ../shared is absent and fail when CI=true.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import (
    Acknowledged,
    Connector,
    Exchange,
    NotReady,
    ProtocolError,
    Replied,
    Submission,
    SubmissionRefused,
)
from connectors.config import ConnectorSettings, build
from connectors.dropfolder import DropBox, DropFolderConnector, DropSettings
from connectors.files import FolderUnusable, LocalFileSystem
from seda.replies import Outcome, build_acknowledgement, build_transfer_reply
from seda.versions import SedaVersion
from tests.connectors.remote import retarget
from tests.fixtures.seda_corpus import sample

MID = "TR-2026-0001"
WHEN = datetime(2026, 1, 15, tzinfo=UTC)


def accepted_reply(mid: str) -> bytes:
    """Pastell's fake-SAE ATR (000), addressed to `mid` the SEDA 2 way."""
    return retarget(sample("pastell/fakeSae-seda-2.1/ATR.xml"), "MessageRequestIdentifier", mid)


def refused_reply(mid: str) -> bytes:
    """The refused ATR (101) of the same corpus; As@lae-style, its MessageIdentifier is ours."""
    return retarget(sample("pastell/fakeSae-seda-2.1/ATR_refused.xml"), "MessageIdentifier", mid)


def acknowledgement(mid: str) -> bytes:
    return build_acknowledgement(
        SedaVersion.V2_2,
        message_identifier=f"ACK-{mid}",
        received_identifier=mid,
        sender="AA",
        receiver="FRAD000",
        date=WHEN,
    )


def our_reply(mid: str, code: str = "OK") -> bytes:
    return build_transfer_reply(
        SedaVersion.V2_2,
        message_identifier=f"ATR-{mid}",
        request_identifier=mid,
        reply_code=code,
        archival_agency="AA",
        transferring_agency="FRAD000",
        date=WHEN,
    )


def make_sip(path: Path, seed: bytes = b"seed") -> Path:
    path.write_bytes(b"PK\x03\x04" + hashlib.sha512(seed).digest() * 300)
    return path


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    outbox, replies = tmp_path / "outbox", tmp_path / "replies"
    outbox.mkdir()
    replies.mkdir()
    return outbox, replies


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    return make_sip(tmp_path / "sip.zip")


def connector(folders: tuple[Path, Path], **kw: object) -> DropFolderConnector:
    settings = DropSettings(str(folders[0]), str(folders[1]), chunk_bytes=4096, **kw)  # type: ignore[arg-type]
    return DropFolderConnector(settings)


def send(conn: Connector, sip: Path, mid: str = MID) -> Submission:
    return conn.submit(
        sip, message_identifier=mid, transferring_agency="FRAD000", manifest_digest=None
    )


def test_package_lands_under_its_final_name_then_the_reply_is_accepted(
    folders: tuple[Path, Path], sip: Path
) -> None:
    outbox, replies = folders
    conn = connector(folders)
    assert isinstance(conn, Connector)
    submission = send(conn, sip)
    assert (outbox / f"{MID}.zip").read_bytes() == sip.read_bytes()
    assert sorted(p.name for p in outbox.iterdir()) == [f"{MID}.zip"]  # no .part left
    assert (submission.duplicate, submission.acknowledged) == (False, False)
    assert submission.remote_reference == str(outbox / f"{MID}.zip")
    assert conn.poll(submission) == NotReady(60.0)
    (replies / f"ATR_{MID}.xml").write_bytes(accepted_reply(MID))
    result = conn.poll(submission)
    assert isinstance(result, Replied)
    assert result.outcome.outcome is Outcome.ACCEPTED
    assert result.outcome.archive_identifiers == ("AE_2022_15",)
    assert result.raw == (replies / f"ATR_{MID}.xml").read_bytes()


def test_history_records_the_write_the_rename_and_the_reply_read(
    folders: tuple[Path, Path], sip: Path
) -> None:
    outbox, replies = folders
    conn = connector(folders)
    submission = send(conn, sip)
    (replies / "any-name.xml").write_bytes(our_reply(MID))
    conn.poll(submission)
    put, rename, get = conn.history
    assert (put.method, put.url) == ("PUT", str(outbox / f".{MID}.zip.part"))
    assert put.request_sha256 == hashlib.sha256(sip.read_bytes()).hexdigest()
    assert put.request_size == sip.stat().st_size
    assert (rename.method, rename.url) == ("RENAME", str(outbox / f"{MID}.zip"))
    assert rename.request_headers == {"source": str(outbox / f".{MID}.zip.part")}
    assert (get.method, get.url) == ("GET", str(replies / "any-name.xml"))
    assert get.response_sha256 == hashlib.sha256(our_reply(MID)).hexdigest()
    assert all(e.message_identifier == MID and e.error is None for e in conn.history)


def test_rejected_reply_is_replied_rejected(folders: tuple[Path, Path], sip: Path) -> None:
    conn = connector(folders)
    submission = send(conn, sip)
    (folders[1] / "reply.xml").write_bytes(refused_reply(MID))
    result = conn.poll(submission)
    assert isinstance(result, Replied)
    assert (result.outcome.outcome, result.outcome.reply_code) == (Outcome.REJECTED, "101")


def test_acknowledgement_then_nothing_new_then_the_reply(
    folders: tuple[Path, Path], sip: Path
) -> None:
    replies = folders[1]
    conn = connector(folders, poll_interval=5.0)
    submission = send(conn, sip)
    (replies / f"ACK_{MID}.xml").write_bytes(acknowledgement(MID))
    first = conn.poll(submission)
    assert isinstance(first, Acknowledged) and first.acknowledgement is not None
    assert first.acknowledgement.outcome is Outcome.RECEIVED
    assert first.raw == acknowledgement(MID)
    acknowledged = submission.with_acknowledgement()
    assert conn.poll(acknowledged) == NotReady(5.0)
    (replies / f"ATR_{MID}.xml").write_bytes(our_reply(MID, "WARNING"))
    result = conn.poll(acknowledged)
    assert isinstance(result, Replied)
    assert result.outcome.outcome is Outcome.ACCEPTED_WITH_WARNINGS


def test_replies_for_other_transfers_are_not_ours(folders: tuple[Path, Path], sip: Path) -> None:
    replies = folders[1]
    conn = connector(folders)
    submission = send(conn, sip)
    (replies / "ATR_other.xml").write_bytes(our_reply("TR-OTHER"))
    (replies / "ACK_other.xml").write_bytes(acknowledgement("TR-OTHER"))
    (replies / "broken-someone-else.xml").write_bytes(b"<not closed")
    (replies / "notes.txt").write_bytes(our_reply(MID))
    assert conn.poll(submission) == NotReady(60.0)


def test_files_still_being_written_are_ignored(folders: tuple[Path, Path], sip: Path) -> None:
    replies = folders[1]
    conn = connector(folders)
    submission = send(conn, sip)
    (replies / f".ATR_{MID}.xml").write_bytes(our_reply(MID))
    (replies / f"ATR_{MID}.xml.part").write_bytes(our_reply(MID))
    (replies / f"ATR_{MID}.part").write_bytes(b"<half")
    assert conn.poll(submission) == NotReady(60.0)
    (replies / f"ATR_{MID}.xml.part").rename(replies / f"ATR_{MID}.xml")
    assert isinstance(conn.poll(submission), Replied)


def test_an_unreadable_reply_named_after_us_is_reported_with_its_name(
    folders: tuple[Path, Path], sip: Path
) -> None:
    conn = connector(folders)
    submission = send(conn, sip)
    (folders[1] / f"ATR_{MID}.xml").write_bytes(b"<ArchiveTransferReply><oops")
    with pytest.raises(ProtocolError) as caught:
        conn.poll(submission)
    assert caught.value.code == "reply_unreadable"
    assert f"ATR_{MID}.xml" in str(caught.value)
    assert conn.history[-1].error == "reply_unreadable"


def test_a_reply_larger_than_allowed_is_refused_when_ours(
    folders: tuple[Path, Path], sip: Path
) -> None:
    conn = connector(folders, max_reply_bytes=100)
    submission = send(conn, sip)
    (folders[1] / "big-other.xml").write_bytes(our_reply("TR-OTHER"))
    assert conn.poll(submission) == NotReady(60.0)
    (folders[1] / f"ATR_{MID}.xml").write_bytes(our_reply(MID))
    with pytest.raises(ProtocolError) as caught:
        conn.poll(submission)
    assert caught.value.code == "response_too_large"


def test_resend_is_a_duplicate_and_writes_nothing(folders: tuple[Path, Path], sip: Path) -> None:
    conn = connector(folders)
    first = send(conn, sip)
    written = len(conn.history)
    again = send(conn, sip)
    assert (again.duplicate, again.remote_reference) == (True, first.remote_reference)
    assert [e.method for e in conn.history[written:]] == ["GET"]  # the existing package, hashed
    assert sorted(p.name for p in folders[0].iterdir()) == [f"{MID}.zip"]


def test_another_package_under_the_same_name_is_refused(
    folders: tuple[Path, Path], sip: Path, tmp_path: Path
) -> None:
    conn = connector(folders)
    send(conn, sip)
    other = make_sip(tmp_path / "other.zip", b"another package")
    with pytest.raises(SubmissionRefused) as caught:
        send(conn, other)
    assert caught.value.code == "idempotency_conflict" and not caught.value.retryable
    assert (folders[0] / f"{MID}.zip").read_bytes() == sip.read_bytes()
    smaller = tmp_path / "smaller.zip"
    smaller.write_bytes(b"PK\x03\x04 smaller")
    reads = len([e for e in conn.history if e.method == "GET"])
    with pytest.raises(SubmissionRefused, match="autre paquet") as by_size:
        send(conn, smaller)
    assert "taille" in by_size.value.reasons[0]
    assert len([e for e in conn.history if e.method == "GET"]) == reads  # refused unread


def test_done_marker_follows_the_package_and_answers_a_resend(
    folders: tuple[Path, Path], sip: Path, tmp_path: Path
) -> None:
    outbox = folders[0]
    conn = connector(folders, done_marker=True)
    send(conn, sip)
    digest = hashlib.sha256(sip.read_bytes()).hexdigest()
    marker = outbox / f"{MID}.zip.done"
    assert marker.read_text() == f"{digest}  {MID}.zip\n"
    assert sorted(p.name for p in outbox.iterdir()) == [f"{MID}.zip", f"{MID}.zip.done"]
    assert [e.method for e in conn.history] == ["PUT", "RENAME", "PUT", "RENAME"]
    (outbox / f"{MID}.zip").unlink()  # the consumer took the package, the marker stays
    assert send(conn, sip).duplicate is True
    assert not (outbox / f"{MID}.zip").exists()  # not dropped a second time
    with pytest.raises(SubmissionRefused):
        send(conn, make_sip(tmp_path / "other.zip", b"other"))


def test_a_package_without_its_marker_gets_the_marker_on_resend(
    folders: tuple[Path, Path], sip: Path
) -> None:
    send(connector(folders), sip)
    again = send(connector(folders, done_marker=True), sip)
    assert again.duplicate is True
    assert (
        (folders[0] / f"{MID}.zip.done")
        .read_text()
        .startswith(hashlib.sha256(sip.read_bytes()).hexdigest())
    )


def test_a_marker_without_a_digest_is_a_protocol_error(
    folders: tuple[Path, Path], sip: Path
) -> None:
    (folders[0] / f"{MID}.zip.done").write_text("done\n")
    with pytest.raises(ProtocolError) as caught:
        send(connector(folders), sip)
    assert caught.value.code == "marker_unreadable"


def test_an_identifier_that_is_no_file_name_is_a_caller_error(
    folders: tuple[Path, Path], sip: Path
) -> None:
    for bad in ("../escape", ".hidden", "a\\b", ""):
        with pytest.raises(ValueError, match="nom de fichier"):
            send(connector(folders), sip, bad)
    assert list(folders[0].iterdir()) == []


def test_check_reports_usable_folders(folders: tuple[Path, Path]) -> None:
    report = connector(folders).check()
    assert (report.ok, report.code) == (True, "ok")
    assert report.details["outbox_dir"] == str(folders[0])
    assert list(folders[0].iterdir()) == []  # the write probe is gone


def test_check_names_a_missing_folder_and_a_file_in_its_place(folders: tuple[Path, Path]) -> None:
    outbox, replies = folders
    replies.rmdir()
    report = connector(folders).check()
    assert (report.ok, report.code) == (False, "folder_missing")
    assert str(replies) in report.reason
    replies.write_text("not a folder")
    assert connector(folders).check().code == "not_a_folder"
    outbox.rmdir()
    assert connector(folders).check().code == "folder_missing"


@pytest.mark.skipif(os.geteuid() == 0, reason="root écrit partout : le refus ne se produit pas")
def test_check_and_submit_name_a_read_only_outbox(folders: tuple[Path, Path], sip: Path) -> None:
    folders[0].chmod(0o555)
    try:
        report = connector(folders).check()
        assert (report.ok, report.code) == (False, "permission_denied")
        with pytest.raises(FolderUnusable) as caught:
            send(connector(folders), sip)
        assert caught.value.code == "permission_denied" and caught.value.retryable
    finally:
        folders[0].chmod(0o755)


class ReadOnlyMount(LocalFileSystem):
    """A folder on a read-only mount: what root meets too, unlike a chmod."""

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", path)


def test_a_folder_refusing_writes_is_named_even_for_root(
    folders: tuple[Path, Path], sip: Path
) -> None:
    settings = DropSettings(str(folders[0]), str(folders[1]))
    box = DropBox("drop_folder", ReadOnlyMount(), settings, [])
    report = box.check(str(folders[0]))
    assert (report.ok, report.code) == (False, "permission_denied")
    assert str(folders[0]) in report.reason
    with pytest.raises(FolderUnusable) as caught:
        box.submit(sip, MID)
    assert caught.value.code == "permission_denied" and caught.value.retryable
    assert [(e.method, e.error) for e in box.history] == [("PUT", "permission_denied")]


def test_submit_into_a_missing_outbox_is_retryable(folders: tuple[Path, Path], sip: Path) -> None:
    folders[0].rmdir()
    with pytest.raises(FolderUnusable) as caught:
        send(connector(folders), sip)
    assert caught.value.code == "folder_missing" and caught.value.retryable


def test_built_from_settings(folders: tuple[Path, Path], sip: Path) -> None:
    table = {
        "kind": "drop_folder",
        "outbox_dir": str(folders[0]),
        "replies_dir": str(folders[1]),
        "done_marker": True,
        "poll_interval": 12,
    }
    history: list[Exchange] = []
    conn = build(ConnectorSettings.from_table("depot", table), history)
    assert isinstance(conn, DropFolderConnector)
    submission = send(conn, sip)
    assert (folders[0] / f"{MID}.zip.done").exists()
    assert conn.poll(submission) == NotReady(12.0)
    assert history and history is conn.history
