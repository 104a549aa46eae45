"""The files of a zip package as a read-only mapping, name → uncompressed size, over its central
directory (``seda.zipindex``) rather than a dict.

A dict of 100,000 names costs some 10 MB beside the ``ZipInfo``s it replaced; here the lookup is an
open-addressing hash table in two ``array``s (linear probing, at most half full: 8 bytes a slot,
about 20 bytes a record): each slot holds a record's index and 32 bits of the hash of its
case-folded name, the name itself being compared with the record's own bytes (read again from the
file, ``seda.zipindex``). It is filled in place, one record at a time, with no list or dict of
every name even for a moment; two records whose case-folded names are equal (``a.txt`` and
``A.txt``) meet while it is filled, which is how duplicates are found. Python's string hash is
salted per process, so nobody can choose names that collide on purpose. Iteration follows the
directory's order, without folders.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping

from seda.zipindex import CentralDirectory, Record

_MASK64 = (1 << 64) - 1


class ZipEntries(Mapping[str, int]):
    """The files of a package (folders left out), in directory order; filled by ``add``, one
    record after the other."""

    def __init__(self, directory: CentralDirectory) -> None:
        self._directory = directory
        size = 1 << max(4, (2 * directory.declared).bit_length())  # filled as it is read
        self._mask = size - 1
        self._slots = array("I", [0]) * size  # a record's index + 1; 0: empty
        self._tags = array("I", [0]) * size  # the high 32 bits of its case-folded name's hash
        self._duplicate: str | None = None
        self._files = 0

    def add(self, index: int, record: Record) -> None:
        """Enter the directory's record ``index``; a twin (once case-folded) is kept aside."""
        folded = _folded(record.raw_name)
        slot, tag = self._start(folded)
        while occupant := self._slots[slot]:
            twin = self._tags[slot] == tag and _folded(self._raw_name(occupant - 1)) == folded
            if twin and self._duplicate is None:
                self._duplicate = folded
            slot = (slot + 1) & self._mask
        self._slots[slot] = index + 1
        self._tags[slot] = tag
        self._files += not record.raw_name.endswith(b"/")

    def __getitem__(self, name: str) -> int:
        return self.record(name).file_size

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.position(name) is not None

    def __iter__(self) -> Iterator[str]:
        for record in self._directory.records():
            if not record.raw_name.endswith(b"/"):
                yield record.raw_name.decode("utf-8")

    def __len__(self) -> int:
        return self._files

    def position(self, name: str) -> int | None:
        """The index of file ``name``'s record in the directory, None when there is none."""
        found = self._find(name)
        return None if found is None else found[0]

    def marks(self) -> ZipMarks:
        """Every file, to be crossed off one by one (``ZipMarks``)."""
        return ZipMarks(self, len(self._directory))

    def record(self, name: str) -> Record:
        """The central directory record of file ``name`` (KeyError when there is none)."""
        found = self._find(name)
        if found is None:
            raise KeyError(name)
        return found[1]

    def duplicate(self) -> str | None:
        """A name that two records share once case-folded (a trailing ``/`` ignored), if any."""
        return self._duplicate

    def _find(self, name: str) -> tuple[int, Record] | None:
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError:
            return None
        if raw.endswith(b"/"):  # a folder, not a file
            return None
        slot, tag = self._start(name.casefold())
        while occupant := self._slots[slot]:
            if self._tags[slot] == tag:
                record = self._directory.record(occupant - 1)
                if record.raw_name == raw:
                    return occupant - 1, record
            slot = (slot + 1) & self._mask
        return None

    def _start(self, folded: str) -> tuple[int, int]:
        """The first slot to probe for a case-folded name, and its tag."""
        digest = hash(folded) & _MASK64
        return digest & self._mask, digest >> 32

    def _raw_name(self, index: int) -> bytes:
        return self._directory.record(index).raw_name


def _folded(raw_name: bytes) -> str:
    return raw_name.decode("utf-8", errors="replace").rstrip("/").casefold()


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
