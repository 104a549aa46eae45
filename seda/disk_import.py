"""Build a transfer from a folder tree, like ReSIP's disk import: each folder becomes an archive
unit (RecordGrp), each file an Item unit with one object group holding one BinaryDataObject.

Descriptive metadata comes from a `metadata.csv` at the root or from side files when present
(seda.disk_metadata), otherwise from the file system (names, modification dates). Digests are
SHA-512 (Vitam's default). Ids are derived from the walk order, so the same tree gives the same
message. The metadata files themselves are not archived.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from seda.digests import read_chunks
from seda.disk_metadata import MetadataSources, UnitMetadata, is_metadata_file, simple_raw
from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    FormatIdentification,
    ManagementMetadata,
    ObjectReference,
    TransferHeader,
)
from seda.sip import content_name
from seda.versions import SedaVersion


@dataclass
class Node:
    path: Path
    index: int
    children: list[Node] = field(default_factory=list)
    is_file: bool = False


@dataclass(frozen=True)
class DiskImport:
    """What `transfer_from_directory` built, with the figures of its summary."""

    transfer: ArchiveTransfer
    members: list[tuple[str, Path]]  # (member name in the SIP, source file)
    units: int
    metadata_rows: int  # rows of metadata.csv applied
    side_files: int  # side files applied


def scan_tree(root: Path) -> tuple[list[Node], list[Node]]:
    """Top-level nodes and all file nodes, in a stable (sorted) order; symlinks are skipped."""
    counter = iter(range(1, 1 << 62))
    files: list[Node] = []

    def walk(folder: Path) -> list[Node]:
        nodes = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            relative = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink() or (entry.is_file() and is_metadata_file(relative)):
                continue
            node = Node(Path(entry.path), next(counter), is_file=not entry.is_dir())
            if entry.is_dir():
                node.children = walk(node.path)
            else:
                files.append(node)
            nodes.append(node)
        return nodes

    return walk(root), files


def _group(node: Node) -> DataObjectGroup:
    h = hashlib.sha512()
    size = 0
    with node.path.open("rb") as stream:
        for chunk in read_chunks(stream):
            h.update(chunk)
            size += len(chunk)
    mime = mimetypes.guess_type(node.path.name)[0]
    obj = BinaryDataObject(
        id=f"BDO_{node.index}",
        uri=content_name(f"BDO_{node.index}", node.path.name),
        message_digest=h.hexdigest(),
        size=size,
        format=FormatIdentification(mime_type=mime) if mime else None,
        filename=node.path.name,
        last_modified=_mtime(node.path),
    )
    return DataObjectGroup(f"GOT_{node.index}", (obj,))


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0).isoformat()


def _content(meta: UnitMetadata, level: str, title: str, day: str | None, ns: str) -> Content:
    if meta.raw:  # an XML side file gives the whole Content
        return Content(extra=meta.raw)
    extra = tuple(
        simple_raw(name, value, ns)
        for name, values in meta.values.items()
        if name not in ("DescriptionLevel", "Title", "Description", "StartDate", "EndDate")
        for value in values
    )
    start, end = meta.first("StartDate"), meta.first("EndDate")
    if start is None and end is None:  # dates from the metadata are never mixed with the mtime
        start = end = day
    return Content(
        meta.first("DescriptionLevel") or level,
        meta.values.get("Title") or (title,),
        meta.values.get("Description", ()),
        start,
        end,
        extra,
    )


def _unit(node: Node, sources: MetadataSources) -> ArchiveUnit:
    meta = sources.for_unit(node.path, not node.is_file)
    if node.is_file:
        day = _mtime(node.path)[:10]
        content = _content(meta, "Item", node.path.name, day, sources.namespace)
        group = ObjectReference(data_object_group_reference_id=f"GOT_{node.index}")
        return ArchiveUnit(f"AU_{node.index}", content, object_references=(group,))
    content = _content(meta, "RecordGrp", node.path.name, None, sources.namespace)
    children = [_unit(c, sources) for c in node.children]
    return ArchiveUnit(f"AU_{node.index}", content, children=children)


def transfer_from_directory(
    root: Path,
    version: SedaVersion,
    *,
    message_identifier: str,
    archival_agency: str,
    transferring_agency: str,
    archival_agreement: str | None = None,
) -> DiskImport:
    """The transfer, the (member name, file) pairs to put in the SIP, and summary figures.

    Raises MetadataInvalid when the metadata CSV or a side file cannot be used."""
    top, files = scan_tree(root)
    sources = MetadataSources.load(root, version.namespace)
    root_meta = sources.for_unit(root, True)
    root_content = _content(root_meta, "Fonds", root.name or "versement", None, version.namespace)
    root_unit = ArchiveUnit("AU_0", root_content, children=[_unit(n, sources) for n in top])
    sources.check_all_rows_used()

    def groups() -> Iterator[DataObjectGroup]:
        return (_group(n) for n in files)

    header = TransferHeader(
        version=version,
        message_identifier=message_identifier,
        archival_agency=Agency(archival_agency),
        transferring_agency=Agency(transferring_agency),
        date=datetime.now(UTC).replace(microsecond=0),
        archival_agreement=archival_agreement,
    )
    members = [(content_name(f"BDO_{n.index}", n.path.name), n.path) for n in files]
    transfer = ArchiveTransfer(
        header,
        groups(),
        [root_unit],
        ManagementMetadata(originating_agency_identifier=transferring_agency),
    )
    units = 1 + _count(top)
    return DiskImport(transfer, members, units, len(sources.used_rows), sources.side_files)


def _count(nodes: list[Node]) -> int:
    total, stack = 0, list(nodes)
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.children)
    return total
