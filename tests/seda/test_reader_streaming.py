"""The streaming read of a manifest gives the model the whole-tree read gives, on the corpus."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

from seda.errors import SedaError
from seda.model import ArchiveTransfer
from seda.package import is_package, open_package
from seda.reader import _transfer, read_transfer
from seda.safexml import parse_document
from seda.versions import SedaVersion

VERSIONS_2 = {v.value for v in SedaVersion}


def _manifest(path: Path) -> bytes | None:
    if not is_package(path):
        return path.read_bytes()
    with open_package(path) as package:
        name = package.manifest_name
        return None if name is None else package.open(name).read()


def _whole_tree(data: bytes) -> ArchiveTransfer | str:
    try:
        return _transfer(parse_document(lambda: io.BytesIO(data)).getroot())
    except (SedaError, ValueError) as exc:
        return type(exc).__name__


def _streamed(data: bytes) -> ArchiveTransfer | str:
    try:
        return read_transfer(lambda: io.BytesIO(data))
    except (SedaError, ValueError) as exc:
        return type(exc).__name__


def wholly_readable_seda_2_samples(samples_dir: Path) -> Iterator[tuple[str, bytes, ArchiveTransfer]]:  # fmt: skip
    """(file, manifest bytes, whole-tree model) of every SEDA 2 sample of the corpus that the
    whole-tree read accepts (the streaming read may refuse the others earlier)."""
    records = json.loads((samples_dir / "results.json").read_text())
    for record in records:
        if record["kind"] not in ("xml", "zip") or record.get("seda_version") not in VERSIONS_2:
            continue
        if record.get("unsafe_member_names") or record["file"].startswith("vitam/test-perf"):
            continue
        try:
            data = _manifest(samples_dir / record["file"])
        except SedaError:
            continue
        whole = None if data is None else _whole_tree(data)
        if data is not None and isinstance(whole, ArchiveTransfer):
            yield record["file"], data, whole


def test_every_seda_2_sample_reads_the_same_streamed_as_whole(samples_dir: Path) -> None:
    compared, different = 0, []
    for file, data, whole in wholly_readable_seda_2_samples(samples_dir):
        compared += 1
        if _streamed(data) != whole:
            different.append(file)
    assert compared > 100
    assert different == []


def test_nested_units_keep_their_children_and_order() -> None:
    ns = f"fr:gouv:culture:archivesdefrance:seda:v{SedaVersion.V2_2.value}"
    units = "".join(
        f'<ArchiveUnit id="P{p}"><Content><DescriptionLevel>File</DescriptionLevel>'
        f"<Title>P{p}</Title></Content>"
        + "".join(
            f'<ArchiveUnit id="C{p}_{c}"><Content><DescriptionLevel>Item</DescriptionLevel>'
            f"<Title>C{c}</Title></Content></ArchiveUnit>"
            for c in range(3)
        )
        + "</ArchiveUnit>"
        for p in range(2)
    )
    xml = (
        f'<ArchiveTransfer xmlns="{ns}"><Date>2024-01-01T00:00:00</Date>'
        "<MessageIdentifier>M</MessageIdentifier><CodeListVersions/>"
        f"<DataObjectPackage><DescriptiveMetadata>{units}</DescriptiveMetadata>"
        "<ManagementMetadata><OriginatingAgencyIdentifier>S</OriginatingAgencyIdentifier>"
        "</ManagementMetadata></DataObjectPackage>"
        "<ArchivalAgency><Identifier>A</Identifier></ArchivalAgency>"
        "<TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>"
    ).encode()
    streamed = read_transfer(lambda: io.BytesIO(xml))
    assert streamed == _whole_tree(xml)
    assert [u.id for u in streamed.units] == ["P0", "P1"]
    assert [c.id for c in streamed.units[1].children] == ["C1_0", "C1_1", "C1_2"]
    assert streamed.management_metadata.originating_agency_identifier == "S"
