"""Hostile inputs are refused with a stable code, with no connection made and nothing written."""

from __future__ import annotations

import socket
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from seda.issues import Severity
from seda.validate import ValidationOptions, validate_path
from tests.seda.hostile_inputs import EXPECTED, MINIMAL, write_zip, xml_cases, zip_cases


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback server that must never see a connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    yield server
    server.close()


def _assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        server.accept()


def _refused(path: Path, schema_dir: Path) -> set[str]:
    report = validate_path(path, ValidationOptions(schema_dir=schema_dir))
    assert report.refused, report.issues
    return {i.code for i in report.issues if i.severity is Severity.FATAL}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_xxe_to_a_local_file_is_refused_without_leaking(tmp_path: Path, schema_dir: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]>' + MINIMAL.replace("M1", "&x;")
    report = validate_path(_write(tmp_path, doc), ValidationOptions(schema_dir=schema_dir))
    assert report.codes() == {"xml_dtd_forbidden"}
    assert "TOP-SECRET" not in str(report.as_dict())


def test_xxe_and_external_dtd_over_http_make_no_connection(
    tmp_path: Path, schema_dir: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    xxe = f'<!DOCTYPE a [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]>' + MINIMAL
    dtd = f'<!DOCTYPE ArchiveTransfer SYSTEM "http://127.0.0.1:{port}/a.dtd">' + MINIMAL
    for doc in (xxe, dtd):
        assert _refused(_write(tmp_path, doc), schema_dir) == {"xml_dtd_forbidden"}
    _assert_no_connection(listener)


def test_billion_laughs_and_quadratic_blowup_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    laughs = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    quadratic = f'<!ENTITY q "{"x" * 100_000}">'
    for decls, ref in ((laughs, "&a9;"), (quadratic, "&q;" * 1000)):
        doc = f"<!DOCTYPE a [{decls}]>" + MINIMAL.replace("M1", ref)
        assert _refused(_write(tmp_path, doc), schema_dir) == {"xml_dtd_forbidden"}


def test_doctype_after_a_comment_or_in_utf16_is_still_refused(
    tmp_path: Path, schema_dir: Path
) -> None:
    doc = '<?xml version="1.0"?><!-- hello --><!DOCTYPE a [<!ENTITY x "y">]>' + MINIMAL
    assert _refused(_write(tmp_path, doc), schema_dir) == {"xml_dtd_forbidden"}
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(('<!DOCTYPE a [<!ENTITY x "y">]>' + MINIMAL).encode("utf-16"))
    assert _refused(utf16, schema_dir) == {"xml_dtd_forbidden"}


def test_deep_nesting_is_refused(tmp_path: Path, schema_dir: Path) -> None:
    doc = MINIMAL.replace("<CodeListVersions/>", "<x>" * 100_000 + "</x>" * 100_000)
    assert _refused(_write(tmp_path, doc), schema_dir) == {"xml_limit_exceeded"}


def test_huge_attribute_is_refused(tmp_path: Path, schema_dir: Path) -> None:
    doc = MINIMAL.replace("<CodeListVersions/>", f'<CodeListVersions a="{"x" * 20_000_000}"/>')
    assert _refused(_write(tmp_path, doc), schema_dir) == {"xml_limit_exceeded"}


def _zip(tmp_path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    return write_zip(tmp_path / "sip.zip", entries)


def test_zip_slip_and_absolute_names_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    for evil in (
        "../evil.txt",
        "content/../../evil.txt",
        "/tmp/evil.txt",
        "C:/evil.txt",
        "content\\..\\evil.txt",
    ):
        sip = _zip(tmp_path, [("manifest.xml", MINIMAL.encode()), (evil, b"x")])
        assert _refused(sip, schema_dir) == {"sip_unsafe_path"}, evil
    assert not (tmp_path.parent / "evil.txt").exists()


def test_symlink_entries_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    link = zipfile.ZipInfo("content/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    sip = _zip(tmp_path, [("manifest.xml", MINIMAL.encode()), (link, b"/etc/passwd")])
    assert _refused(sip, schema_dir) == {"sip_symlink"}


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path, schema_dir: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.xml", MINIMAL)
        archive.writestr("content/zeros.bin", bytes(50 * 1024 * 1024))
    assert _refused(path, schema_dir) == {"sip_compression_ratio"}


def test_duplicate_entries_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        ("manifest.xml", MINIMAL.encode()),
        ("content/a.txt", b"1"),
        ("content/A.txt", b"2"),
    ]
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _zip(tmp_path, [*entries[:2], ("content/a.txt", b"2")])
    assert _refused(twice, schema_dir) == {"sip_duplicate_entry"}
    assert _refused(_zip(tmp_path, entries), schema_dir) == {"sip_duplicate_entry"}


def _patch_flags(path: Path, name: bytes, set_bits: int, clear_bits: int) -> None:
    """Rewrite the general-purpose flags of entry `name` in its local and central headers."""
    data = bytearray(path.read_bytes())
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = data.find(signature)
        while pos >= 0:
            if data[pos + name_at : pos + name_at + len(name)] == name:
                flags = int.from_bytes(data[pos + flag_at : pos + flag_at + 2], "little")
                flags = (flags | set_bits) & ~clear_bits
                data[pos + flag_at : pos + flag_at + 2] = flags.to_bytes(2, "little")
            pos = data.find(signature, pos + 4)
    path.write_bytes(bytes(data))


def test_encrypted_entries_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    sip = _zip(tmp_path, [("manifest.xml", MINIMAL.encode()), ("content/a.txt", b"x")])
    _patch_flags(sip, b"content/a.txt", 0x1, 0)
    assert _refused(sip, schema_dir) == {"sip_encrypted_entry"}


def test_names_not_declared_utf8_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    name = "content/\u00e9.txt"
    sip = _zip(tmp_path, [("manifest.xml", MINIMAL.encode()), (name, b"x")])
    _patch_flags(sip, name.encode(), 0, 0x800)
    assert _refused(sip, schema_dir) == {"sip_name_encoding"}


def test_validation_writes_nothing(
    tmp_path: Path, schema_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    sip = _zip(tmp_path, [("manifest.xml", MINIMAL.encode()), ("../evil.txt", b"x")])
    validate_path(sip, ValidationOptions(schema_dir=schema_dir))
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sip.zip", "tmp"]


def test_every_hostile_input_of_the_catalogue_is_refused_with_its_code(
    tmp_path: Path, schema_dir: Path, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inputs bench/bench_seda.py --hostile measures (time and memory) are the ones checked here."""
    inputs, scratch = tmp_path / "inputs", tmp_path / "scratch"
    inputs.mkdir()
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    secret = inputs / "secret.txt"
    secret.write_text("TOP-SECRET")
    cases: dict[str, Path] = {}
    for i, (name, text) in enumerate(xml_cases(listener.getsockname()[1], secret).items()):
        cases[name] = inputs / f"h{i}.xml"
        cases[name].write_text(text, encoding="utf-8")
    cases |= zip_cases(inputs)
    before = sorted(tmp_path.rglob("*"))
    verdicts = {name: _refused(path, schema_dir) for name, path in cases.items()}
    assert verdicts == {name: {code} for name, code in EXPECTED.items()}
    _assert_no_connection(listener)
    assert sorted(tmp_path.rglob("*")) == before
