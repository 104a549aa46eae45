"""Our zip reader (``seda.zipindex``, ``seda.zipentries``, ``seda.zipmember``) behind
``open_package``: it reads what ``zipfile`` writes, and refuses what ``zipfile`` refused when it
read the SIP for us (a local header that disagrees with the central directory, a member cut
short, a wrong CRC-32), plus the inconsistencies ``zipfile`` let through."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from seda.errors import HostilePackage, UnreadablePackage
from seda.package import PackageLimits, open_package
from seda.zipmember import SMALL_MEMBER_BYTES
from seda.zipwriter import ZipWriter

MANIFEST = b"<ArchiveTransfer/>"


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _patch(path: Path, old: bytes, new: bytes, *, start: int = 0) -> None:
    """Replace the first ``old`` found from ``start`` (same length: offsets stay right)."""
    assert len(old) == len(new)
    data = path.read_bytes()
    at = data.index(old, start)
    path.write_bytes(data[:at] + new + data[at + len(old) :])


def _corrupt_read(path: Path, name: str) -> UnreadablePackage:
    """What reading ``name`` raises, by chunks (the checks' path) and as a stream."""
    with open_package(path) as package:
        with pytest.raises(UnreadablePackage) as by_chunks:
            b"".join(package.chunks(name))
        with pytest.raises((zipfile.BadZipFile, EOFError)), package.open(name) as stream:
            stream.read()
    assert by_chunks.value.code == "sip_corrupt_entry"
    return by_chunks.value


def test_stored_and_deflated_members_read_back_as_written(tmp_path: Path) -> None:
    big = random.Random(0).randbytes(2 * SMALL_MEMBER_BYTES)  # streamed, not read in one call
    members = {"manifest.xml": MANIFEST, "content/été.txt": "déjà".encode(), "content/big": big}
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = _zip(tmp_path / f"{method}.zip", members, method)
        with open_package(path) as package:
            assert {n: b"".join(package.chunks(n)) for n in package.entries} == members
            with package.open("content/big") as stream:
                assert stream.read(10) == big[:10] and stream.read() == big[10:]


def test_two_members_are_read_at_once_without_moving_each_other(tmp_path: Path) -> None:
    one, two = b"1" * 300_000, b"2" * 300_000
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "a": one, "b": two}, 8)
    with open_package(path) as package, package.open("a") as a, package.open("b") as b:
        parts = [(a.read(1000), b.read(1000)) for _ in range(300)]
    assert b"".join(p[0] for p in parts) == one and b"".join(p[1] for p in parts) == two


def test_entries_are_a_read_only_mapping_of_files_in_directory_order(tmp_path: Path) -> None:
    path = tmp_path / "sip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.xml", MANIFEST)
        archive.mkdir("content")
        archive.writestr("content/b.txt", b"bb")
        archive.writestr("content/a.txt", b"a")
    with open_package(path) as package:
        assert list(package.entries) == ["manifest.xml", "content/b.txt", "content/a.txt"]
        assert dict(package.entries) == {"manifest.xml": 18, "content/b.txt": 2, "content/a.txt": 1}
        assert len(package.entries) == 3 and package.manifest_name == "manifest.xml"
        for absent in ("content", "content/", "CONTENT/A.TXT", "content/c.txt", "\udcff"):
            assert absent not in package.entries
            with pytest.raises(KeyError):
                package.entries[absent]


def test_a_local_header_naming_another_file_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "content/a.bin": b"x" * 100})
    _patch(path, b"content/a.bin", b"content/b.bin")  # the local header comes first
    assert "nom différent" in str(_corrupt_read(path, "content/a.bin"))


def test_a_local_header_with_another_method_or_size_is_refused(tmp_path: Path) -> None:
    members = {"manifest.xml": MANIFEST, "content/a.bin": b"x" * 100}
    for field_at, value in ((8, 8), (22, 99)):  # method: deflated; uncompressed size
        path = _zip(tmp_path / f"{field_at}.zip", members)
        data = bytearray(path.read_bytes())
        local = data.index(b"PK\x03\x04", 1)
        width = 2 if field_at == 8 else 4
        data[local + field_at : local + field_at + width] = value.to_bytes(width, "little")
        path.write_bytes(bytes(data))
        assert "en-tête local incohérent" in str(_corrupt_read(path, "content/a.bin"))


def test_a_wrong_crc_is_refused_once_the_member_is_read(tmp_path: Path) -> None:
    for method, size in ((zipfile.ZIP_STORED, 10), (zipfile.ZIP_STORED, 2 * SMALL_MEMBER_BYTES)):
        path = _zip(tmp_path / f"{size}.zip", {"manifest.xml": MANIFEST, "a": b"y" * size}, method)
        _patch(path, b"yyyy", b"yyyz", start=path.read_bytes().index(b"PK\x03\x04", 1) + 31)
        assert "CRC-32" in str(_corrupt_read(path, "a"))
    path = _zip(tmp_path / "deflated.zip", {"manifest.xml": MANIFEST, "a": b"y" * 5000}, 8)
    data = bytearray(path.read_bytes())
    local_crc_at = data.index(b"PK\x03\x04", 1) + 14  # both headers say the same wrong CRC
    central_crc_at = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4) + 16
    for at in (local_crc_at, central_crc_at):
        data[at : at + 4] = (int.from_bytes(data[at : at + 4], "little") ^ 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert "CRC-32" in str(_corrupt_read(path, "a"))


def test_a_deflated_member_shorter_than_declared_is_refused_as_cut_short(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "a": b"z" * 5000}, 8)
    declared = (5000).to_bytes(4, "little")
    data = path.read_bytes().replace(declared, (5001).to_bytes(4, "little"))
    path.write_bytes(data)  # local header and directory both announce one byte more
    assert "tronquée" in str(_corrupt_read(path, "a"))


def test_member_data_reaching_into_the_central_directory_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "a": b"w" * 10})
    data = path.read_bytes()
    size = (10).to_bytes(4, "little") * 2
    path.write_bytes(data.replace(size, (60).to_bytes(4, "little") * 2))
    with pytest.raises(HostilePackage) as refused, open_package(path):
        pass
    assert refused.value.code == "sip_overlapping_entries"


def test_more_entries_than_allowed_are_refused_before_the_directory_is_read(
    tmp_path: Path,
) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "a": b"1", "b": b"2"})
    with pytest.raises(HostilePackage) as refused, open_package(path, PackageLimits(2)):
        pass
    assert refused.value.code == "sip_too_many_entries"


def test_a_directory_with_another_number_of_records_than_declared_is_refused(
    tmp_path: Path,
) -> None:
    members = {"manifest.xml": MANIFEST, **{f"content/{n}": b"x" for n in range(40)}}
    for declared, message in ((42, "41 entrées au lieu des 42"), (1, "plus d'entrées que les 1")):
        path = _zip(tmp_path / f"{declared}.zip", members)
        data = bytearray(path.read_bytes())
        end = data.rindex(b"PK\x05\x06")
        data[end + 8 : end + 12] = struct.pack("<HH", declared, declared)
        path.write_bytes(bytes(data))
        with pytest.raises(UnreadablePackage, match=message), open_package(path):
            pass


def test_zip64_end_records_that_disagree_with_the_classic_one_are_refused(
    tmp_path: Path,
) -> None:
    buffer = io.BytesIO()
    with ZipWriter(buffer, tmp_path) as archive:
        archive.write("manifest.xml", MANIFEST)
        for n in range(70_000):  # past 65,535 members: the ZIP64 end records are written
            archive.write(f"content/{n}", b"x")
    path = tmp_path / "sip.zip"
    path.write_bytes(buffer.getvalue())
    with open_package(path) as package:
        assert len(package.entries) == 70_001 and b"".join(package.chunks("content/69999")) == b"x"
    data = bytearray(buffer.getvalue())
    end = data.rindex(b"PK\x05\x06")
    data[end + 16 : end + 20] = (1234).to_bytes(4, "little")  # classic offset, not the sentinel
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadablePackage, match="en désaccord"), open_package(path):
        pass


def test_a_package_after_a_prefix_is_read_as_zipfile_reads_it(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "content/a": b"abc"})
    path.write_bytes(b"#!/bin/sh\nexit 0\n" + path.read_bytes())  # a self-extracting stub
    with open_package(path) as package:
        assert b"".join(package.chunks("content/a")) == b"abc"


def test_an_unsupported_compression_method_is_refused_when_opened(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "a": b"x" * 100}, 12)  # bzip2
    with pytest.raises(UnreadablePackage) as refused, open_package(path):
        pass
    assert refused.value.code == "sip_compression_unsupported"


def test_a_name_flagged_utf8_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sip.zip", {"manifest.xml": MANIFEST, "content/é": b"x"})
    _patch(path, "content/é".encode(), b"content/\xff\xfe")  # both headers
    _patch(path, "content/é".encode(), b"content/\xff\xfe")
    with pytest.raises(HostilePackage) as refused, open_package(path):
        pass
    assert refused.value.code == "sip_name_encoding"


def test_files_left_are_crossed_off_by_name_and_hold_no_folder(tmp_path: Path) -> None:
    path = tmp_path / "sip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.xml", MANIFEST)
        archive.mkdir("content")
        archive.writestr("content/a.txt", b"a")
        archive.writestr("content/b.txt", b"b")
    with open_package(path) as package:
        left = package.files_left()
        left.discard("content/a.txt")
        left.discard("content/nothing.txt")
        left.discard("CONTENT/B.TXT")  # names are compared as they are
        assert [n for n in package.entries if n in left] == ["manifest.xml", "content/b.txt"]
        assert "content" not in left and "content/" not in left and 3 not in left


def test_records_listed_out_of_data_order_are_accepted_when_apart(tmp_path: Path) -> None:
    members = {"manifest.xml": MANIFEST, "content/a": b"a" * 50, "content/b": b"b" * 70}
    path = _zip(tmp_path / "sip.zip", members)
    data = path.read_bytes()
    first, end = data.index(b"PK\x01\x02"), data.rindex(b"PK\x05\x06")
    records = [b"PK\x01\x02" + r for r in data[first:end].split(b"PK\x01\x02")[1:]]
    path.write_bytes(data[:first] + b"".join(reversed(records)) + data[end:])
    with open_package(path) as package:
        assert list(package.entries) == ["content/b", "content/a", "manifest.xml"]
        assert {n: b"".join(package.chunks(n)) for n in package.entries} == members
