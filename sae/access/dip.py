"""The Dissemination Information Package of a granted delivery (OAIS, ISO 14721 §4.2.2.5), as
docs/exchanges.md describes it: a zip whose ``manifest.xml`` is the
``ArchiveDeliveryRequestReply``, whose ``DataObjectPackage`` describes each unit delivered (its
archive identifier as ``SystemId``) and each object (``BinaryDataObject``: ``Uri``, SHA-512
``MessageDigest``, ``Size``); every other member is an object at its ``Uri``.

The zip is written to a file, one object at a time, each streamed from a copy that re-verified
against the digest registry and re-hashed while copied (``sae.storage.download``): the DIP is
never held in memory, and a damaged copy fails the build instead of reaching the requester. It
is written beside its final name and renamed once complete.
"""

from __future__ import annotations

import os
import re
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final

from sae.access.selection import Node
from sae.model import CatalogueObject
from sae.storage.download import verified_chunks
from sae.storage.offers import StorageOffers
from seda.model import (
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    DataObjectPackage,
    ObjectReference,
)

MANIFEST: Final = "manifest.xml"
_SUFFIX: Final = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


@dataclass
class Described:
    """The package described, and each member of the zip to come: its Uri and its object."""

    package: DataObjectPackage
    members: list[tuple[str, CatalogueObject]]


@dataclass
class _Builder:
    groups: dict[str, DataObjectGroup] = field(default_factory=dict)  # by SHA-256
    members: list[tuple[str, CatalogueObject]] = field(default_factory=list)
    units: int = 0

    def unit(self, node: Node) -> ArchiveUnit:
        self.units += 1
        unit_id = f"AU_{self.units}"
        refs = tuple(
            dict.fromkeys(
                ObjectReference(data_object_group_reference_id=self._group(o)) for o in node.objects
            )
        )
        about = node.unit
        content = Content(
            about.description_level or "Item",
            (about.title,),
            (about.description,) if about.description else (),
            about.start_date,
            about.end_date,
            system_ids=(about.archive_id,),
        )
        children = tuple(self.unit(child) for child in node.children)
        return ArchiveUnit(unit_id, content, children=children, object_references=refs)

    def _group(self, obj: CatalogueObject) -> str:
        if obj.sha256 not in self.groups:
            n = len(self.groups) + 1
            uri = f"content/{n:04d}{_suffix(obj)}"
            described = BinaryDataObject(
                f"BDO_{n}", uri, obj.sha512, "SHA-512", obj.size, filename=obj.filename
            )
            self.groups[obj.sha256] = DataObjectGroup(f"GOT_{n}", (described,))
            self.members.append((uri, obj))
        return self.groups[obj.sha256].id


def describe(roots: Sequence[Node]) -> Described:
    """The package of the units given and everything below them; an object held by several
    units is described and packed once."""
    builder = _Builder()
    units = tuple(builder.unit(root) for root in roots)
    return Described(DataObjectPackage(tuple(builder.groups.values()), units), builder.members)


def write_dip(dest: Path, manifest: bytes, described: Described, offers: StorageOffers) -> None:
    """The zip at ``dest`` (nothing there unless complete)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f"{dest.name}.{uuid.uuid4().hex}.part")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr(MANIFEST, manifest)
            for uri, obj in described.members:
                with archive.open(uri, "w", force_zip64=True) as member:
                    for chunk in verified_chunks(offers, obj):
                        member.write(chunk)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)


def _suffix(obj: CatalogueObject) -> str:
    suffix = PurePosixPath(obj.filename or obj.uri).suffix
    return suffix.lower() if _SUFFIX.match(suffix) else ""
