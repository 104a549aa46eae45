"""Descriptive metadata for the disk import (`seda build DIR`), over the file system's defaults.

Two sources, both optional; for each unit the more specific one wins, key by key:
file system (name, modification date) < `metadata.csv` row < side file.

* `metadata.csv` at the root of the tree (UTF-8, BOM allowed, `,` or `;` separated), one row per
  path: column `File` (or `Path`) is the path relative to the root with `/` separators (`.` or
  empty for the root unit, a folder's path for its unit); the other columns are SEDA `Content`
  elements: `DescriptionLevel`, `Title`, `Description`, `StartDate`, `EndDate`, and the simple
  text elements of `SIMPLE_ELEMENTS`. Repeat a column (two `Title` columns) for several values;
  an empty cell means "not given".
* Side files: `NAME.metadata.json` / `NAME.metadata.xml` next to a file, `__metadata.json` /
  `__metadata.xml` inside a folder (for the folder's unit). JSON: an object with the same keys
  as the CSV columns, each a string or a list of strings. XML: a `<Content>` element (in no
  namespace or any SEDA namespace; parsed with the safe parser), copied into the unit as it is,
  in place of what the other sources give.

An unknown column or key, an unreadable date, a row naming a path that is not in the tree, or a
malformed side file is refused (`MetadataInvalid`) before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from seda.dates import parse_date
from seda.elements import escape_text
from seda.errors import MetadataInvalid, SedaError
from seda.model import RawXml
from seda.safexml import parse_bytes

CSV_NAME = "metadata.csv"
FOLDER_SIDE_FILES = ("__metadata.json", "__metadata.xml")
SIDE_SUFFIXES = (".metadata.json", ".metadata.xml")
TYPED = ("DescriptionLevel", "Title", "Description", "StartDate", "EndDate")
SIMPLE_ELEMENTS = (
    "FilePlanPosition",
    "OriginatingAgencyArchiveUnitIdentifier",
    "TransferringAgencyArchiveUnitIdentifier",
    "Type",
    "DocumentType",
    "Language",
    "DescriptionLanguage",
    "Status",
    "Version",
    "Tag",
    "Source",
    "CreatedDate",
    "TransactedDate",
    "AcquiredDate",
    "SentDate",
    "ReceivedDate",
    "RegisteredDate",
)
_DATES = {"StartDate", "EndDate", "CreatedDate", "TransactedDate", "AcquiredDate"} | {
    "SentDate",
    "ReceivedDate",
    "RegisteredDate",
}


@dataclass(frozen=True)
class UnitMetadata:
    """Values given for one unit; `values` maps an element name to its values, in order."""

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    raw: tuple[RawXml, ...] = ()  # children of an XML side file, copied as they are

    def over(self, base: UnitMetadata) -> UnitMetadata:
        """These values where given, `base` elsewhere (an XML side file replaces all)."""
        if self.raw:
            return self
        return replace(base, values=base.values | self.values)

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None


def _checked(values: dict[str, list[str]], where: str) -> UnitMetadata:
    unknown = sorted(set(values) - set(TYPED) - set(SIMPLE_ELEMENTS))
    if unknown:
        raise MetadataInvalid(f"{where} : colonne(s) inconnue(s) {', '.join(unknown)}")
    for name in _DATES & set(values):
        for value in values[name]:
            if parse_date(value) is None:
                raise MetadataInvalid(f"{where} : date illisible {name}={value!r}")
    return UnitMetadata({k: tuple(v) for k, v in values.items() if v})


def read_csv(path: Path) -> dict[str, UnitMetadata]:
    """Rows of `metadata.csv`, keyed by normalised relative path ("" for the root)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        header_line = text.partition("\n")[0]
        # French spreadsheets write `;`; everything else `,`.
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (UnicodeDecodeError, OSError, csv.Error) as exc:
        raise MetadataInvalid(f"{path.name} illisible : {exc}") from exc
    if not rows:
        return {}
    header = [h.strip() for h in rows[0]]
    key_column = next((i for i, h in enumerate(header) if h in ("File", "Path")), None)
    if key_column is None:
        raise MetadataInvalid(f"{path.name} : colonne File absente")
    found: dict[str, UnitMetadata] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        key = normalise(row[key_column] if key_column < len(row) else "")
        if key in found:
            raise MetadataInvalid(f"{path.name} ligne {number} : chemin en double {key!r}")
        values: dict[str, list[str]] = {}
        for name, cell in zip(header, row, strict=False):
            if name not in ("File", "Path") and cell.strip():
                values.setdefault(name, []).append(cell.strip())
        found[key] = _checked(values, f"{path.name} ligne {number}")
    return found


def normalise(relative: str) -> str:
    parts = [p for p in relative.strip().replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def read_side_file(path: Path, namespace: str) -> UnitMetadata:
    try:
        if path.suffix == ".json":
            return _from_json(json.loads(path.read_text(encoding="utf-8")), path.name)
        return _from_xml(path.read_bytes(), namespace, path.name)
    except MetadataInvalid:
        raise
    except (ValueError, OSError, SedaError) as exc:
        raise MetadataInvalid(f"{path.name} illisible : {exc}") from exc


def _from_json(data: Any, where: str) -> UnitMetadata:
    if not isinstance(data, dict):
        raise MetadataInvalid(f"{where} : un objet JSON est attendu")
    values: dict[str, list[str]] = {}
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) for i in items):
            raise MetadataInvalid(f"{where} : {key} doit être un texte ou une liste de textes")
        values[str(key)] = [i.strip() for i in items if i.strip()]
    return _checked(values, where)


def _from_xml(data: bytes, namespace: str, where: str) -> UnitMetadata:
    root = parse_bytes(data).getroot()
    if etree.QName(root).localname != "Content":
        raise MetadataInvalid(f"{where} : un élément <Content> est attendu")
    for el in root.iter():
        if isinstance(el.tag, str):  # into the SEDA namespace of the transfer being built
            el.tag = f"{{{namespace}}}{etree.QName(el).localname}"
    etree.cleanup_namespaces(root)
    raw = tuple(
        RawXml(etree.QName(child).localname, etree.tostring(child, method="c14n", exclusive=True))
        for child in root
        if isinstance(child.tag, str)
    )
    return UnitMetadata(raw=raw)


def simple_raw(name: str, value: str, namespace: str) -> RawXml:
    """A simple text element of Content, carried as RawXml for the writer to place."""
    return RawXml(name, f'<{name} xmlns="{namespace}">{escape_text(value)}</{name}>'.encode())


def is_metadata_file(relative: str) -> bool:
    """Whether a file of the tree carries metadata (and so is not an archive object)."""
    name = relative.rsplit("/", 1)[-1]
    return relative == CSV_NAME or name in FOLDER_SIDE_FILES or name.endswith(SIDE_SUFFIXES)


@dataclass
class MetadataSources:
    """The CSV rows and side files of one tree; records what was used, for the summary."""

    root: Path
    namespace: str
    rows: dict[str, UnitMetadata] = field(default_factory=dict)
    used_rows: set[str] = field(default_factory=set)
    side_files: int = 0

    @classmethod
    def load(cls, root: Path, namespace: str) -> MetadataSources:
        csv_path = root / CSV_NAME
        rows = read_csv(csv_path) if csv_path.is_file() else {}
        return cls(root, namespace, rows)

    def for_unit(self, path: Path, is_dir: bool) -> UnitMetadata:
        key = normalise(path.relative_to(self.root).as_posix())
        found = UnitMetadata()
        if key in self.rows:
            self.used_rows.add(key)
            found = self.rows[key].over(found)
        candidates = (
            [path / n for n in FOLDER_SIDE_FILES]
            if is_dir
            else [path.with_name(path.name + s) for s in SIDE_SUFFIXES]
        )
        for side in candidates:
            if side.is_file() and not side.is_symlink():
                self.side_files += 1
                found = read_side_file(side, self.namespace).over(found)
        return found

    def check_all_rows_used(self) -> None:
        unused = sorted(set(self.rows) - self.used_rows)
        if unused:
            sample = ", ".join(repr(u) for u in unused[:5])
            raise MetadataInvalid(
                f"{CSV_NAME} : {len(unused)} chemin(s) absent(s) de l'arborescence : {sample}"
            )
