"""Package relationships (ECMA-376 Part 2, §9.3, Open Packaging Conventions): how the parts of
an XLSX workbook name each other. A relationship's target is relative to the folder of its
source part unless it starts with '/'; external targets (links) are not parts and are skipped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from ged.services.spreadsheets.bounds import french_number, limit_exceeded
from ged.services.spreadsheets.package import Package


@dataclass(frozen=True)
class Relation:
    rid: str
    kind: str  # the last segment of the relationship type's URI
    target: str  # the part name, resolved


def relationships(package: Package, source: str, limit: int) -> list[Relation]:
    """The internal relationships of part ``source`` ('' for the package itself)."""
    folder, name = posixpath.split(source)
    part = posixpath.join(folder, "_rels", f"{name}.rels")
    handler = _Relationships(folder, limit)
    if package.find(part) is not None:
        package.parse(part, handler)
    return handler.found


def target(relations: list[Relation], *, kind: str = "", rid: str = "") -> str | None:
    """The first relation's target of that type and/or id."""
    return next((r.target for r in relations if kind in ("", r.kind) and rid in ("", r.rid)), None)


@dataclass
class _Relationships:
    """The ``Relationship`` elements of one relationships part, at most ``limit`` of them."""

    folder: str
    limit: int
    found: list[Relation] = field(default_factory=list)

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if not tag.endswith("}Relationship") or attrib.get("TargetMode") == "External":
            return
        if len(self.found) >= self.limit:
            raise limit_exceeded(f"plus de {french_number(self.limit)} relations")
        path = attrib.get("Target", "")
        if not path.startswith("/"):
            path = posixpath.normpath(posixpath.join(self.folder, path))
        kind = attrib.get("Type", "").rsplit("/", 1)[-1]
        self.found.append(Relation(attrib.get("Id", ""), kind, path.lstrip("/")))

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass
