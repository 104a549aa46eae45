"""Reading the members of a zip straight from its file (PKWARE APPNOTE 6.3: §4.3.7 local file
header, §4.4.4 general purpose flags, §4.4.5 compression method, §4.5.3 ZIP64 extra field; raw
deflate, RFC 1951).

A member's local header must agree with its central directory record (signature, same name,
same method, not encrypted; same CRC-32 and sizes unless a data descriptor carries them) and its
data with the record's CRC-32 and size once read to the end, as ``zipfile`` requires; otherwise
``zipfile.BadZipFile`` (or ``EOFError`` for a member cut short) is raised, the exceptions every
reader of ``zipfile`` streams already handles. Only stored and deflated members are read.

Reads go through ``os.pread`` on one descriptor: the manifest is parsed while the files it names
are read, and no stream moves another's position.

Small members (up to ``SMALL_MEMBER_BYTES``, stored or deflated) are read in one call
(``read_small``): ``zipfile.ZipFile.open`` cost ~25 µs per member, which dominated the digest
checks of a SIP of 100,000 small files. The others are streamed (``MemberReader``), deflated ones
through ``zlib.decompressobj(-15)`` never asked for more output than the caller reads.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING, Final

from seda.zipindex import Record

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

SMALL_MEMBER_BYTES = 1024 * 1024
STORED: Final = 0
DEFLATED: Final = 8
SUPPORTED_METHODS: Final = (STORED, DEFLATED)
# signature, version, flags, method, time, date, crc-32, sizes ×2, name length, extra length
_LOCAL_HEADER: Final = struct.Struct("<4sHHHHHLLLHH")
_SIGNATURE: Final = b"PK\x03\x04"
_ENCRYPTED: Final = 0x41  # bit 0 encrypted, bit 6 strong encryption
_DATA_DESCRIPTOR: Final = 0x8  # CRC-32 and sizes follow the data, the header holds zeros
_ZIP64_SIZES: Final = struct.Struct("<HHQQ")  # id 0x0001, length, uncompressed, compressed
_SENTINEL: Final = 0xFFFFFFFF
_CHUNK: Final = 64 * 1024
_EXTRA_GUESS: Final = 64  # read with the header: a ZIP64 extra field takes 20 bytes


def is_direct(record: Record) -> bool:
    """Whether the member is small enough to be read in one call (``read_small``)."""
    return max(record.file_size, record.compress_size) <= SMALL_MEMBER_BYTES


def read_small(fd: int, record: Record) -> bytes:
    """The data of a small member, its header, size and CRC-32 checked: one read of header and
    data when the local header's extra field is no longer than ``_EXTRA_GUESS``, then inflated
    at once if deflated (never past the declared size)."""
    guess = _LOCAL_HEADER.size + len(record.raw_name) + _EXTRA_GUESS + record.compress_size
    block = os.pread(fd, guess, record.header_offset)
    start = _data_start(fd, record, block) - record.header_offset
    data = block[start : start + record.compress_size]
    if start + record.compress_size > len(block):
        data = os.pread(fd, record.compress_size, record.header_offset + start)
    if len(data) != record.compress_size:
        raise EOFError(f"entrée tronquée : {record.name}")
    complete = True
    if record.method == DEFLATED:
        inflate = zlib.decompressobj(-15)
        data = inflate.decompress(data, record.file_size + 1)
        complete = inflate.eof
    if len(data) > record.file_size:
        raise zipfile.BadZipFile(f"contenu plus long que déclaré : {record.name}")
    if len(data) < record.file_size or not complete:
        raise EOFError(f"entrée tronquée : {record.name}")
    if zlib.crc32(data) != record.crc:
        raise zipfile.BadZipFile(f"contenu corrompu (CRC-32) : {record.name}")
    return data


def open_member(fd: int, record: Record) -> io.BufferedReader:
    """A stream of the member's uncompressed bytes (its header checked now, its data as read)."""
    head = os.pread(
        fd, _LOCAL_HEADER.size + len(record.raw_name) + _EXTRA_GUESS, record.header_offset
    )
    return io.BufferedReader(MemberReader(fd, record, _data_start(fd, record, head)), _CHUNK)


class MemberReader(io.RawIOBase):
    """The bytes of one member; at its end, their count and CRC-32 are the record's."""

    def __init__(self, fd: int, record: Record, start: int) -> None:
        super().__init__()
        self._fd, self._at, self._record = fd, start, record
        self._compressed_left = record.compress_size
        self._left = record.file_size
        self._crc = 0
        self._inflate = zlib.decompressobj(-15) if record.method == DEFLATED else None
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        view[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        if self._ended or size == 0:
            return b""
        data = self._next(size)
        self._crc = zlib.crc32(data, self._crc)
        self._left -= len(data)
        if self._left < 0:
            raise zipfile.BadZipFile(f"contenu plus long que déclaré : {self._record.name}")
        if not data:
            self._end()
        return data

    def _next(self, size: int) -> bytes:
        if self._inflate is None:
            return self._compressed(min(size, self._compressed_left))
        while True:
            source = self._inflate.unconsumed_tail or self._compressed(
                min(_CHUNK, self._compressed_left)
            )
            if not source:
                return self._inflate.flush()  # input all consumed: what is left is small
            data = self._inflate.decompress(source, size)
            if data or self._inflate.eof:
                return data

    def _compressed(self, size: int) -> bytes:
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, self._at)
        if not data:
            raise EOFError(f"entrée tronquée : {self._record.name}")
        self._at += len(data)
        self._compressed_left -= len(data)
        return data

    def _end(self) -> None:
        self._ended = True
        if self._left or (self._inflate is not None and not self._inflate.eof):
            raise EOFError(f"entrée tronquée : {self._record.name}")
        if self._crc != self._record.crc:
            raise zipfile.BadZipFile(f"contenu corrompu (CRC-32) : {self._record.name}")


def _data_start(fd: int, record: Record, block: bytes) -> int:
    """Where the member's data starts, once its local header agrees with ``record``; ``block``
    is what was read from the header on (read again if too short to hold name and extra)."""
    if len(block) < _LOCAL_HEADER.size:
        raise EOFError(f"en-tête local tronqué : {record.name}")
    signature, _version, flags, method, _time, _date, crc, compressed, size, name_len, extra_len = (
        _LOCAL_HEADER.unpack_from(block)
    )
    if signature != _SIGNATURE or method != record.method or flags & _ENCRYPTED:
        raise zipfile.BadZipFile(f"en-tête local incohérent : {record.name}")
    if method not in SUPPORTED_METHODS or (
        method == STORED and record.compress_size != record.file_size
    ):
        raise zipfile.BadZipFile(f"méthode de compression non prise en charge : {record.name}")
    start: int = record.header_offset + _LOCAL_HEADER.size
    rest = block[_LOCAL_HEADER.size : _LOCAL_HEADER.size + name_len + extra_len]
    if len(rest) < name_len + extra_len:
        rest = os.pread(fd, name_len + extra_len, start)
    if rest[:name_len] != record.raw_name:
        raise zipfile.BadZipFile(f"nom différent dans l'en-tête local : {record.name}")
    if not flags & _DATA_DESCRIPTOR:
        sizes = _local_sizes(rest[name_len:], compressed, size)
        if (crc, *sizes) != (record.crc, record.compress_size, record.file_size):
            raise zipfile.BadZipFile(f"en-tête local incohérent : {record.name}")
    return start + int(name_len) + int(extra_len)


def _local_sizes(extra: bytes, compressed: int, size: int) -> tuple[int, int]:
    """(compressed, uncompressed) sizes of a local header, from its ZIP64 extra field when it
    holds the sentinel (there both sizes are present, §4.5.3)."""
    if _SENTINEL not in (compressed, size):
        return compressed, size
    while len(extra) >= 4:
        tag, length = struct.unpack_from("<HH", extra)
        if tag == 0x0001 and length >= 16 and len(extra) >= _ZIP64_SIZES.size:
            _tag, _length, size, compressed = _ZIP64_SIZES.unpack_from(extra)
            return compressed, size
        extra = extra[4 + length :]
    return compressed, size
