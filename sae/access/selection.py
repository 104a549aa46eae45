"""What a delivery request asks for, read from the catalogue: each unit named, everything below
it, and the access rules that bind each (its own and those of every unit above it); then, for
each, whether it may be communicated to the requester on a given day, under its rules or under
a derogation (``Verdict``).

A derogation given on a unit covers that unit and everything below it. The catalogue is only
ever added to, so reading the same units twice (when deciding, then when the DIP is built)
describes the same objects in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sae.access.communicability import Communicability, Durations, communicability
from sae.model import (
    AccessBasis,
    CatalogueObject,
    CatalogueUnit,
    Derogation,
    RuleRef,
)
from sae.ports import ArchiveNotFound, CatalogueRepository, DerogationRepository


@dataclass(frozen=True)
class Node:
    """A unit of the request, what binds it from above, its objects and the units below it."""

    unit: CatalogueUnit
    above: tuple[str, ...]  # archive ids of the units above it, nearest last
    inherited: tuple[RuleRef, ...]  # access rules of the units above it
    objects: tuple[CatalogueObject, ...]
    children: tuple[Node, ...]

    @property
    def access(self) -> tuple[RuleRef, ...]:
        return (*self.inherited, *self.unit.rules.access)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Verdict:
    node: Node
    communicability: Communicability
    derogation: Derogation | None  # the derogation it is communicated under, if any

    def refused(self, day: date) -> bool:
        return self.derogation is None and not self.communicability.open_on(day)

    @property
    def basis(self) -> AccessBasis:
        if self.derogation is not None:
            return AccessBasis.DEROGATION
        return AccessBasis.RULE if self.communicability.on else AccessBasis.FREE


@dataclass(frozen=True)
class Selection:
    """The units asked for, and the identifiers the catalogue does not hold."""

    roots: tuple[Node, ...]
    unknown: tuple[str, ...]

    def nodes(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()


def select(catalogue: CatalogueRepository, archive_ids: Sequence[str]) -> Selection:
    roots, unknown = [], []
    for archive_id in dict.fromkeys(archive_ids):
        try:
            detail = catalogue.detail(archive_id)
        except ArchiveNotFound:
            unknown.append(archive_id)
            continue
        above, inherited = _above(catalogue, detail.unit)
        roots.append(_node(catalogue, detail.unit, above, inherited))
    return Selection(tuple(roots), tuple(unknown))


def verdicts(
    selection: Selection,
    derogations: DerogationRepository,
    durations: Durations,
    requester: str,
    day: date,
) -> list[Verdict]:
    """One verdict per unit of the selection, in document order."""
    nodes = list(selection.nodes())
    ids = {i for n in nodes for i in (*n.above, n.unit.archive_id)}
    valid: dict[str, Derogation] = {}
    for derogation in derogations.of_archives(sorted(ids)):
        if derogation.applies(requester, day):
            valid.setdefault(derogation.archive_id, derogation)
    found = []
    for node in nodes:
        rule = communicability(node.access, durations)
        covering = None
        if not rule.open_on(day):
            covering = next(
                (valid[i] for i in (node.unit.archive_id, *reversed(node.above)) if i in valid),
                None,
            )
        found.append(Verdict(node, rule, covering))
    return found


def _above(
    catalogue: CatalogueRepository, unit: CatalogueUnit
) -> tuple[tuple[str, ...], tuple[RuleRef, ...]]:
    ids: list[str] = []
    rules: list[RuleRef] = []
    parent = unit.parent_archive_id
    while parent is not None and parent not in ids:
        found = catalogue.detail(parent).unit
        ids.insert(0, found.archive_id)
        rules[:0] = found.rules.access
        parent = found.parent_archive_id
    return tuple(ids), tuple(rules)


def _node(
    catalogue: CatalogueRepository,
    unit: CatalogueUnit,
    above: tuple[str, ...],
    inherited: tuple[RuleRef, ...],
) -> Node:
    detail = catalogue.detail(unit.archive_id)
    below, rules = (*above, unit.archive_id), (*inherited, *unit.rules.access)
    children = tuple(_node(catalogue, child, below, rules) for child in detail.children)
    return Node(unit, above, inherited, tuple(detail.objects), children)
