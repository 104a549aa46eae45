"""The central directory of a zip, one offset per record (PKWARE APPNOTE 6.3: §4.3.16 end of
central directory record, §4.3.14 ZIP64 end record, §4.3.15 its locator, §4.3.12 central directory
file header, §4.5.3 ZIP64 extended information extra field).

Why not ``zipfile.ZipFile``: it reads the whole directory into memory, then builds a ``ZipInfo``
per member (some 550 bytes each) and a name → ``ZipInfo`` dict: about 60 MB held while a package
of 100,000 documents is open, twice when it is opened for the checks then for the acceptance.
Here the directory is read by blocks and only where each record starts is kept (8 bytes in an
``array``); a record is read again from the file when it is asked for (a lookup, a member's
read), the whole directory when it is iterated.

What ``zipfile`` refuses while reading the directory is refused here too (no end record, bad
signatures, a truncated directory or extra field, a ZIP64 sentinel without its ZIP64 value,
several disks, a version it cannot extract), plus what it lets pass: ZIP64 end-record values that
disagree with the classic ones, a number of records that is not the one declared.
"""

from __future__ import annotations

import os
import struct
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final, NamedTuple

from seda.errors import HostilePackage, UnreadablePackage

# signature, this disk, directory's disk, records on this disk, records, size, offset, comment length
_END: Final = struct.Struct("<4s4H2LH")
# signature, disk of the ZIP64 end record, its offset, number of disks
_LOCATOR64: Final = struct.Struct("<4sLQL")
# signature, record size, versions ×2, disks ×2, records on this disk, records, size, offset
_END64: Final = struct.Struct("<4sQ2H2L4Q")
# signature, versions ×4 bytes, flags, method, time, date, CRC-32, sizes ×2, name/extra/comment
# lengths, start disk, internal and external attributes, local header offset
_CENTRAL: Final = struct.Struct("<4s4B4HL2L5H2L")
_EXTRA_HEAD: Final = struct.Struct("<HH")
_END_SIGNATURE: Final = b"PK\x05\x06"
_ZIP64_SENTINEL: Final = 0xFFFFFFFF
_COUNT_SENTINEL: Final = 0xFFFF
_ZIP64_EXTRA_ID: Final = 0x0001
_BLOCK: Final = 256 * 1024  # the directory is read by blocks of this size
_NAME_GUESS: Final = 256  # read with a record's fixed part: most names and extra fields fit
MAX_EXTRACT_VERSION: Final = 63  # the highest "version needed to extract" zipfile accepts


class Record(NamedTuple):
    """One central directory record (§4.3.12), the fields a reader needs (a tuple: records are
    rebuilt from the arrays each time one is asked for, and a tuple is the cheapest to build)."""

    raw_name: bytes
    flags: int
    method: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int  # where the local header starts in the file (prepended data counted)
    external_attr: int

    @property
    def name(self) -> str:
        """The name for messages (undecodable bytes replaced: the package checks refuse them)."""
        return self.raw_name.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _End:
    count: int
    size: int
    offset: int
    start: int  # where the directory starts in the file
    concat: int  # bytes prepended to the archive (a self-extracting stub): start - offset


class CentralDirectory:
    """Where each record of the directory starts in the file, 8 bytes a record; a record is read
    again from the file (``os.pread``, no shared position) each time it is asked for."""

    def __init__(self, fd: int, end: _End) -> None:
        self.start = end.start  # no member's data may reach into the directory
        self._fd = fd
        self._end = end
        self._offsets = array("Q")

    def __len__(self) -> int:
        return len(self._offsets)

    @property
    def declared(self) -> int:
        """The number of records the end record announces (``read`` checks it)."""
        return self._end.count

    def read(self, visit: Callable[[int, Record], None]) -> None:
        """Read every record once, in order, each shown to ``visit`` (its index, the record)
        once its position is kept; UnreadablePackage when they are not well-formed or not as
        many as declared."""
        for at, record in _records(self._fd, self._end):
            if len(self._offsets) == self._end.count:  # a lookup table is sized on the count
                raise _corrupt(f"plus d'entrées que les {self._end.count} annoncées")
            self._offsets.append(at)
            visit(len(self._offsets) - 1, record)
        if len(self._offsets) != self._end.count:
            raise _corrupt(f"{len(self._offsets)} entrées au lieu des {self._end.count} annoncées")

    def record(self, index: int) -> Record:
        at = self._offsets[index]
        head = os.pread(self._fd, _CENTRAL.size + _NAME_GUESS, at)
        record, length = _parse(self._end, head, self.start + self._end.size - at)
        if record is None:
            record, _length = _parse(self._end, os.pread(self._fd, length, at), length)
        if record is None:  # read whole once already: the file changed since
            raise _corrupt("répertoire central modifié pendant la lecture")
        return record

    def records(self) -> Iterator[Record]:
        """Every record, in directory order, read by blocks."""
        for _at, record in _records(self._fd, self._end):
            yield record


def read_central_directory(stream: BinaryIO, max_entries: int) -> CentralDirectory:
    """The directory of the zip open in ``stream`` (seekable), its records not read yet
    (``CentralDirectory.read``); HostilePackage when it declares more than ``max_entries``
    records, UnreadablePackage when its end records are not those of a single-disk zip."""
    end = _end_record(stream)
    if end.count > max_entries:
        raise HostilePackage(f"trop d'entrées ({end.count})", code="sip_too_many_entries")
    return CentralDirectory(stream.fileno(), end)


def _records(fd: int, end: _End) -> Iterator[tuple[int, Record]]:
    """(where it starts, record) for every record of the directory, read ``_BLOCK`` at a time."""
    stop = end.start + end.size
    block, base, at = b"", end.start, 0  # ``block`` holds the file from ``base`` on
    while base + at < stop:
        record, length = _parse(end, memoryview(block)[at:], stop - base - at)
        if record is None:  # the block ends inside the record: read on from its start
            base, at = base + at, 0
            block = os.pread(fd, min(max(length, _BLOCK), stop - base), base)
            record, length = _parse(end, block, stop - base)
            if record is None:
                raise _corrupt("répertoire central tronqué")
        yield base + at, record
        at += length


def _corrupt(detail: str) -> UnreadablePackage:
    return UnreadablePackage(f"archive zip illisible : {detail}")


def _end_record(stream: BinaryIO) -> _End:
    """§4.3.16, found from the end of the file (after a comment of up to 65,535 bytes); then the
    ZIP64 locator and end record (§4.3.14–15) when the locator precedes it."""
    file_size = stream.seek(0, 2)
    if file_size < _END.size:
        raise _corrupt("pas de fin de répertoire central")
    tail_size = min(file_size, _END.size + 0xFFFF)
    stream.seek(file_size - tail_size)
    tail = stream.read(tail_size)
    at = tail_size - _END.size
    if tail[at : at + 4] != _END_SIGNATURE or tail[-2:] != b"\0\0":
        at = tail.rfind(_END_SIGNATURE)
        while at >= 0 and at + _END.size > tail_size:
            at = tail.rfind(_END_SIGNATURE, 0, at)
    if at < 0:
        raise _corrupt("pas de fin de répertoire central")
    _sig, disk, cd_disk, count_here, count, size, offset, _comment = _END.unpack_from(tail, at)
    position = file_size - tail_size + at
    if disk or cd_disk or count_here != count:
        raise _corrupt("archive en plusieurs volumes")
    zip64 = _zip64_end(stream, position, (count, size, offset))
    if zip64 is not None:
        count, size, offset, position = zip64
    start = position - size
    if start < 0 or offset > start:
        raise _corrupt("position du répertoire central incohérente")
    return _End(count, size, offset, start, start - offset)


def _zip64_end(
    stream: BinaryIO, position: int, classic: tuple[int, int, int]
) -> tuple[int, int, int, int] | None:
    """(records, size, offset, where the ZIP64 end record starts), or None without a locator."""
    if position < _LOCATOR64.size:
        return None
    stream.seek(position - _LOCATOR64.size)
    locator = stream.read(_LOCATOR64.size)
    signature, _disk, _offset, disks = _LOCATOR64.unpack(locator)
    if signature != b"PK\x06\x07":
        return None
    if disks != 1:
        raise _corrupt("archive en plusieurs volumes")
    at = position - _LOCATOR64.size - _END64.size
    if at < 0:
        raise _corrupt("fin de répertoire ZIP64 absente")
    stream.seek(at)
    fields = _END64.unpack(stream.read(_END64.size))
    if fields[0] != b"PK\x06\x06":
        raise _corrupt("fin de répertoire ZIP64 absente")
    disk, cd_disk, count_here, count, size, offset = fields[4:]
    if disk or cd_disk or count_here != count:
        raise _corrupt("archive en plusieurs volumes")
    sentinels = (_COUNT_SENTINEL, _ZIP64_SENTINEL, _ZIP64_SENTINEL)
    for old, new, sentinel in zip(classic, (count, size, offset), sentinels, strict=True):
        if old not in (sentinel, new):
            raise _corrupt("fins de répertoire classique et ZIP64 en désaccord")
    return count, size, offset, at


def _parse(end: _End, data: bytes | memoryview, left: int) -> tuple[Record | None, int]:
    """The record (§4.3.12) at the start of ``data`` and its length, or (None, the length to
    read) when ``data`` holds only part of it; ``left`` bytes of the directory remain."""
    if left < _CENTRAL.size:
        raise _corrupt("répertoire central tronqué")
    if len(data) < _CENTRAL.size:
        return None, _CENTRAL.size
    (signature, _made_by, _system, version, _reserved, flags, method, _time, _date, crc,
     compress_size, file_size, name_len, extra_len, comment_len, disk, _internal, attributes,
     offset) = _CENTRAL.unpack_from(data)  # fmt: skip
    if signature != b"PK\x01\x02":
        raise _corrupt("signature d'entrée du répertoire central invalide")
    length = _CENTRAL.size + name_len + extra_len + comment_len
    if left < length:
        raise _corrupt("répertoire central tronqué")
    if len(data) < length:
        return None, length
    if version > MAX_EXTRACT_VERSION:
        raise _corrupt(f"version zip {version / 10:.1f} non prise en charge")
    name_end = _CENTRAL.size + name_len
    if extra_len or _ZIP64_SENTINEL in (file_size, compress_size, offset) or disk:
        sizes = (file_size, compress_size, offset, disk)
        file_size, compress_size, offset, disk = _zip64_values(
            bytes(data[name_end : name_end + extra_len]), sizes
        )
        if disk:
            raise _corrupt("archive en plusieurs volumes")
    name = bytes(data[_CENTRAL.size : name_end])
    offset += end.concat  # bytes prepended to the archive
    return Record(name, flags, method, crc, compress_size, file_size, offset, attributes), length


def _zip64_values(extra: bytes, values: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Uncompressed size, compressed size, local header offset and start disk, each taken from the
    ZIP64 extra field (§4.5.3) when the record holds its sentinel; every extra field's length is
    checked, as zipfile does."""
    found = list(values)
    while len(extra) >= _EXTRA_HEAD.size:
        tag, length = _EXTRA_HEAD.unpack_from(extra)
        if _EXTRA_HEAD.size + length > len(extra):
            raise _corrupt(f"champ supplémentaire {tag:04x} tronqué")
        if tag == _ZIP64_EXTRA_ID:
            data = extra[_EXTRA_HEAD.size : _EXTRA_HEAD.size + length]
            found = _zip64_fields(data, values)
        extra = extra[_EXTRA_HEAD.size + length :]
    sentinels = (_ZIP64_SENTINEL, _ZIP64_SENTINEL, _ZIP64_SENTINEL, _COUNT_SENTINEL)
    if any(value == sentinel for value, sentinel in zip(found, sentinels, strict=True)):
        raise _corrupt("valeur ZIP64 manquante")
    return found[0], found[1], found[2], found[3]


def _zip64_fields(data: bytes, values: tuple[int, int, int, int]) -> list[int]:
    found, at = list(values), 0
    for position, width in enumerate((8, 8, 8, 4)):
        sentinel = _COUNT_SENTINEL if width == 4 else _ZIP64_SENTINEL
        if values[position] != sentinel:
            continue
        if at + width > len(data):
            raise _corrupt("valeur ZIP64 manquante")
        found[position] = int.from_bytes(data[at : at + width], "little")
        at += width
    return found
