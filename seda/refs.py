"""Reference checks (SEDA 2.x xs:IDREF elements), which libxml2's XSD validation skips.

Every `DataObjectReferenceId` must name a data object, every `DataObjectGroupReferenceId` a data
object group, every `ArchiveUnitRefId` / `SignedDocumentReferenceId` an archive unit, every
`Relationship/@target` some id of the message; the unit graph (nesting plus ArchiveUnitRefId
links) must have no cycle.
"""

from __future__ import annotations

from collections import defaultdict

from seda.issues import Issue, Severity
from seda.scan import ScanResult

_KIND_NAMES = {"object": "objet", "group": "groupe d'objets", "unit": "unité d'archives"}


def reference_issues(result: ScanResult) -> list[Issue]:
    issues = [
        issue
        for ref in result.references
        if (issue := _check(ref.value, ref.kind, result.ids, ref.line, ref.xpath)) is not None
    ]
    if result.has_unit_refs:
        issues.extend(_cycle_issues(result.unit_edges))
    return issues


def _check(
    value: str, kind: str, ids: dict[str, str], line: int | None, xpath: str
) -> Issue | None:
    found = ids.get(value)
    if found is None:
        return Issue(
            "ref_unresolved",
            Severity.ERROR,
            f"référence vers un id absent : {value!r}",
            line,
            xpath,
        )
    if kind != "any" and found != kind:
        return Issue(
            "ref_wrong_target",
            Severity.ERROR,
            f"{value!r} désigne un(e) {_KIND_NAMES.get(found, found)}, "
            f"un(e) {_KIND_NAMES[kind]} est attendu(e)",
            line,
            xpath,
        )
    return None


def _cycle_issues(edges: list[tuple[str, str]]) -> list[Issue]:
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
