"""The files of a zip package as a read-only mapping, name → uncompressed size, over its central
directory (``seda.zipindex``) rather than a dict.

A dict of 100,000 names costs some 10 MB beside the ``ZipInfo``s it replaced; here the lookup is
an open-addressing hash table in two ``array``s (linear probing, at most half full: 8 bytes a
slot, about 20 bytes a record): each slot holds a record's index and 32 bits of the hash of its
case-folded name, the name itself being compared with the record's own bytes. It is filled in
place, one record at a time, with no list or dict of every name even for a moment; two records
whose case-folded names are equal (``a.txt`` and ``A.txt``) meet while it is filled, which is how
duplicates are found. Python's string hash is salted per process, so nobody can choose names
that collide on purpose. Iteration follows the directory's order, without folders.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping

from seda.zipindex import CentralDirectory, Record

_MASK64 = (1 << 64) - 1


class ZipEntries(Mapping[str, int]):
    """The files of a package (folders left out), in directory order."""

    def __init__(self, directory: CentralDirectory) -> None:
        self._directory = directory
        size = 1 << max(4, (2 * len(directory)).bit_length())
        self._mask = size - 1
        self._slots = array("I", [0]) * size  # a record's index + 1; 0: empty
        self._tags = array("I", [0]) * size  # the high 32 bits of its case-folded name's hash
        self._duplicate: str | None = None
        for index in range(len(directory)):
            self._insert(index)
        self._files = sum(1 for i in range(len(directory)) if not directory.is_dir(i))

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

    def position(self, name: str) -> int | None:
        """The index of file ``name``'s record in the directory, None when there is none."""
        try:
            return self._index(name)
        except KeyError:
            return None

    def marks(self) -> ZipMarks:
        """Every file, to be crossed off one by one (``ZipMarks``)."""
        return ZipMarks(self, len(self._directory))

    def record(self, name: str) -> Record:
        """The central directory record of file ``name`` (KeyError when there is none)."""
        return self._directory.record(self._index(name))

    def duplicate(self) -> str | None:
        """A name that two records share once case-folded (a trailing ``/`` ignored), if any."""
        return self._duplicate

    def _insert(self, index: int) -> None:
        folded = self._folded(index)
        slot, tag = self._start(folded)
        while occupant := self._slots[slot]:
            twin = self._tags[slot] == tag and self._folded(occupant - 1) == folded
            if twin and self._duplicate is None:
                self._duplicate = folded
            slot = (slot + 1) & self._mask
        self._slots[slot] = index + 1
        self._tags[slot] = tag

    def _index(self, name: str) -> int:
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError:
            raise KeyError(name) from None
        if raw.endswith(b"/"):  # a folder, not a file
            raise KeyError(name)
        slot, tag = self._start(name.casefold())
        while occupant := self._slots[slot]:
            if self._tags[slot] == tag and self._directory.raw_name(occupant - 1) == raw:
                return occupant - 1
            slot = (slot + 1) & self._mask
        raise KeyError(name)

    def _start(self, folded: str) -> tuple[int, int]:
        """The first slot to probe for a case-folded name, and its tag."""
        digest = hash(folded) & _MASK64
        return digest & self._mask, digest >> 32

    def _folded(self, index: int) -> str:
        name = self._directory.raw_name(index).decode("utf-8", errors="replace")
        return name.rstrip("/").casefold()


class ZipMarks:
    """The files of a package not crossed off yet, one byte per record: what a set of every name
    would hold (some 11 MB for 100,000 files) in 100 kB."""

    def __init__(self, entries: ZipEntries, records: int) -> None:
        self._entries = entries
        self._crossed = bytearray(records)

    def discard(self, name: str) -> None:
        index = self._entries.position(name)
        if index is not None:
            self._crossed[index] = 1

    def __contains__(self, name: object) -> bool:
        index = self._entries.position(name) if isinstance(name, str) else None
        return index is not None and not self._crossed[index]
