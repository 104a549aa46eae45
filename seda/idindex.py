"""Where one scan (``seda.scan``) keeps the identifiers of a SEDA message it has met.

A SEDA 2.x message gives every unit, object group and data object an ``id`` (``xs:ID``, unique in
the document, XML Schema Part 2 §3.3.8) that references (``xs:IDREF``) name. Checking them needs
every identifier met so far, with its kind, and the links between units (needed only when an
``ArchiveUnitRefId`` may close a cycle). ``MemoryIdIndex`` keeps them in a ``dict``; a transfer of
100,000 documents has some 300,000 of them (about 35 MB), so a caller that must stay flat in
memory gives ``ValidationOptions.id_index`` an index on disk (the repository's:
``sae.adapters.db.spool.SqliteIdIndex``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class IdIndex(Protocol):
    """Identifier → kind (the first one met) and the unit links of one scan; ``close`` it."""

    def add(self, ident: str, kind: str) -> bool:
        """Records ``ident`` as ``kind``; False (and nothing changed) when it was met before."""
        ...

    def get(self, ident: str) -> str | None:
        """The kind ``ident`` was first met as, None if never met."""
        ...

    def add_edge(self, parent: str, child: str) -> None:
        """A unit nested in (or linked from) ``parent``."""
        ...

    def edges(self) -> Iterable[tuple[str, str]]:
        """The links in the order they were added."""
        ...

    def close(self) -> None: ...


class MemoryIdIndex:
    """``IdIndex`` in memory."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._edges: list[tuple[str, str]] = []

    def add(self, ident: str, kind: str) -> bool:
        if ident in self._ids:
            return False
        self._ids[ident] = kind
        return True

    def get(self, ident: str) -> str | None:
        return self._ids.get(ident)

    def add_edge(self, parent: str, child: str) -> None:
        self._edges.append((parent, child))

    def edges(self) -> Iterable[tuple[str, str]]:
        return self._edges

    def close(self) -> None:
        self._ids.clear()
        self._edges.clear()
