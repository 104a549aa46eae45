"""Reference checks (SEDA 2.x xs:IDREF elements), which libxml2's XSD validation skips.

Every `DataObjectReferenceId` must name a data object, every `DataObjectGroupReferenceId` a data
object group, every `ArchiveUnitRefId` / `SignedDocumentReferenceId` an archive unit, every
`Relationship/@target` some id of the message; the unit graph (nesting plus ArchiveUnitRefId
links) must have no cycle.

Unit → object links: the official XSD lets `DataObjectReferenceId` name any object. Vitam refuses
a unit that names an object belonging to an object group instead of naming the group
(`ArchiveUnitContainDataObjectException` in its ExtractSedaActionHandler, sample
`SIP_KO_ArchiveUnit_ref_BDO`), and accepts it for an object without a group (it then creates a
technical group). We report the first case as `ref_object_in_group`: an error under the Vitam
schema set, a warning under the official one, where both forms are allowed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from seda.issues import Issue, Severity

OBJECT = "object"
GROUPED_OBJECT = "grouped_object"  # an object declared inside (or as part of) an object group
_KIND_NAMES = {
    OBJECT: "objet",
    GROUPED_OBJECT: "objet",
    "group": "groupe d'objets",
    "unit": "unité d'archives",
}


class Reference(NamedTuple):
    value: str
    kind: str  # "object", "group", "unit" or "any"
    line: int | None
    xpath: str


def target_issue(ref: Reference, found: str | None, grouped: Severity) -> Issue | None:
    """The issue of one reference whose target has kind `found` (None: no such id)."""
    if found is None:
        return Issue(
            "ref_unresolved",
            Severity.ERROR,
            f"référence vers un id absent : {ref.value!r}",
            ref.line,
            ref.xpath,
        )
    if ref.kind == "any" or found == ref.kind:
        return None
    if ref.kind == OBJECT and found == GROUPED_OBJECT:
        return Issue(
            "ref_object_in_group",
            grouped,
            f"l'unité désigne l'objet {ref.value!r} d'un groupe d'objets au lieu du groupe "
            "(DataObjectGroupReferenceId attendu)",
            ref.line,
            ref.xpath,
        )
    return Issue(
        "ref_wrong_target",
        Severity.ERROR,
        f"{ref.value!r} désigne un(e) {_KIND_NAMES.get(found, found)}, "
        f"un(e) {_KIND_NAMES[ref.kind]} est attendu(e)",
        ref.line,
        ref.xpath,
    )


def pending_issues(
    pending: list[Reference], kind_of: Callable[[str], str | None], grouped: Severity
) -> list[Issue]:
    """Issues of the references met before their target (checked once every id is known)."""
    return [issue for ref in pending if (issue := target_issue(ref, kind_of(ref.value), grouped))]


def cycle_issues(edges: Iterable[tuple[str, str]]) -> list[Issue]:
    graph: dict[str, list[str]] = defaultdict(list)
    for parent, child in edges:
        graph[parent].append(child)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    issues: list[Issue] = []
    for start in list(graph):
        cycle = _find_cycle(start, graph, state)
        if cycle is not None:
            issues.append(
                Issue(
                    "ref_cycle",
                    Severity.ERROR,
                    "cycle d'unités d'archives : " + " → ".join(cycle),
                    None,
                    f"//ArchiveUnit[@id='{cycle[0]}']",
                )
            )
    return issues


def _find_cycle(start: str, graph: dict[str, list[str]], state: dict[str, int]) -> list[str] | None:
    """Iterative DFS (units may nest deeper than Python's recursion limit)."""
    if state.get(start):
        return None
    path: list[str] = [start]
    stack = [iter(graph.get(start, ()))]
    state[start] = 1
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            state[path.pop()] = 2
            stack.pop()
        elif state.get(nxt) == 1:
            return [*path[path.index(nxt) :], nxt]
        elif not state.get(nxt):
            state[nxt] = 1
            path.append(nxt)
            stack.append(iter(graph.get(nxt, ())))
    return None
