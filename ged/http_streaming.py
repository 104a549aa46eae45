"""Bridges an HTTP request body (async) to the synchronous, hashing blob writer, for the API's
uploads and the web pages' alike; and names a downloaded file (RFC 6266).

The writer runs in a worker thread and pulls the body through the event loop in blocks of about
1 MiB, so a multi-GB upload never sits in memory and the thread hop is paid per block, not per
network chunk. A client that disconnects early surfaces as ``IncompleteContent``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import anyio.from_thread
from starlette.requests import ClientDisconnect, Request

from kernel.blobstore.ports import ContentTooLarge, IncompleteContent
from kernel.errors import BadRequestError, Issue

BLOCK = 1 << 20


def declared_length(request: Request, limit: int) -> int | None:
    """Refuses a declared body over the limit before a byte of it is read (413)."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdecimal():
        raise BadRequestError("Content-Length invalide", issues=[Issue("bad_content_length", raw)])
    size = int(raw)
    if size > limit:
        raise ContentTooLarge(f"Contenu de {size} octets : la limite est de {limit} octets")
    return size


class BodyReader:
    def __init__(self, request: Request) -> None:
        self._chunks: AsyncIterator[bytes] = request.stream().__aiter__()
        self._done = False

    async def next_block(self) -> bytes:
        if self._done:
            return b""
        parts: list[bytes] = []
        size = 0
        try:
            while size < BLOCK:
                chunk = await self._chunks.__anext__()
                parts.append(chunk)
                size += len(chunk)
        except StopAsyncIteration:
            self._done = True
        except ClientDisconnect as exc:
            raise IncompleteContent("Le client a interrompu l'envoi du contenu") from exc
        return b"".join(parts)

    def blocks(self) -> Iterator[bytes]:
        """Called from the worker thread (anyio.to_thread / run_in_threadpool)."""
        while True:
            block = anyio.from_thread.run(self.next_block)
            if not block:
                return
            yield block


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback with anything risky replaced, plus the exact UTF-8 name."""
    fallback = (
        "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in name)
        or "document"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


__all__ = ["BodyReader", "ContentTooLarge", "content_disposition", "declared_length"]
