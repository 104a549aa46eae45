"""A SEDA 2.x ArchiveTransfer read one part at a time, for work bounded in memory whatever the
number of objects and units (``seda.reader`` reads the whole model, for round trips).

Two passes, each an ``iterparse`` that frees every part once handed over:

* ``ObjectStream``: the data objects, each with the key of its group (the nested form's
  ``DataObjectGroup/@id``; a flat-form object's ``DataObjectGroupId``, as ``seda.reader``
  regroups them); then, once they are all read, the message's frame: its header and its
  ``ManagementMetadata`` (which SEDA places after the units), with no group and no unit.
* ``units``: the ArchiveUnits in document order. ``OpenedUnit`` comes as soon as a unit's own
  description is read (at its first child unit, else at its end), so that a parent always comes
  before its children; ``ClosedUnit`` at its end, with its ``DataObjectReference``s (SEDA places
  them after the child units). Between the two come the unit's descendants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from seda import model as m
from seda.errors import UnreadableValue
from seda.reader import (
    _first_element,
    _group_into,
    _header,
    _management_metadata,
    _unit,
)
from seda.reading import SedaReader
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe

_GROUPED = ("DataObjectGroup", "BinaryDataObject", "PhysicalDataObject")


@dataclass(frozen=True)
class OpenedUnit:
    """A unit described (``children`` and ``object_references`` empty: they come later)."""

    unit: m.ArchiveUnit


@dataclass(frozen=True)
class ClosedUnit:
    unit_id: str
    object_references: tuple[m.ObjectReference, ...]


UnitEvent = OpenedUnit | ClosedUnit


class ObjectStream:
    """Iterating gives ``(group key, object)`` in document order; ``frame`` is set at the end."""

    def __init__(self, open_stream: Opener, limits: XmlLimits = DEFAULT_XML_LIMITS) -> None:
        self.open_stream, self.limits = open_stream, limits
        self.frame: m.ArchiveTransfer | None = None

    def __iter__(self) -> Iterator[tuple[str, m.DataObject]]:
        try:
            yield from self._objects()
        except ValueError as exc:
            raise UnreadableValue(f"valeur illisible dans le bordereau : {exc}") from exc

    def _objects(self) -> Iterator[tuple[str, m.DataObject]]:
        root = _first_element(self.open_stream, self.limits)
        if root is None:
            raise UnreadableValue("bordereau sans élément racine")
        r = SedaReader(root)
        tags = [r.brace + n for n in ("ArchiveUnit", "ManagementMetadata", *_GROUPED)]
        anchor: etree._Element | None = None  # an element still in the tree
        for _event, el in iterparse_safe(self.open_stream, ("end",), limits=self.limits, tag=tags):
            parent = el.getparent()
            anchor = parent if parent is not None else el
            place = None if parent is None else r.local(parent)
            if r.local(el) == "ManagementMetadata":
                continue  # kept for the frame
            if r.local(el) == "ArchiveUnit":
                if place not in ("DescriptiveMetadata", "ArchiveUnit"):
                    continue  # not a unit (the XSD refuses it): left to the frame
            elif place != "DataObjectPackage":
                continue
            else:
                groups: dict[str, tuple[list[m.DataObject], list[m.RawXml]]] = {}
                _group_into(r, el, groups)
                for key, (objects, _logbook) in groups.items():
                    for obj in objects:
                        yield key, obj
            _free(el, parent)
        self.frame = _frame(r, root if anchor is None else anchor.getroottree().getroot())


def units(open_stream: Opener, limits: XmlLimits = DEFAULT_XML_LIMITS) -> Iterator[UnitEvent]:
    """The units of the manifest (see the module docstring)."""
    try:
        yield from _units(open_stream, limits)
    except ValueError as exc:
        raise UnreadableValue(f"valeur illisible dans le bordereau : {exc}") from exc


@dataclass
class _Open:
    """A unit around the one being read, and whether it was handed over already."""

    el: etree._Element
    opened: bool = False


def _units(open_stream: Opener, limits: XmlLimits) -> Iterator[UnitEvent]:
    root = _first_element(open_stream, limits)
    if root is None:
        return
    r = SedaReader(root)
    tags = [r.brace + n for n in ("ArchiveUnit", *_GROUPED)]
    stack: list[_Open] = []
    for event, el in iterparse_safe(open_stream, ("start", "end"), limits=limits, tag=tags):
        parent = el.getparent()
        if r.local(el) != "ArchiveUnit":  # objects: read by the first pass
            if event == "end" and parent is not None and r.local(parent) == "DataObjectPackage":
                _free(el, parent)
            continue
        if event == "start":
            if not _is_unit_place(r, parent, stack):
                continue
            if stack and not stack[-1].opened and parent is not None:
                stack[-1].opened = True
                yield OpenedUnit(_unit(r, parent, ()))
            stack.append(_Open(el))
            continue
        if not stack or stack[-1].el is not el:
            continue
        if stack.pop().opened:
            references = _references(r, el)
        else:
            unit = _unit(r, el, ())
            references = unit.object_references
            yield OpenedUnit(unit)
        yield ClosedUnit(el.get("id") or "", references)
        _free(el, parent)


def _references(r: SedaReader, el: etree._Element) -> tuple[m.ObjectReference, ...]:
    """A unit's ``DataObjectReference``s, as ``seda.reader`` reads them."""
    return tuple(
        m.ObjectReference(
            r.text(d, "DataObjectReferenceId"), r.text(d, "DataObjectGroupReferenceId")
        )
        for d in el.findall(r.brace + "DataObjectReference")
    )


def _is_unit_place(r: SedaReader, parent: etree._Element | None, stack: list[_Open]) -> bool:
    if parent is None:
        return False
    if stack:
        return parent is stack[-1].el
    return r.local(parent) == "DescriptiveMetadata"


def _free(el: etree._Element, parent: etree._Element | None) -> None:
    el.clear()
    if parent is not None:
        parent.remove(el)


def _frame(r: SedaReader, root: etree._Element) -> m.ArchiveTransfer:
    package = root.find(r.brace + "DataObjectPackage")
    mm = None if package is None else package.find(r.brace + "ManagementMetadata")
    return m.ArchiveTransfer(_header(r, root), management_metadata=_management_metadata(r, mm))
