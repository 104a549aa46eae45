"""Text of RTF files (Rich Text Format 1.9.1), read inside a worker process.

A single pass of a tokenizer over a bounded prefix of the file: groups (``{…}``) keep their
state on a stack whose depth is capped, destinations that hold no text for a reader (font and
colour tables, style sheets, pictures, embedded objects, field instructions, every ``\\*``
destination) are skipped, ``\\'hh`` bytes are decoded in the document's code page
(``\\ansicpgN``, Windows-1252 by default) and ``\\uN`` characters replace their ``\\ucN``
fallback characters. Time is linear in the size read, memory bounded by it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

from ged.adapters.extraction.plaintext import read_prefix
from ged.adapters.extraction.results import ExtractorOutput
from kernel.sandbox.failures import MalformedDocument

MAX_RTF_BYTES = 64 * 1024**2
MAX_DEPTH = 500
_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?"  # control word with its optional parameter
    rb"|\\'([0-9a-fA-F]{2})"  # a byte in the document's code page
    rb"|\\([^a-zA-Z'])"  # control symbol
    rb"|([{}])"
    rb"|([^\\{}\r\n]+)"  # plain text
    rb"|[\r\n]+"  # line ends are not text in RTF
)
_SKIPPED = frozenset(
    b"fonttbl colortbl stylesheet listtable listoverridetable info pict object objdata "
    b"themedata colorschememapping datastore latentstyles rsidtbl generator xmlnstbl "
    b"mmathPr filetbl revtbl fldinst nonshppict header footer headerl headerr footerl footerr "
    b"private pgdsctbl".split()
)
_BREAKS = {b"par": "\n", b"line": "\n", b"sect": "\n", b"page": "\n", b"row": "\n",
           b"tab": "\t", b"cell": "\t", b"emdash": "—", b"endash": "–", b"bullet": "•",
           b"lquote": "‘", b"rquote": "’", b"ldblquote": "“", b"rdblquote": "”"}  # fmt: skip
_SYMBOLS = {b"~": "\u00a0", b"_": "-", b"-": "", b"\\": "\\", b"{": "{", b"}": "}"}


@dataclass(frozen=True)
class _Group:
    skip: bool = False
    fallback: int = 1  # characters after \uN that stand for it in older readers (\ucN)


class _Reader:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.out: list[str] = []
        self.size = 0
        self.stack: list[_Group] = []
        self.group = _Group()
        self.codepage = "cp1252"
        self.pending = bytearray()  # \'hh bytes, decoded together (double-byte code pages)
        self.to_skip = 0  # fallback characters still to drop after a \uN
        self.first_in_group = False

    @property
    def full(self) -> bool:
        return self.size >= self.max_chars

    def emit(self, text: str) -> None:
        if self.group.skip or not text:
            return
        self.out.append(text)
        self.size += len(text)

    def flush(self) -> None:
        if self.pending:
            self.emit(codecs.decode(bytes(self.pending), self.codepage, "replace"))
            self.pending.clear()

    def open_group(self) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise MalformedDocument(f"RTF groups nested deeper than {MAX_DEPTH}")
        self.stack.append(self.group)
        self.first_in_group = True

    def close_group(self) -> None:
        self.group = self.stack.pop() if self.stack else self.group
        self.to_skip = 0

    def word(self, name: bytes, parameter: bytes | None) -> None:
        if self.first_in_group and name in _SKIPPED:
            self.group = replace(self.group, skip=True)
        elif name == b"ansicpg" and parameter:
            self.codepage = _codepage(parameter)
        elif name == b"uc" and parameter is not None:
            self.group = replace(self.group, fallback=max(0, int(parameter)))
        elif name == b"u" and parameter is not None:
            value = int(parameter)
            self.emit(
                chr(value + 65536 if value < 0 else value) if -32768 <= value <= 65535 else ""
            )
            self.to_skip = self.group.fallback
        elif name in _BREAKS:
            self.emit(_BREAKS[name])

    def text(self, raw: bytes) -> None:
        if self.to_skip:
            dropped = min(self.to_skip, len(raw))
            raw, self.to_skip = raw[dropped:], self.to_skip - dropped
        self.emit(raw.decode(self.codepage, "replace"))

    def byte(self, value: int) -> None:
        if self.to_skip:
            self.to_skip -= 1
            return
        self.pending.append(value)


def _codepage(parameter: bytes) -> str:
    name = f"cp{int(parameter)}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


def extract_rtf(path: str, max_chars: int) -> ExtractorOutput:
    """Text of an RTF document, at most ``max_chars`` characters."""
    raw, complete = read_prefix(path, MAX_RTF_BYTES)
    if not raw.lstrip()[:5] == b"{\\rtf":
        raise MalformedDocument("no {\\rtf header")
    reader = _Reader(max_chars)
    for match in _TOKEN.finditer(raw):
        if reader.full:
            complete = False
            break
        _feed(reader, match)
    reader.flush()
    text = re.sub(r"[ \t]*\n[ \t\n]*\n", "\n\n", "".join(reader.out).replace("\x00", ""))
    truncated = not complete or len(text) > max_chars
    return ExtractorOutput(text=text[:max_chars].strip(), truncated=truncated)


def _feed(reader: _Reader, match: re.Match[bytes]) -> None:
    word, parameter, hexbyte, symbol, brace, plain = match.groups()
    if hexbyte is not None:
        reader.byte(int(hexbyte, 16))
        return
    reader.flush()
    first, reader.first_in_group = reader.first_in_group, False
    if word is not None:
        reader.first_in_group = first
        reader.word(word, parameter)
        reader.first_in_group = False
    elif symbol is not None:
        if symbol == b"*" and first:
            reader.group = replace(reader.group, skip=True)
        else:
            reader.emit(_SYMBOLS.get(symbol, ""))
    elif brace == b"{":
        reader.open_group()
    elif brace == b"}":
        reader.close_group()
    elif plain is not None:
        reader.text(plain)
