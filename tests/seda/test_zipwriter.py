"""Our zip writer (``seda.zipwriter``): what it writes, ``zipfile`` reads back as written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from seda.zipwriter import ZipWriter


def test_members_read_back_with_their_bytes_names_times_and_modes(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with ZipWriter(buffer, tmp_path) as archive:
        with archive.open("manifest.xml", (2024, 3, 5, 10, 20, 30)) as member:
            member.write(b"<a/>")
            member.write(b"\n" * 70_000)
        archive.write("content/été.txt", "déjà".encode())
        archive.write("content/empty", b"")

    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as read:
        assert read.testzip() is None  # every CRC-32 checks
        assert read.namelist() == ["manifest.xml", "content/été.txt", "content/empty"]
        assert read.read("manifest.xml") == b"<a/>" + b"\n" * 70_000
        assert read.read("content/été.txt").decode() == "déjà"
        first = read.getinfo("manifest.xml")
        assert (first.date_time, first.external_attr >> 16, first.compress_type) == (
            (2024, 3, 5, 10, 20, 30),
            0o600,
            zipfile.ZIP_STORED,
        )


def test_more_members_than_the_classic_end_record_counts_take_the_zip64_one(
    tmp_path: Path,
) -> None:
    buffer = io.BytesIO()
    with ZipWriter(buffer, tmp_path) as archive:
        for n in range(70_000):
            archive.write(f"content/{n}", b"x")

    assert b"PK\x06\x06" in buffer.getvalue()[-200:]
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as read:
        names = read.namelist()
        assert (len(names), names[-1], read.read("content/69999")) == (70_000, "content/69999", b"x")  # fmt: skip
