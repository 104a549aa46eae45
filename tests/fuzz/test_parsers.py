"""Every parser of untrusted input, under Hypothesis: nothing but our own documented errors
escapes (``kernel.errors`` families, ``seda.errors``, the connectors' ``ConnectorError``),
every input is bounded in size (so in time and memory; no timing is asserted), and what is
accepted round-trips. The short run (every ``pytest``) uses a fixed seed and a few examples;
``scripts/fuzz`` runs the same tests for as long as asked."""

from __future__ import annotations

import contextlib
import io
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.asalae_replies import read_reply
from connectors.base import ConnectorError
from connectors.maarch_replies import message_xml, read_message
from ged.adapters.inbound.actes import parse_acte
from ged.adapters.inbound.premis import parse_premis
from ged.adapters.inbound.seance import parse_seance
from ged.adapters.inbound.sources import InputLimits
from ged.adapters.inbound.xmlread import _parse
from ged.domain.retention import RetentionRule
from ged.domain.search import fragments, terms
from ged.http_streaming import content_disposition
from ged.services.documents import MAX_FILENAME, safe_filename
from ged.services.rules_io import parse_tableau, read_vitam_rules, write_vitam_csv
from ged.services.spreadsheets import read_first_sheet
from kernel.errors import GedsaeError
from kernel.retention import Duration, RuleCategory
from seda.errors import SedaError, UnreadableValue
from seda.package import PackageLimits, open_package
from seda.reader import read_transfer
from seda.replies import parse_reply
from seda.validate import ValidationOptions, validate_path
from seda.versions import ALL_VERSIONS
from tests.fuzz.inputs import CRASHES, hostile_xml
from tests.fuzz.profiles import fuzz_settings

DOCUMENTED = (GedsaeError, SedaError, ConnectorError)


@fuzz_settings(60)
@given(data=hostile_xml())
def test_a_hostile_reply_is_read_or_refused_with_a_seda_error(data: bytes) -> None:
    with contextlib.suppress(SedaError):
        parse_reply(data)


def test_a_transfer_whose_date_is_not_iso_8601_is_refused_with_a_seda_error() -> None:
    """Found by the fuzzer: ``Date`` « #MADATE# » escaped as a bare ValueError."""
    crash = CRASHES / "transfer-date-not-iso.xml"
    with pytest.raises(UnreadableValue):
        read_transfer(lambda: io.BytesIO(crash.read_bytes()))


def test_an_element_c14n_cannot_canonicalise_is_refused_with_a_seda_error() -> None:
    """Found by Atheris in the long run: a relative namespace URI (``httpA//…``) made the copy
    kept of an unknown element raise lxml's C14NError."""
    crash = CRASHES / "transfer-relative-namespace-c14n.xml"
    with pytest.raises(UnreadableValue):
        read_transfer(lambda: io.BytesIO(crash.read_bytes()))


@fuzz_settings(60)
@given(data=hostile_xml())
def test_a_hostile_transfer_is_read_or_refused_with_a_seda_error(data: bytes) -> None:
    with contextlib.suppress(SedaError):
        read_transfer(lambda: io.BytesIO(data))


@fuzz_settings(40)
@given(data=hostile_xml(), expected=st.sampled_from(("Acknowledgement", "ArchiveTransferReply")))
def test_an_as_alae_reply_is_read_or_refused_with_a_documented_error(
    data: bytes, expected: str
) -> None:
    with contextlib.suppress(DOCUMENTED):
        read_reply(data, "GEDSAE-1", expected=expected)


@fuzz_settings(40)
@given(data=hostile_xml() | st.binary(max_size=2048), reply=st.booleans())
def test_a_maarch_export_is_read_or_refused_with_a_documented_error(
    data: bytes, reply: bool
) -> None:
    with contextlib.suppress(DOCUMENTED):
        read_message(message_xml(data, "GEDSAE-1", 1024 * 1024), "GEDSAE-1", expect_reply=reply)


@fuzz_settings(60)
@given(data=hostile_xml(), reader=st.sampled_from((parse_premis, parse_acte, parse_seance)))
def test_an_inbound_premis_acte_or_seance_file_is_read_or_its_issues_listed(
    data: bytes, reader: object
) -> None:
    """The ACTES, PREMIS and séance readers never raise: a bad file is a listed issue."""
    try:
        root = _parse(data, InputLimits())
    except SedaError:
        return
    issues: list[object] = []
    reader(root, "entree.xml", issues)  # type: ignore[operator]


NAMES = st.text(max_size=40) | st.sampled_from(("../../etc/passwd", "a/../../b", "/abs", "C:\\x"))


@st.composite
def packages(draw: st.DrawFn, folder: Path) -> Path:
    kind = draw(st.sampled_from(("zip", "tar")))
    entries = draw(st.lists(st.tuples(NAMES, st.binary(max_size=256)), max_size=6))
    path = folder / f"paquet.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for name, body in entries:
                # zipfile cuts a name at its first NUL: an empty name breaks zipfile itself
                archive.writestr(name.split("\x00")[0] or "x", body)
    else:
        with tarfile.open(path, "w") as archive:
            for name, body in entries:
                info = tarfile.TarInfo(name or "x")
                info.size = len(body)
                info.type = draw(
                    st.sampled_from((tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE))
                )
                info.linkname = draw(NAMES) if info.type != tarfile.REGTYPE else ""
                archive.addfile(info, io.BytesIO(body))
    if draw(st.booleans()):  # damaged on the way
        raw = bytearray(path.read_bytes())
        cut = draw(st.integers(0, len(raw)))
        path.write_bytes(bytes(raw[:cut]) + draw(st.binary(max_size=16)))
    return path


@pytest.fixture(scope="module")
def package_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("paquets")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@fuzz_settings(60)
@given(data=st.data())
def test_a_hostile_sip_is_opened_or_refused_with_a_seda_error_and_nothing_escapes(
    package_folder: Path, data: st.DataObject
) -> None:
    path = data.draw(packages(package_folder))
    target = package_folder / "sortie"
    try:
        with open_package(path, PackageLimits(max_entries=20)) as package:
            package.extract(target)
    except SedaError:
        return
    for extracted in target.rglob("*") if target.exists() else []:
        assert extracted.resolve().is_relative_to(target.resolve())


@fuzz_settings(60)
@given(data=st.binary(max_size=4096) | st.text(max_size=2048).map(str.encode))
def test_a_hostile_tableau_de_gestion_or_vitam_csv_is_read_or_refused_listing_its_issues(
    data: bytes,
) -> None:
    for read in (
        lambda: parse_tableau(io.BytesIO(data), "csv"),
        lambda: read_vitam_rules(io.BytesIO(data)),
    ):
        with contextlib.suppress(GedsaeError):
            read()


def _workbook() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for row, cells in enumerate(
        (("Code", "Intitulé", "DUA", "Sort final"), ("R1", "Marchés", "10 ans", "Détruire"))
    ):
        sheet.write_row(row, 0, cells)
    book.close()
    return out.getvalue()


WORKBOOK = _workbook()


@fuzz_settings(40)
@given(
    cut=st.integers(0, len(WORKBOOK)),
    splice=st.binary(max_size=64),
    fmt=st.sampled_from(("xlsx", "ods")),
)
def test_a_damaged_spreadsheet_is_read_or_refused_with_its_reason(
    cut: int, splice: bytes, fmt: str
) -> None:
    data = WORKBOOK[:cut] + splice + WORKBOOK[cut + len(splice) :]
    with contextlib.suppress(GedsaeError):
        read_first_sheet(data, fmt)  # type: ignore[arg-type]


LABELS = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)


# Vitam writes one unit per rule: years, months or days, never a mix
DURATIONS = st.one_of(
    st.integers(0, 99).map(lambda n: Duration(years=n)),
    st.integers(1, 11).map(lambda n: Duration(months=n)),
    st.integers(1, 30).map(lambda n: Duration(days=n)),
)


@st.composite
def rules(draw: st.DrawFn) -> list[RetentionRule]:
    found: dict[str, RetentionRule] = {}
    for i in range(draw(st.integers(1, 5))):
        identifier = f"R{i}{draw(st.sampled_from(('', 'A', '-X')))}"
        found[identifier] = RetentionRule(
            identifier=identifier,
            category=draw(
                st.sampled_from([RuleCategory.APPRAISAL, RuleCategory.ACCESS, RuleCategory.STORAGE])
            ),
            label=draw(LABELS),
            duration=draw(DURATIONS),
            notes=draw(
                st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
            ).strip(),
        )
    return list(found.values())


@fuzz_settings(40)
@given(written=rules())
def test_rules_written_as_vitam_csv_read_back_the_same(written: list[RetentionRule]) -> None:
    out = io.BytesIO()
    write_vitam_csv(written, out)
    assert read_vitam_rules(io.BytesIO(out.getvalue())) == written


@fuzz_settings(200)
@given(raw=st.one_of(st.none(), st.text(max_size=600)))
def test_a_sanitised_file_name_is_a_bare_name_without_control_characters(raw: str | None) -> None:
    name = safe_filename(raw)
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")
    assert len(name) <= MAX_FILENAME
    assert not any(ord(ch) < 32 or 0x202A <= ord(ch) <= 0x202E for ch in name)
    assert safe_filename(name) == name  # idempotent: what is stored is read back as it is


@fuzz_settings(200)
@given(raw=st.text(max_size=300))
def test_content_disposition_is_one_ascii_header_whose_utf8_name_round_trips(raw: str) -> None:
    name = safe_filename(raw)
    header = content_disposition(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\\" not in fallback
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name


@fuzz_settings(200)
@given(text=st.text(max_size=2000))
def test_search_text_becomes_at_most_32_alphanumeric_terms(text: str) -> None:
    found = terms(text)
    assert len(found) <= 32 and all(t and all(ch.isalnum() for ch in t) for t in found)


@fuzz_settings(200)
@given(text=st.text(max_size=500))
def test_an_excerpt_splits_into_fragments_that_keep_its_text(text: str) -> None:
    kept = "".join(f.text for f in fragments(text))
    assert kept == text.replace("\x02", "").replace("\x03", "")


@pytest.fixture(scope="module")
def validated_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("valider")


@fuzz_settings(25)
@given(data=hostile_xml())
def test_the_validator_of_every_seda_version_reports_a_hostile_message_without_raising(
    schema_dir: Path, validated_folder: Path, data: bytes
) -> None:
    """SEDA 1.0, 2.1, 2.2, 2.3: the validator turns every refusal into issues of its report."""
    message = validated_folder / "bordereau.xml"
    message.write_bytes(data)
    report = validate_path(
        message, ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    )
    assert report.valid or report.issues
