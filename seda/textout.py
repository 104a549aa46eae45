"""Streamed XML output for the SEDA writers: text fragments encoded and written in ~1 MB
batches (memory does not grow with the message), and files that are either complete or absent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from seda.xmltext import element

_BUFFER = 1024 * 1024
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class TextOut:
    """Text fragments, encoded and written to the stream in ~1 MB batches."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self._parts: list[str] = []
        self._size = 0

    def raw(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _BUFFER:
            self.flush()

    def value(self, name: str, value: str | None) -> None:
        """An element with escaped text; nothing when the value is None."""
        if value is not None:
            self.raw(element(name, value))

    @contextmanager
    def element(self, name: str) -> Iterator[None]:
        self.raw(f"<{name}>")
        yield
        self.raw(f"</{name}>")

    def flush(self) -> None:
        self.stream.write("".join(self._parts).encode("utf-8"))
        self._parts.clear()
        self._size = 0


def write_file(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Run `write` on `path.part`, then rename it to `path`; on any error, remove it: a refused
    message leaves no file behind."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as stream:
            write(stream)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
