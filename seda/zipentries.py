"""The files of a zip package as a read-only mapping, name → uncompressed size, over its central
directory (``seda.zipindex``) rather than a dict.

A dict of 100,000 names costs some 10 MB beside the ``ZipInfo``s it replaced; here the lookup is
one sorted ``array`` of 8 bytes a record: the high bits of the hash of the record's case-folded
name, its index in the low bits. A name is found by bisection then compared with the record's
own bytes; records whose case-folded names are equal sit side by side, which is how duplicates
(``a.txt`` and ``A.txt``) are found. Python's string hash is salted per process, so nobody can
pick names that collide on purpose. Iteration follows the directory's order, without folders.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from itertools import pairwise

from seda.zipindex import CentralDirectory, Record

_MASK64 = (1 << 64) - 1


class ZipEntries(Mapping[str, int]):
    """The files of a package (folders left out), in directory order."""

    def __init__(self, directory: CentralDirectory) -> None:
        self._directory = directory
        self._bits = max(20, len(directory).bit_length())  # room for any record's index
        self._low = (1 << self._bits) - 1
        keys = (self._prefix(self._folded(i)) << self._bits | i for i in range(len(directory)))
        self._sorted = array("Q", sorted(keys))
        self._files = sum(1 for i in range(len(directory)) if not self._directory.is_dir(i))

    def __getitem__(self, name: str) -> int:
        return self._directory.file_sizes[self._index(name)]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self._index(name)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        for index in range(len(self._directory)):
            if not self._directory.is_dir(index):
                yield self._directory.raw_name(index).decode("utf-8")

    def __len__(self) -> int:
        return self._files

    def record(self, name: str) -> Record:
        """The central directory record of file ``name`` (KeyError when there is none)."""
        return self._directory.record(self._index(name))

    def duplicate(self) -> str | None:
        """A name that two records share once case-folded (a trailing ``/`` ignored), if any."""
        for first, second in pairwise(self._sorted):
            if first >> self._bits != second >> self._bits:
                continue
            name = self._folded(first & self._low)
            if name == self._folded(second & self._low):
                return name
        return None

    def _index(self, name: str) -> int:
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError:
            raise KeyError(name) from None
        if raw.endswith(b"/"):  # a folder, not a file
            raise KeyError(name)
        prefix = self._prefix(name.casefold())
        at = bisect_left(self._sorted, prefix << self._bits)
        while at < len(self._sorted) and self._sorted[at] >> self._bits == prefix:
            index = self._sorted[at] & self._low
            if self._directory.raw_name(index) == raw:
                return index
            at += 1
        raise KeyError(name)

    def _prefix(self, folded: str) -> int:
        return (hash(folded) & _MASK64) >> self._bits

    def _folded(self, index: int) -> str:
        name = self._directory.raw_name(index).decode("utf-8", errors="replace")
        return name.rstrip("/").casefold()
