"""An accepted transfer's archive identifiers, read from their JSON text only when asked."""

from __future__ import annotations

from sae.model import ArchivePairs


def test_pairs_read_when_asked_equal_the_tuple_they_hold() -> None:
    pairs = ArchivePairs('[["AU_1", "AU-a"], ["AU_2", "AU-b"]]')

    assert pairs._pairs is None  # nothing read yet
    assert pairs == (("AU_1", "AU-a"), ("AU_2", "AU-b"))
    assert (pairs[1], len(pairs), next(iter(pairs))) == (("AU_2", "AU-b"), 2, ("AU_1", "AU-a"))
    assert ArchivePairs("[]") == () and not ArchivePairs("[]")
