"""Text extraction in worker processes: real PDFs, hostile PDFs, misbehaving extractors.

Every hostile case must end as a result (never an exception, never a hang) while this process,
which plays the server, carries on. Workers are real processes; the misbehaving extractors live
in ``tests.fixtures.hostile_pdfs`` so that the workers can import them.
"""

from __future__ import annotations

import os
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from ged.adapters.extraction import (
    ExtractionPool,
    ExtractionResult,
    PoolClosed,
    SandboxUnavailable,
    extract_text,
    extractor_for,
)
from ged.adapters.extraction.plaintext import control_count, decode_text, strip_markup
from ged.adapters.extraction.pool import GROUP_BYTES, GROUP_FILES, TEXT_ONLY
from ged.bootstrap import extraction_pool
from ged.config import Settings
from ged.domain.model import ExtractionStatus
from kernel.sandbox.pool import _cause_of_death
from tests.fixtures import hostile_pdfs

FIXTURES = hostile_pdfs.__name__
SLEEP = "application/x-test-sleep"
ALLOCATE = "application/x-test-allocate"
SEGFAULT = "application/x-test-segfault"
ECHO = "application/x-test-echo"
LIMITS = "application/x-test-limits"
TEST_EXTRACTORS = {
    SLEEP: f"{FIXTURES}:sleeping_extractor",
    ALLOCATE: f"{FIXTURES}:allocating_extractor",
    SEGFAULT: f"{FIXTURES}:segfaulting_extractor",
    ECHO: f"{FIXTURES}:echo_path_extractor",
    LIMITS: f"{FIXTURES}:limits_extractor",
}
MEMORY_MB = 256
# Generous: only a hang would reach it, and no test asserts how long anything took.
TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractionPool]:
    with ExtractionPool(
        2, timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB, extractors=TEST_EXTRACTORS
    ) as shared:
        yield shared


def _pdf(tmp_path: Path, content: bytes, name: str = "doc") -> Path:
    return hostile_pdfs.write(tmp_path / name, content)


def _assert_pool_still_serves(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _pdf(tmp_path, hostile_pdfs.text_pdf(["toujours vivant"]), "after")
    assert pool.extract(path, "application/pdf").text == "toujours vivant"


# -- PDFs that are what they claim -------------------------------------------------------------


def test_text_of_every_page_with_the_information_dictionary(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    content = hostile_pdfs.text_pdf(["Première page", "Seconde page"], info_title="Arrêté 2026-14")

    result = pool.extract(_pdf(tmp_path, content), "application/pdf")

    assert result.status == ExtractionStatus.DONE
    assert result.text == "Première page\fSeconde page"
    assert result.page_count == 2
    assert result.metadata["Title"] == "Arrêté 2026-14"
    assert (result.error, result.encrypted, result.truncated, result.pdfa) == (
        None,
        False,
        False,
        None,
    )


def test_the_pdfa_claim_is_read_from_the_xmp_metadata(pool: ExtractionPool, tmp_path: Path) -> None:
    content = hostile_pdfs.text_pdf(["Archivé"], xmp=hostile_pdfs.pdfa_xmp(2, "b"))

    result = pool.extract(_pdf(tmp_path, content), "application/pdf")

    assert (result.text, result.pdfa) == ("Archivé", "2B")


def test_the_text_only_extractor_reads_the_text_and_leaves_the_structure(tmp_path: Path) -> None:
    content = hostile_pdfs.text_pdf(
        ["Première page", "Seconde page"],
        info_title="Arrêté 2026-14",
        xmp=hostile_pdfs.pdfa_xmp(2, "b"),
    )
    path = _pdf(tmp_path, content)

    with ExtractionPool(1, timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB) as full:
        whole = full.extract(path, "application/pdf")
    with ExtractionPool(1, timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB, extractors=TEXT_ONLY) as text:
        alone = text.extract(path, "application/pdf")

    assert (alone.status, alone.text, alone.page_count) == ("done", whole.text, 2)
    assert (whole.pdfa, dict(whole.metadata)) == ("2B", {"Title": "Arrêté 2026-14"})
    assert (alone.pdfa, dict(alone.metadata)) == (None, {})


def test_the_ged_extracts_the_text_of_a_pdf_without_reading_its_structure(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, hostile_pdfs.text_pdf(["Arrêté"], info_title="Titre"))

    with extraction_pool(Settings(home=tmp_path)) as pool:
        result = pool.extract(pdf, "application/pdf")

    assert (result.status, result.text, dict(result.metadata)) == ("done", "Arrêté", {})


def test_long_text_is_cut_at_max_chars(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _pdf(tmp_path, hostile_pdfs.text_pdf([f"page numero {i}" for i in range(5)]))

    result = pool.extract(path, "application/pdf", max_chars=20)

    assert result.text == "page numero 0\fpage n"
    assert result.truncated


def test_a_pdf_with_an_empty_user_password_is_read_and_flagged(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    path = _pdf(tmp_path, hostile_pdfs.encrypted_pdf(user_password=""))

    result = pool.extract(path, "application/pdf")

    assert (result.status, result.text, result.encrypted) == ("done", "Contenu chiffré", True)


def test_a_page_without_text_is_done_with_a_warning(pool: ExtractionPool, tmp_path: Path) -> None:
    # Its /Length claims almost a terabyte: the reader recovers and finds an empty page.
    result = pool.extract(_pdf(tmp_path, hostile_pdfs.absurd_length_pdf()), "application/pdf")

    assert (result.status, result.text, result.page_count) == ("done", "", 1)
    assert "no_text" in result.warnings


# -- hostile PDFs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (hostile_pdfs.garbage_after_header, "malformed"),
        (hostile_pdfs.truncated_pdf, "malformed"),
        (lambda: b"", "malformed"),
        (lambda: hostile_pdfs.encrypted_pdf(user_password="secret"), "encrypted"),
        (hostile_pdfs.page_tree_cycle_pdf, "malformed"),
        (hostile_pdfs.deeply_nested_pdf, "malformed"),
        (hostile_pdfs.flate_bomb_pdf, "memory"),
    ],
    ids=["garbage", "truncated", "empty", "encrypted", "page-tree-cycle", "nested", "flate-bomb"],
)
def test_a_hostile_pdf_fails_with_its_reason(
    pool: ExtractionPool, tmp_path: Path, make: object, reason: str
) -> None:
    assert callable(make)
    path = _pdf(tmp_path, make())

    result = pool.extract(path, "application/pdf")

    assert (result.status, result.error, result.text) == ("failed", reason, "")
    assert result.message  # a French sentence for the user
    _assert_pool_still_serves(pool, tmp_path)


def test_a_missing_file_is_unreadable(pool: ExtractionPool, tmp_path: Path) -> None:
    for mime in ("application/pdf", "text/plain"):
        result = pool.extract(tmp_path / "absent", mime)
        assert (result.status, result.error) == ("failed", "unreadable")


# -- workers that misbehave --------------------------------------------------------------------


def test_a_hanging_worker_is_killed_at_the_timeout(pool: ExtractionPool, tmp_path: Path) -> None:
    result = pool.extract(tmp_path / "any", SLEEP, timeout_s=0.5)

    assert (result.status, result.error) == ("failed", "timeout")
    _assert_pool_still_serves(pool, tmp_path)


def test_a_worker_over_its_memory_cap_fails_with_memory(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    result = pool.extract(tmp_path / "any", ALLOCATE)

    assert (result.status, result.error) == ("failed", "memory")
    _assert_pool_still_serves(pool, tmp_path)


def test_a_crashing_worker_is_reported_and_replaced(pool: ExtractionPool, tmp_path: Path) -> None:
    result = pool.extract(tmp_path / "any", SEGFAULT)

    assert (result.status, result.error) == ("failed", "crashed")
    assert "SIGSEGV" in result.detail
    _assert_pool_still_serves(pool, tmp_path)


@pytest.mark.parametrize(
    ("exit_code", "peak_mib", "reason"),
    [
        (-signal.SIGABRT, 200, "memory"),  # PDFium aborts when an allocation is refused
        (-signal.SIGSEGV, 128, "memory"),
        (-signal.SIGSEGV, 40, "crashed"),
        (-signal.SIGXCPU, 40, "timeout"),
        (-signal.SIGKILL, 40, "crashed"),
        (1, 40, "crashed"),
    ],
)
def test_the_cause_of_a_workers_death(exit_code: int, peak_mib: int, reason: str) -> None:
    found, detail = _cause_of_death(exit_code, peak_mib << 20, 256 << 20)

    assert found == reason
    assert detail


def test_workers_run_under_the_limits(pool: ExtractionPool, tmp_path: Path) -> None:
    address_space, cpu, core = pool.extract(tmp_path / "any", LIMITS).text.split()

    assert int(address_space) == MEMORY_MB << 20
    assert int(cpu) != resource.RLIM_INFINITY
    assert int(core) == 0


def test_a_worker_serves_many_jobs_then_retires(tmp_path: Path) -> None:
    with ExtractionPool(1, max_jobs_per_worker=2, extractors=TEST_EXTRACTORS) as pool:
        pids = [pool.extract(tmp_path / str(i), ECHO).text.split("|")[1] for i in range(3)]

    assert pids[0] == pids[1] != pids[2]
    assert os.getpid() not in {int(pid) for pid in pids}


def test_extract_many_keeps_the_order(pool: ExtractionPool, tmp_path: Path) -> None:
    files = [(tmp_path / f"f{i}", ECHO) for i in range(12)]

    results = list(pool.extract_many(files))

    assert [result.text.split("|")[0] for result in results] == [str(p) for p, _ in files]


def test_start_readies_every_worker_up_front(tmp_path: Path) -> None:
    with ExtractionPool(2, extractors=TEST_EXTRACTORS) as pool:
        pool.start()
        pids = {pool.extract(tmp_path / "x", ECHO).text.split("|")[1] for _ in range(3)}

    assert len(pids) == 1  # a lone caller keeps the warm worker


def test_a_worker_that_cannot_start_makes_the_pool_unavailable() -> None:
    with ExtractionPool(1, start_timeout_s=0) as pool, pytest.raises(SandboxUnavailable):
        pool.start()


def test_a_closed_pool_refuses_jobs(tmp_path: Path) -> None:
    pool = ExtractionPool(1)
    pool.close()
    pool.close()

    with pytest.raises(PoolClosed):
        pool.extract(tmp_path / "x.txt", "text/plain")


def test_the_one_shot_function_uses_its_own_worker(tmp_path: Path) -> None:
    path = _pdf(tmp_path, hostile_pdfs.text_pdf(["une seule fois"]))

    assert extract_text(path, "application/pdf", timeout_s=TIMEOUT_S).text == "une seule fois"


# -- plain text and markup ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text", "encoding"),
    [
        ("Délibération n°3 — 12 €".encode(), "Délibération n°3 — 12 €", "utf-8"),
        ("Délibération – 12 €".encode("cp1252"), "Délibération – 12 €", "cp1252"),
        (b"caf\xe9 \x81", "café \x81", "latin-1"),  # 0x81 has no character in Windows-1252
        ("Été".encode("utf-16"), "Été", "utf-16"),
        (b"\xef\xbb\xbfsans BOM", "sans BOM", "utf-8-sig"),
    ],
)
def test_text_encodings(
    pool: ExtractionPool, tmp_path: Path, raw: bytes, text: str, encoding: str
) -> None:
    path = hostile_pdfs.write(tmp_path / "t.txt", raw)

    result = pool.extract(path, "text/plain")

    assert (result.status, result.text, result.encoding) == ("done", text, encoding)


def test_a_multibyte_character_cut_by_the_byte_budget_is_not_taken_for_latin1() -> None:
    raw = "éé".encode()[:-1]

    assert decode_text(raw, complete=False) == ("é", "utf-8")


def test_plain_text_is_bounded(pool: ExtractionPool, tmp_path: Path) -> None:
    path = hostile_pdfs.write(tmp_path / "big.csv", b"a;b\n" * 1000)

    result = pool.extract(path, "text/csv; charset=utf-8", max_chars=10)

    assert (result.text, result.truncated) == ("a;b\na;b\na;", True)


def test_binary_under_a_text_label_is_malformed(pool: ExtractionPool, tmp_path: Path) -> None:
    path = hostile_pdfs.write(tmp_path / "bin.txt", bytes(range(32)) * 100)

    result = pool.extract(path, "text/plain")

    assert (result.status, result.error) == ("failed", "malformed")


def test_control_characters_are_counted_whatever_the_characters_around_them() -> None:
    text = "é\x01’\x7f\t\n\r\x0c\x0b日\x00\x80"

    assert (
        control_count(text) == 4
    )  # \x01, \x7f, \x0b, \x00: tab, line ends, form feed and C1 are text


def test_an_empty_file_has_empty_text(pool: ExtractionPool, tmp_path: Path) -> None:
    path = hostile_pdfs.write(tmp_path / "empty", b"")

    result = pool.extract(path, "inode/x-empty")

    assert (result.status, result.text) == ("done", "")


def test_html_keeps_the_words_and_drops_scripts(pool: ExtractionPool, tmp_path: Path) -> None:
    html = (
        "<html><head><title>Avis</title><script>alert('x')</script></head>"
        "<body><p>Le <b>con</b>seil&nbsp;a voté.</p><p>Fin &amp; suite</p></body></html>"
    )
    path = hostile_pdfs.write(tmp_path / "a.html", html.encode())

    result = pool.extract(path, "text/html")

    assert result.text == "Avis\n\nLe conseil\xa0a voté.\n\nFin & suite"


def test_xml_honours_its_declared_encoding_and_keeps_cdata(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        "<note><b>Répertoire</b><c><![CDATA[x<y]]></c></note>"
    )
    path = hostile_pdfs.write(tmp_path / "a.xml", xml.encode("latin-1"))

    result = pool.extract(path, "application/xml")

    assert (result.text, result.encoding) == ("Répertoire x<y", "iso8859-1")


def test_an_entity_declaration_is_never_expanded() -> None:
    xml = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'

    assert strip_markup(xml, html=False) == "&e;"


# -- which files are read at all ----------------------------------------------------------


def test_unsupported_types_are_not_sent_to_a_worker(tmp_path: Path) -> None:
    # The pool could not even start a worker (no time to start): the answer comes without one.
    with ExtractionPool(1, start_timeout_s=0) as pool:
        result = pool.extract(tmp_path / "photo", "image/png")

    assert result == ExtractionResult.unsupported("image/png")
    assert result.status == ExtractionStatus.UNSUPPORTED


def test_without_a_mime_type_the_content_decides(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _pdf(tmp_path, hostile_pdfs.text_pdf(["deviné"]))

    assert pool.extract(path, None).text == "deviné"


@pytest.mark.parametrize(
    ("mime", "expected"),
    [
        ("application/pdf", "pdf"),
        ("TEXT/PLAIN; charset=utf-8", "plaintext:extract_plain"),
        ("text/x-python", "plaintext:extract_plain"),
        ("application/ld+json", "plaintext:extract_plain"),
        ("image/svg+xml", "plaintext:extract_xml"),
        ("application/xhtml+xml", "plaintext:extract_html"),
        ("text/rtf", "rtf:extract_rtf"),
        ("application/vnd.oasis.opendocument.text", "office:extract_office"),
        ("message/rfc822", "message:extract_message"),
        ("application/zip", None),
    ],
)
def test_extractor_for(mime: str, expected: str | None) -> None:
    found = extractor_for(mime)

    assert (found is None) if expected is None else (found is not None and expected in found)


def test_small_files_extracted_in_groups_keep_their_order_and_their_results(
    tmp_path: Path,
) -> None:
    files = []
    for i in range(40):
        (tmp_path / f"f{i}").write_bytes(b"x" * (100 if i % 7 else GROUP_BYTES + 1))
        files.append((tmp_path / f"f{i}", ECHO if i % 5 else "application/octet-stream"))

    with ExtractionPool(1, extractors=TEST_EXTRACTORS, max_jobs_per_worker=GROUP_FILES) as one:
        results = list(one.extract_many(files))

    assert [r.text.split("|")[0] for r in results if r.text] == [
        str(path) for path, mime in files if mime == ECHO
    ]
    assert [r.error for r in results if not r.text] == ["unsupported_format"] * 8
    # the worker retires after as many files as it may take, not as many messages
    assert len({r.text.split("|")[1] for r in results if r.text}) > 1


def test_a_file_that_kills_its_groups_worker_fails_alone(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(b"x")
    files = [(tmp_path / "a", ECHO), (tmp_path / "b", SEGFAULT), (tmp_path / "c", ECHO)]

    with ExtractionPool(1, extractors=TEST_EXTRACTORS) as one:
        results = list(one.extract_many(files))

    assert [(r.status, r.error) for r in results] == [
        ("done", None),
        ("failed", "crashed"),
        ("done", None),
    ]
    assert results[0].text.startswith(str(tmp_path / "a"))
