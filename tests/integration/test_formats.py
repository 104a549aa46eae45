"""Format identification with the real Siegfried signatures (PRONOM), and the MIME fallback."""

from __future__ import annotations

import os
import random
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from ged.adapters import formats
from ged.adapters.formats import (
    EMPTY,
    OCTET_STREAM,
    FormatInfo,
    guess_mime_type,
    identify,
    identify_many,
)
from ged.adapters.identification_process import IdentificationProcess
from tests.fixtures import hostile_pdfs


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("note.txt", "bonjour")
    return path


@pytest.fixture
def blob(tmp_path: Path) -> Path:
    """Where a stored blob lives: named by its digest, without any extension."""
    return tmp_path / "3f1c9a"


def test_a_pdf_is_identified_by_its_signature(blob: Path) -> None:
    blob.write_bytes(hostile_pdfs.text_pdf(["Bonjour"]))

    info = identify(blob)

    assert info.puid == "fmt/276"
    assert info.mime_type == "application/pdf"
    assert info.format_version == "1.7"
    assert "byte match" in info.basis
    assert "extension mismatch" not in info.warning


def test_a_png_is_identified(blob: Path) -> None:
    blob.write_bytes(_png())

    info = identify(blob)

    assert info.puid == "fmt/11"
    assert info.mime_type == "image/png"


def test_plain_text_is_identified(blob: Path) -> None:
    blob.write_text("Délibération du conseil municipal\n", encoding="utf-8")

    info = identify(blob)

    assert info.puid == "x-fmt/111"
    assert info.mime_type == "text/plain"


def test_an_empty_file_has_no_puid_and_the_empty_type(blob: Path) -> None:
    blob.write_bytes(b"")

    info = identify(blob)

    assert (info.puid, info.mime_type) == (None, EMPTY)


def test_a_zip_is_identified(blob: Path) -> None:
    info = identify(_zip(blob))

    assert info.puid == "x-fmt/263"
    assert info.mime_type == "application/zip"


def test_an_unknown_binary_falls_back_to_octet_stream(blob: Path) -> None:
    blob.write_bytes(random.Random(1).randbytes(3000))

    info = identify(blob)

    assert info.puid is None
    assert info.mime_type == OCTET_STREAM
    assert info.warning.startswith("siegfried:")


def test_the_uploaded_name_lends_its_extension(blob: Path) -> None:
    blob.write_text("nom;prenom\nDupont;Jean\n", encoding="utf-8")

    assert identify(blob).puid == "x-fmt/111"
    csv = identify(blob, filename="tableau.csv")
    assert (csv.puid, csv.mime_type) == ("x-fmt/18", "text/csv")


def test_the_extension_link_is_removed_afterwards(blob: Path) -> None:
    blob.write_text("a,b\n", encoding="utf-8")

    identify(blob, filename="x.csv")

    folder = formats._alias_folder.path
    assert folder is not None
    assert [p.name for p in folder.iterdir()] == [".lock"]


def test_magic_number_beats_a_text_only_match(blob: Path) -> None:
    # A PDF cut in half is text to Siegfried; its header still says what it claims to be.
    blob.write_bytes(hostile_pdfs.truncated_pdf())

    info = identify(blob)

    assert (info.puid, info.mime_type) == (None, "application/pdf")
    assert "x-fmt/111" in info.warning


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        identify(tmp_path / "absent")


def test_identify_many_agrees_with_identify_and_keeps_the_order(tmp_path: Path) -> None:
    pdf = hostile_pdfs.write(tmp_path / "a", hostile_pdfs.text_pdf(["x"]))
    png = hostile_pdfs.write(tmp_path / "b", _png())
    text = hostile_pdfs.write(tmp_path / "c", b"hello\n")
    empty = hostile_pdfs.write(tmp_path / "d", b"")
    paths = [png, pdf, text, png, empty]

    assert identify_many(paths, workers=2) == [identify(path) for path in paths]
    assert identify_many([]) == []


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"%PDF-1.4\n", "x", "application/pdf"),
        (b"PK\x03\x04rest", "x", "application/zip"),
        (b"<?xml version='1.0'?><a/>", "x", "application/xml"),
        (b"plain words\n", "x", "text/plain"),
        (b"col1,col2\n", "x.csv", "text/csv"),
        (b"\x00\x01\x02\xff", "x", OCTET_STREAM),
        (b"", "x", EMPTY),
    ],
)
def test_guess_mime_type(tmp_path: Path, content: bytes, name: str, expected: str) -> None:
    path = hostile_pdfs.write(tmp_path / name, content)

    assert guess_mime_type(path) == expected


def test_link_folders_of_older_versions_are_removed_once_a_day_old_and_live_ones_kept(
    tmp_path: Path, blob: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    formats.remove_alias_folder()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(formats, "links_root", lambda: tmp_path)
    old, recent = tmp_path / "ged-identify-ancien", tmp_path / "ged-identify-recent"
    old.mkdir()
    recent.mkdir()
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(recent, (1_000_000 + 86_400, 1_000_000 + 86_400))
    blob.write_text("a,b\n", encoding="utf-8")
    identify(blob, filename="x.csv")  # this live process's folder, in tmp_path now
    live = formats._alias_folder.path
    assert live is not None

    removed = formats.remove_stale_alias_folders(clock=lambda: 1_000_000 + 86_401)

    assert removed == [old]
    assert sorted(tmp_path.glob("ged-identify-*")) == sorted([recent, live])
    formats.remove_alias_folder()
    assert not live.exists()


PROSE = {
    "ascii.txt": b"Note de service relative au budget primitif.\nVu le code, il est decide.\n",
    "accents.txt": "Délibération du conseil municipal : non, sans deux-points ici. État civil, "
    "décès, mariage ; « école » – cantine… l’été.\n".replace(":", ",").encode(),
    "one-word.txt": b"bonjour",
    "lines.txt": b"Archives\r\n\r\nversement (2026) - carton 12\r\n\tpiece 3!\n",
    "upper.TXT": b"RAPPORT ANNUEL 2025\n",
}


@pytest.mark.parametrize("name", sorted(PROSE))
def test_a_prose_txt_file_is_identified_at_a_glance_as_siegfried_would(
    blob: Path, name: str
) -> None:
    blob.write_bytes(PROSE[name])

    quick = formats.certain_format(blob, name)
    siegfried = identify(blob, filename=name)

    assert quick is not None
    assert (quick.puid, quick.format_name, quick.mime_type) == (
        siegfried.puid,
        siegfried.format_name,
        siegfried.mime_type,
    )


def test_an_empty_file_is_identified_at_a_glance_as_siegfried_would(blob: Path) -> None:
    blob.write_bytes(b"")

    quick = formats.certain_format(blob, "vide.pdf")

    assert quick == identify(blob, filename="vide.pdf")


NOT_CERTAIN = {
    "page.txt": ("page.txt", b"<html><body>Bonjour</body></html>\n"),
    "xml.txt": ("xml.txt", b'<?xml version="1.0"?><a>texte</a>\n'),
    "mbox.txt": ("mbox.txt", b"From someone Mon Jan 1 2026\nSubject, hello\n"),
    "vcard.txt": ("vcard.txt", b"BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n"),
    "e-mail header.txt": ("courriel.txt", b"Subject: Convocation\n\nBonjour\n"),
    "gedcom.txt": ("arbre.txt", b"0 HEAD\n1 SOUR gedsae\n0 TRLR\n"),
    "rtf.txt": ("lettre.txt", b"{\\rtf1\\ansi Bonjour}\n"),
    "json.txt": ("donnees.txt", b'{"a": 1}\n'),
    "latin-1.txt": ("ancien.txt", "Délibération\n".encode("latin-1")),
    "control bytes.txt": ("binaire.txt", b"abc\x00\x01\x02def\n"),
    "a csv": ("table.csv", b"nom,prenom\nDupont,Jean\n"),
    "a pdf": ("acte.pdf", hostile_pdfs.text_pdf(["Bonjour"])),
    "a png": ("image.png", _png()),
    "no name": ("", b"Note de service\n"),
}


@pytest.mark.parametrize("case", sorted(NOT_CERTAIN))
def test_anything_else_is_left_to_siegfried(blob: Path, case: str) -> None:
    name, content = NOT_CERTAIN[case]
    blob.write_bytes(content)

    assert formats.certain_format(blob, name or None) is None


def test_the_batch_identifier_asks_siegfried_about_the_uncertain_files_only(
    tmp_path: Path,
) -> None:
    prose = hostile_pdfs.write(tmp_path / "a", PROSE["ascii.txt"])
    pdf = hostile_pdfs.write(tmp_path / "b", hostile_pdfs.text_pdf(["x"]))
    page = hostile_pdfs.write(tmp_path / "c", NOT_CERTAIN["page.txt"][1])
    asked: list[list[tuple[Path, str | None]]] = []

    def siegfried(files: Sequence[tuple[Path, str | None]]) -> list[FormatInfo]:
        asked.append(list(files))
        with formats.named(files) as shown:
            return identify_many(shown)

    files = [(prose, "note.txt"), (pdf, "acte.pdf"), (page, "page.txt")]
    found = formats.certain_first(siegfried)(files)

    assert asked == [[(pdf, "acte.pdf"), (page, "page.txt")]]
    assert [f.mime_type for f in found] == ["text/plain", "application/pdf", "text/html"]
    assert found[1:] == [identify(pdf, filename="acte.pdf"), identify(page, filename="page.txt")]


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm on this system")
def test_links_are_made_in_memory_unless_tmpdir_names_another_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    assert formats.links_root() == Path("/dev/shm")

    monkeypatch.setenv("TMPDIR", tempfile.gettempdir())
    assert formats.links_root() == Path(tempfile.gettempdir())


def test_the_identification_process_answers_as_identify_and_leaves_no_link_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("TMPDIR", str(links))  # where the process makes its folder of links
    pdf = hostile_pdfs.write(tmp_path / "b1", hostile_pdfs.text_pdf(["Bonjour"]))
    prose = hostile_pdfs.write(tmp_path / "b2", PROSE["accents.txt"])
    files: list[tuple[Path, str | None]] = [(pdf, "acte.pdf"), (prose, "note.txt")]
    process = IdentificationProcess()
    try:
        process.start()
        found = process.identify_many(files)
    finally:
        process.close()

    expected = [identify(path, filename=name) for path, name in files]
    assert [(f.puid, f.mime_type) for f in found] == [(f.puid, f.mime_type) for f in expected]
    assert list(links.iterdir()) == []


def test_an_identification_process_closed_is_not_started_again() -> None:
    process = IdentificationProcess()
    process.close()

    process.start()

    assert process._executor is None
