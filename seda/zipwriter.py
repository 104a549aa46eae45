"""Writing a zip of stored members whose memory does not grow with their number (PKWARE
APPNOTE 6.3: §4.3.7 local file header, §4.3.12 central directory, §4.3.14–16 ZIP64 end records,
§4.5.3 ZIP64 extra field).

``zipfile.ZipFile`` keeps one ``ZipInfo`` per member until it writes the central directory at
the end: some 550 bytes each, 55 MB for a package of 100,000 documents. Here each member's
central directory record is written to a spool file on disk as soon as the member is done, and
copied after the last member. Members are stored (no compression), their local header carrying
the ZIP64 extra field as ``zipfile`` writes it with ``force_zip64`` (so a member of any size
needs no rewrite of the header's length), CRC-32 and sizes written back into the header once
the data is written (the target must be seekable). The end records are ZIP64 ones when the
members, the offsets or the directory need them, as ``zipfile`` decides.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, Final

_LOCAL: Final = struct.Struct("<4s2B4HL2L2H")
_CENTRAL: Final = struct.Struct("<4s4B4HL2L5H2L")
_END: Final = struct.Struct("<4s4H2LH")
_END64: Final = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64: Final = struct.Struct("<4sLQL")
_ZIP64_EXTRA: Final = struct.Struct("<HHQQ")  # header id, size, uncompressed, compressed
_LIMIT: Final = 0xFFFFFFFF
_COUNT_LIMIT: Final = 0xFFFF
_VERSION: Final = 45  # ZIP64
_UNIX: Final = 3  # "version made by": the host system, as zipfile writes on POSIX
_UTF8: Final = 0x800
_CRC_OFFSET: Final = 14  # of CRC-32 then the two sizes, in the local header


def dos_time(seconds: float | None = None) -> tuple[int, int, int, int, int, int]:
    """The local time as zip stores it (``zipfile``'s ``date_time``)."""
    t = time.localtime(seconds)
    return (max(t.tm_year, 1980), t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


class ZipWriter:
    """Members added one after the other to ``target``; the directory is written when the
    ``with`` block ends (``close``), and only the spool is removed if it ends by an error."""

    def __init__(self, target: BinaryIO, spool_dir: Path | None = None) -> None:
        self.target = target
        self.directory: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115
        self.count = 0
        self.start = target.tell()

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is None:
            self.close()
        self.directory.close()

    @contextmanager
    def open(
        self,
        name: str,
        date_time: tuple[int, int, int, int, int, int] | None = None,
        mode: int = 0o600,
    ) -> Iterator[_Member]:
        """A stored member to write; its header is completed when the block ends."""
        encoded, flags = _encode(name)
        dostime, dosdate = _dos(date_time or dos_time())
        offset = self.target.tell() - self.start
        self.target.write(
            _LOCAL.pack(
                b"PK\x03\x04",
                _VERSION,
                0,
                flags,
                0,
                dostime,
                dosdate,
                0,
                _LIMIT,
                _LIMIT,
                len(encoded),
                _ZIP64_EXTRA.size,
            )
            + encoded
            + _ZIP64_EXTRA.pack(1, 16, 0, 0)
        )
        member = _Member(self.target)
        yield member
        end = self.target.tell()
        self.target.seek(self.start + offset + _CRC_OFFSET)
        self.target.write(struct.pack("<L", member.crc))
        self.target.seek(self.start + offset + _LOCAL.size + len(encoded) + 4)
        self.target.write(struct.pack("<QQ", member.size, member.size))
        self.target.seek(end)
        self._central(encoded, flags, dostime, dosdate, member, offset, mode)

    def write(self, name: str, data: bytes) -> None:
        with self.open(name) as member:
            member.write(data)

    def _central(
        self,
        encoded: bytes,
        flags: int,
        dostime: int,
        dosdate: int,
        member: _Member,
        offset: int,
        mode: int,
    ) -> None:
        extra = b""
        size = member.size
        if size > _LIMIT:
            extra += struct.pack("<QQ", size, size)
        if offset > _LIMIT:
            extra += struct.pack("<Q", offset)
        if extra:
            extra = struct.pack("<HH", 1, len(extra)) + extra
        small = min(size, _LIMIT)
        self.directory.write(
            _CENTRAL.pack(
                b"PK\x01\x02",
                _VERSION,
                _UNIX,
                _VERSION,
                0,
                flags,
                0,
                dostime,
                dosdate,
                member.crc,
                small,
                small,
                len(encoded),
                len(extra),
                0,
                0,
                0,
                (mode & 0xFFFF) << 16,
                min(offset, _LIMIT),
            )
            + encoded
            + extra
        )
        self.count += 1

    def close(self) -> None:
        """The central directory, then the end records (ZIP64 ones when needed)."""
        if self.directory.closed:
            return
        where = self.target.tell() - self.start
        self.directory.seek(0)
        shutil.copyfileobj(self.directory, self.target, 1024 * 1024)
        size = self.directory.tell()
        self.directory.close()
        if self.count > _COUNT_LIMIT or where > _LIMIT or size > _LIMIT:
            end64 = self.target.tell() - self.start
            self.target.write(
                _END64.pack(
                    b"PK\x06\x06",
                    _END64.size - 12,
                    _VERSION,
                    _VERSION,
                    0,
                    0,
                    self.count,
                    self.count,
                    size,
                    where,
                )
                + _LOCATOR64.pack(b"PK\x06\x07", 0, end64, 1)
            )
        count = min(self.count, _COUNT_LIMIT)
        self.target.write(
            _END.pack(b"PK\x05\x06", 0, 0, count, count, min(size, _LIMIT), min(where, _LIMIT), 0)
        )


class _Member:
    """A member's data: written through, CRC-32 and size counted on the way."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.crc = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _encode(name: str) -> tuple[bytes, int]:
    """The name as zipfile encodes it: ASCII as is, otherwise UTF-8 with the flag that says so."""
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8


def _dos(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day
