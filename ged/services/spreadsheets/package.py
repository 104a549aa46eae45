"""The zip container of a workbook (PKWARE APPNOTE 6.3) and the streaming read of its XML parts.

Before ``zipfile`` builds one object per entry, the central directory's size is read from the
end records the same way ``zipfile`` finds them (§4.3.16, and the ZIP64 record of §4.3.14 just
before its locator), so a few megabytes of empty entries cannot cost hundreds of megabytes.

XML parts are fed in blocks to an lxml target parser: no tree is built, the handler sees start
tags, text and end tags, and memory is what the handler keeps. Every inflated byte counts
against one budget for the whole workbook (a zip bomb stops there); a DOCTYPE is refused (no
DTD, hence no entity, internal or external), and so is nesting deeper than the limit.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Protocol, cast

from lxml import etree

from ged.services.spreadsheets.bounds import (
    SheetLimits,
    french_number,
    limit_exceeded,
    unreadable,
)

BLOCK = 64 * 1024
_END = struct.Struct("<4s4H2LH")  # §4.3.16: signature … size and offset of the directory
_END64 = struct.Struct("<4sQ2H2L2Q2Q")  # §4.3.14
_LOCATOR_SIZE = 20  # §4.3.15


class Handler(Protocol):
    """Receives one XML part as events; tags are ``{namespace}local``."""

    def start(self, tag: str, attrib: Mapping[str, str]) -> None: ...
    def end(self, tag: str) -> None: ...
    def data(self, text: str) -> None: ...


class StopReading(Exception):
    """Raised by a handler that has read all it needs: the rest of the part is skipped."""


class Package:
    """A workbook's zip archive, its parts read through one budget of inflated bytes."""

    def __init__(self, data: bytes, limits: SheetLimits) -> None:
        self._limits = limits
        if _directory_size(data) > limits.max_directory_bytes:
            raise limit_exceeded("table des matières de l'archive démesurée")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, NotImplementedError) as exc:
            raise unreadable(f"archive zip invalide ({exc})") from None
        members = self._zip.namelist()
        if len(members) > limits.max_members:
            raise limit_exceeded(f"plus de {french_number(limits.max_members)} fichiers")
        # Part names compare without regard to case (ECMA-376 Part 2, §9.1.1.1).
        self._names = {member.casefold(): member for member in members}
        self._left = limits.max_xml_bytes

    def find(self, name: str) -> str | None:
        """The member holding part ``name`` (a path inside the archive), if any."""
        return self._names.get(name.lstrip("/").casefold())

    def parse(self, name: str, handler: Handler) -> None:
        """Streams part ``name`` through ``handler``; a missing part is an unreadable workbook."""
        member = self.find(name)
        if member is None:
            raise unreadable(f"partie « {name} » absente")
        # lxml hands a target str only (the stubs also allow bytes), and needs no comment().
        target = cast("etree.ParserTarget", _Target(handler, self._limits.max_depth))
        parser = etree.XMLParser(
            target=target,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        try:
            self._feed(member, parser)
        except StopReading:
            return
        except etree.XMLSyntaxError as exc:
            raise unreadable(f"XML invalide dans « {name} » ({exc})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise unreadable(f"« {name} » illisible ({exc})") from None

    def _feed(self, name: str, parser: etree.XMLParser) -> None:
        with self._zip.open(name) as stream:
            while block := stream.read(BLOCK):
                self._left -= len(block)
                if self._left < 0:
                    limit = french_number(self._limits.max_xml_bytes >> 20)
                    raise limit_exceeded(f"plus de {limit} Mio de XML une fois décompressé")
                parser.feed(block)
        parser.close()


class _Target:
    """lxml's parser target: forwards events, counts depth, refuses any DOCTYPE."""

    def __init__(self, handler: Handler, max_depth: int) -> None:
        self._handler = handler
        self._max_depth = max_depth
        self._depth = 0
        self.data = handler.data  # called for every text node: no extra frame

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise limit_exceeded(f"XML imbriqué sur plus de {self._max_depth} niveaux")
        self._handler.start(tag, attrib)

    def end(self, tag: str) -> None:
        self._depth -= 1
        self._handler.end(tag)

    def doctype(self, *_declaration: object) -> None:
        raise unreadable("DTD interdite (entités XML)")

    def close(self) -> None:
        return None


def _directory_size(data: bytes) -> int:
    """The central directory's size as ``zipfile`` will read it (0 when there is none)."""
    at = _end_record(data)
    if at < 0:
        return 0  # not a zip: zipfile says so
    size: int = _END.unpack_from(data, at)[5]
    locator = at - _LOCATOR_SIZE
    if locator >= _END64.size and data.startswith(b"PK\x06\x07", locator):
        record = _END64.unpack_from(data, locator - _END64.size)
        if record[0] == b"PK\x06\x06":
            size = record[8]
    return size


def _end_record(data: bytes) -> int:
    """Where the end record is, found as ``zipfile`` finds it: the last 22 bytes when they hold
    one without a comment, else the last signature in the 64 KiB a comment may take."""
    last = len(data) - _END.size
    if last >= 0 and data.startswith(b"PK\x05\x06", last) and data.endswith(b"\0\0"):
        return last
    at = data.rfind(b"PK\x05\x06", max(0, last - (1 << 16)))
    return at if 0 <= at <= last else -1
