"""The bordereau of a transfer awaiting review, as an archivist reads it: the tree of archive
units (title, level, dates, producer, rules: DUA and final action, communicabilité) and the
files (name, PRONOM format, size, declared digest), read from the quarantined package's
manifest (SEDA 2.x ``ArchiveTransfer``, read by ``seda.reader``; the package's own safety limits
apply, ``seda.package``). A unit without its own rule follows the bordereau's
(``ManagementMetadata``), as SEDA's inheritance of rules says.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sae.catalogue.describe import unit_rules
from sae.model import Transfer, UnitRules
from seda.errors import SedaError
from seda.model import (
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    Management,
)
from seda.package import open_package
from seda.reader import read_transfer


@dataclass(frozen=True)
class UnitLine:
    depth: int  # 0 for a root unit
    unit_id: str
    title: str
    level: str | None
    start_date: str | None
    end_date: str | None
    producer: str | None
    rules: UnitRules  # DUA, final action, communicabilité (the bordereau's when inherited)


@dataclass(frozen=True)
class FileLine:
    object_id: str
    uri: str
    filename: str | None
    format_id: str | None  # PRONOM
    mime_type: str | None
    size: int | None
    digest_algorithm: str
    digest: str


@dataclass(frozen=True)
class Bordereau:
    message_identifier: str
    comments: tuple[str, ...]
    agreement: str | None
    units: list[UnitLine]
    files: list[FileLine]


def read_bordereau(transfer: Transfer) -> Bordereau | None:
    """None when the package is gone (decided) or its manifest cannot be read (the checks
    then say why). The last two read are kept, by the package's SHA-256 taken at reception
    (the review screen, then its files' previews): reading a large manifest costs far more than
    drawing the page (2,000 files: 0.7 s); a failed read is not kept."""
    if not transfer.quarantine_path.exists():
        return None
    try:
        return _read(transfer.quarantine_path, transfer.package_sha256)
    except (SedaError, OSError, ValueError):
        return None


@lru_cache(maxsize=2)
def _read(path: Path, package_sha256: str) -> Bordereau | None:
    with open_package(path) as package:
        name = package.manifest_name
        if name is None:
            return None
        parsed = read_transfer(lambda: package.open(name))
    return _bordereau(parsed)


def _bordereau(parsed: ArchiveTransfer) -> Bordereau:
    defaults = parsed.management_metadata.rules
    files = [
        _file(obj)
        for group in parsed.groups
        for obj in group.objects
        if isinstance(obj, BinaryDataObject)
    ]
    return Bordereau(
        parsed.header.message_identifier,
        parsed.header.comments,
        parsed.header.archival_agreement,
        [_unit(unit, depth, defaults) for unit, depth in _walk(parsed.units, 0)],
        files,
    )


def _walk(units: Iterable[ArchiveUnit], depth: int) -> Iterator[tuple[ArchiveUnit, int]]:
    for unit in units:
        yield unit, depth
        yield from _walk(unit.children, depth + 1)


def _unit(unit: ArchiveUnit, depth: int, defaults: Management) -> UnitLine:
    content = unit.content
    return UnitLine(
        depth=depth,
        unit_id=unit.id,
        title=content.titles[0] if content.titles else "",
        level=content.description_level,
        start_date=content.start_date,
        end_date=content.end_date,
        producer=content.originating_agency,
        rules=unit_rules(unit, defaults),
    )


def _file(obj: BinaryDataObject) -> FileLine:
    form = obj.format
    return FileLine(
        object_id=obj.id,
        uri=obj.uri,
        filename=obj.filename,
        format_id=form.format_id if form else None,
        mime_type=form.mime_type if form else None,
        size=obj.size,
        digest_algorithm=obj.digest_algorithm,
        digest=obj.message_digest,
    )


def package_size(transfer: Transfer) -> int | None:
    """The received package's size while it is in quarantine (None once decided)."""
    try:
        return transfer.quarantine_path.stat().st_size
    except FileNotFoundError:
        return None
