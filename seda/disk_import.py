"""Build a transfer from a folder tree, like ReSIP's disk import: each folder becomes an archive
unit (RecordGrp), each file an Item unit with one object group holding one BinaryDataObject.
Metadata comes from the file system (names, modification dates); digests are SHA-512 (Vitam's
default). Ids are derived from the walk order, so the same tree gives the same message.
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

    @property
    def is_file(self) -> bool:
        return self.path.is_file()


def scan_tree(root: Path) -> tuple[list[Node], list[Node]]:
    """Top-level nodes and all file nodes, in a stable (sorted) order; symlinks are skipped."""
    counter = iter(range(1, 1 << 62))
    files: list[Node] = []

    def walk(folder: Path) -> list[Node]:
        nodes = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_symlink():
                continue
            node = Node(Path(entry.path), next(counter))
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


def _unit(node: Node) -> ArchiveUnit:
    day = _mtime(node.path)[:10]
    if node.is_file:
        return ArchiveUnit(
            f"AU_{node.index}",
            Content("Item", (node.path.name,), start_date=day, end_date=day),
            object_references=(
                ObjectReference(data_object_group_reference_id=f"GOT_{node.index}"),
            ),
        )
    return ArchiveUnit(
        f"AU_{node.index}",
        Content("RecordGrp", (node.path.name,)),
        children=[_unit(c) for c in node.children],
    )


def transfer_from_directory(
    root: Path,
    version: SedaVersion,
    *,
    message_identifier: str,
    archival_agency: str,
    transferring_agency: str,
    archival_agreement: str | None = None,
) -> tuple[ArchiveTransfer, list[tuple[str, Path]]]:
    """The transfer and the (member name, file) pairs to put in the SIP."""
    top, files = scan_tree(root)

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
    root_unit = ArchiveUnit(
        "AU_0", Content("Fonds", (root.name or "versement",)), children=[_unit(n) for n in top]
    )
    members = [(content_name(f"BDO_{n.index}", n.path.name), n.path) for n in files]
    return ArchiveTransfer(
        header,
        groups(),
        [root_unit],
        ManagementMetadata(originating_agency_identifier=transferring_agency),
    ), members
