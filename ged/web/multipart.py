"""A multipart/form-data body (RFC 7578) read as it arrives, so that the files of a web form
stream into the blob store exactly as the API's raw uploads do: never whole in memory, never
spooled to a temporary file first.

``next_part`` gives the header of each part in turn; a small text field is read whole
(``read_field``, at most ``MAX_FIELD`` bytes); a file's bytes are pulled from the storage
writer's thread in blocks of about 1 MiB (``blocks``), the parser advancing only as fast as the
writer consumes. A client that disconnects surfaces as ``IncompleteContent``; a body that is
not multipart, or malformed, as a 400.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.from_thread
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from kernel.blobstore.ports import IncompleteContent
from kernel.errors import BadRequestError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

BLOCK = 1 << 20
MAX_FIELD = 64 * 1024


class MalformedForm(BadRequestError):
    code = "malformed_form"
    title = "Formulaire mal formé"


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None  # None for a text field; "" for a file input left empty
    content_type: str


class StreamingForm:
    def __init__(self, request: Request) -> None:
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise MalformedForm("Formulaire attendu (multipart/form-data)")
        self._chunks: AsyncIterator[bytes] = request.stream().__aiter__()
        self._events: deque[tuple[str, object]] = deque()
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._parser = MultipartParser(boundary, self._callbacks())
        self._finished = False
        self._in_part = False

    async def next_part(self) -> Part | None:
        """The next part's header (the rest of the current part is skipped); None at the end."""
        while self._in_part:
            kind, _ = await self._event()
            self._in_part = kind != "end"
        while (event := await self._next_event()) is not None:
            kind, value = event
            if kind == "begin" and isinstance(value, Part):
                self._in_part = True
                return value
        return None

    async def read_field(self) -> str:
        """The whole value of the current (text) part."""
        value = b""
        while block := await self.next_block():
            value += block
            if len(value) > MAX_FIELD:
                raise MalformedForm("Champ de formulaire trop long")
        return value.decode("utf-8", "replace")

    async def next_block(self) -> bytes:
        """About 1 MiB of the current part; b"" once it is over."""
        parts: list[bytes] = []
        size = 0
        while self._in_part and size < BLOCK:
            kind, value = await self._event()
            if kind == "end":
                self._in_part = False
            elif isinstance(value, bytes):
                parts.append(value)
                size += len(value)
        return b"".join(parts)

    def blocks(self) -> Iterator[bytes]:
        """The current part's bytes, for the storage writer's thread (run_in_threadpool)."""
        while block := anyio.from_thread.run(self.next_block):
            yield block

    # -- feeding the parser ------------------------------------------------------------------
    async def _event(self) -> tuple[str, object]:
        event = await self._next_event()
        if event is None:
            raise IncompleteContent("Le formulaire s'est interrompu avant sa fin")
        return event

    async def _next_event(self) -> tuple[str, object] | None:
        while not self._events:
            if self._finished:
                return None
            await self._pump()
        return self._events.popleft()

    async def _pump(self) -> None:
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._finished = True
            self._parser.finalize()
            return
        except ClientDisconnect as exc:
            raise IncompleteContent("Le client a interrompu l'envoi du formulaire") from exc
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise MalformedForm("Formulaire mal formé") from exc

    def _callbacks(self) -> MultipartCallbacks:
        def begin() -> None:
            self._headers = {}

        def field(data: bytes, start: int, end: int) -> None:
            self._field += data[start:end]

        def value(data: bytes, start: int, end: int) -> None:
            self._value += data[start:end]

        def header_end() -> None:
            self._headers[self._field.lower()] = self._value
            self._field, self._value = b"", b""

        def headers_done() -> None:
            self._events.append(("begin", _part(self._headers)))

        def data(chunk: bytes, start: int, end: int) -> None:
            self._events.append(("data", bytes(chunk[start:end])))

        def end() -> None:
            self._events.append(("end", None))

        return {
            "on_part_begin": begin,
            "on_header_field": field,
            "on_header_value": value,
            "on_header_end": header_end,
            "on_headers_finished": headers_done,
            "on_part_data": data,
            "on_part_end": end,
        }


def _part(headers: dict[bytes, bytes]) -> Part:
    _, options = parse_options_header(headers.get(b"content-disposition", b""))
    filename = options.get(b"filename")
    return Part(
        name=options.get(b"name", b"").decode("utf-8", "replace"),
        filename=None if filename is None else filename.decode("utf-8", "replace"),
        content_type=headers.get(b"content-type", b"application/octet-stream").decode("latin-1"),
    )
