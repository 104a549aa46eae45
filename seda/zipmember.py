"""Direct reading of small stored zip members (PKWARE APPNOTE 6.3, §4.3.7 local file header).

Why: `zipfile.ZipFile.open` costs ~25 µs per member (shared-file wrapper, locking, two reads),
which dominates the digest checks of a SIP of 100,000 small files; reading the local header and
the data with two plain reads is ten times cheaper. Only members stored without compression and
up to `SMALL_MEMBER_BYTES` take this path; the others are streamed through zipfile.

The local header must agree with the central directory (signature, method, not encrypted, same
name) and the data with its CRC-32, as zipfile itself requires; otherwise the member is refused.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import BinaryIO

from seda.errors import UnreadablePackage

SMALL_MEMBER_BYTES = 1024 * 1024
# signature, version, flags, method, time, date, crc-32, sizes ×2, name length, extra length
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_SIGNATURE = b"PK\x03\x04"


def is_direct(info: zipfile.ZipInfo) -> bool:
    return info.compress_type == zipfile.ZIP_STORED and info.file_size <= SMALL_MEMBER_BYTES


def read_stored(stream: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """The data of a small stored member, read from the archive's own file handle."""
    stream.seek(info.header_offset)
    head = stream.read(_LOCAL_HEADER.size)
    if len(head) < _LOCAL_HEADER.size:
        raise UnreadablePackage(
            f"en-tête local tronqué : {info.filename}", code="sip_corrupt_entry"
        )
    signature, _version, flags, method, _time, _date, _crc, _c, _u, name_len, extra_len = (
        _LOCAL_HEADER.unpack(head)
    )
    if signature != _SIGNATURE or method != zipfile.ZIP_STORED or flags & 0x1:
        raise UnreadablePackage(
            f"en-tête local incohérent : {info.filename}", code="sip_corrupt_entry"
        )
    rest = stream.read(name_len + extra_len + info.compress_size)
    encoding = "utf-8" if flags & 0x800 else "cp437"
    if rest[:name_len] != info.orig_filename.encode(encoding, errors="replace"):
        raise UnreadablePackage(
            f"nom différent dans l'en-tête local : {info.filename}", code="sip_corrupt_entry"
        )
    data = rest[name_len + extra_len :]
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise UnreadablePackage(
            f"contenu corrompu (CRC-32) : {info.filename}", code="sip_corrupt_entry"
        )
    return data
