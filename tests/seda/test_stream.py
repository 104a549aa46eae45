"""A manifest read one part at a time (``seda.stream``) gives the parts of the whole model, on
the corpus and on nested units."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from seda import model as m
from seda.stream import ClosedUnit, ObjectStream, OpenedUnit, UnitEvent, units
from seda.versions import SedaVersion
from tests.seda.test_reader_streaming import _whole_tree, wholly_readable_seda_2_samples


def rebuilt(events: list[UnitEvent]) -> tuple[m.ArchiveUnit, ...]:
    """The unit tree the events describe (children and references put back)."""
    roots: list[m.ArchiveUnit] = []
    open_units: list[tuple[m.ArchiveUnit, list[m.ArchiveUnit]]] = []
    for event in events:
        if isinstance(event, OpenedUnit):
            open_units.append((event.unit, []))
            continue
        unit, children = open_units.pop()
        assert unit.id == event.unit_id
        whole = dataclasses.replace(
            unit, children=tuple(children), object_references=event.object_references
        )
        (open_units[-1][1] if open_units else roots).append(whole)
    assert not open_units
    return tuple(roots)


def parts(data: bytes) -> tuple[m.ArchiveTransfer, dict[str, list[m.DataObject]], tuple[m.ArchiveUnit, ...]]:  # fmt: skip
    stream = ObjectStream(lambda: io.BytesIO(data))
    groups: dict[str, list[m.DataObject]] = {}
    for key, obj in stream:
        groups.setdefault(key, []).append(obj)
    assert stream.frame is not None
    return stream.frame, groups, rebuilt(list(units(lambda: io.BytesIO(data))))


def test_every_seda_2_sample_streams_into_the_parts_of_its_whole_model(samples_dir: Path) -> None:
    compared, different = 0, []
    for file, data, whole in wholly_readable_seda_2_samples(samples_dir):
        compared += 1
        frame, groups, tree = parts(data)
        expected = {g.id: list(g.objects) for g in whole.groups if g.objects}
        if (
            (frame.header, frame.management_metadata) != (whole.header, whole.management_metadata)
            or groups != expected
            or tree != tuple(whole.units)
        ):
            different.append(file)
    assert compared > 100
    assert different == []


def test_a_parent_opens_before_its_children_and_closes_after_them_with_its_references() -> None:
    ns = f"fr:gouv:culture:archivesdefrance:seda:v{SedaVersion.V2_2.value}"
    child = (
        '<ArchiveUnit id="C{n}"><Content><DescriptionLevel>Item</DescriptionLevel>'
        "<Title>C{n}</Title></Content><DataObjectReference>"
        "<DataObjectGroupReferenceId>G{n}</DataObjectGroupReferenceId>"
        "</DataObjectReference></ArchiveUnit>"
    )
    xml = (
        f'<ArchiveTransfer xmlns="{ns}"><Date>2024-01-01T00:00:00</Date>'
        "<MessageIdentifier>M</MessageIdentifier><CodeListVersions/><DataObjectPackage>"
        '<BinaryDataObject id="B1"><DataObjectGroupId>G1</DataObjectGroupId>'
        "<Uri>content/B1</Uri></BinaryDataObject><DescriptiveMetadata>"
        '<ArchiveUnit id="P"><Content><DescriptionLevel>File</DescriptionLevel>'
        "<Title>P</Title></Content>"
        + child.format(n=1)
        + child.format(n=2)
        + "<DataObjectReference><DataObjectGroupReferenceId>G0</DataObjectGroupReferenceId>"
        "</DataObjectReference></ArchiveUnit></DescriptiveMetadata>"
        "<ManagementMetadata><OriginatingAgencyIdentifier>S</OriginatingAgencyIdentifier>"
        "</ManagementMetadata></DataObjectPackage>"
        "<ArchivalAgency><Identifier>A</Identifier></ArchivalAgency>"
        "<TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>"
    ).encode()

    events = list(units(lambda: io.BytesIO(xml)))

    assert [
        ("open", e.unit.id) if isinstance(e, OpenedUnit) else ("close", e.unit_id) for e in events
    ] == [("open", "P"), ("open", "C1"), ("close", "C1"), ("open", "C2"), ("close", "C2"), ("close", "P")]  # fmt: skip
    closed = [e for e in events if isinstance(e, ClosedUnit)]
    assert [r.data_object_group_reference_id for r in closed[-1].object_references] == ["G0"]
    frame, groups, tree = parts(xml)
    assert frame.management_metadata.originating_agency_identifier == "S"
    assert [(k, [o.id for o in objs]) for k, objs in groups.items()] == [("G1", ["B1"])]
    assert tree == tuple(_whole_tree(xml).units)  # type: ignore[union-attr]
