"""Helpers for playing a connector's remote side: a transport that watches how request bodies are
streamed, and real corpus replies readdressed to our transfer."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx


class StreamProbe(httpx.MockTransport):
    """Looks at each request body as the client hands it over, before the remote reads it."""

    def __init__(self, remote: Callable[[httpx.Request], httpx.Response]) -> None:
        super().__init__(remote)
        self.stream_types: list[type] = []
        self.pieces: list[list[int]] = []  # per request, the size of each chunk the client gave

    @property
    def chunk_counts(self) -> list[int]:
        return [len(sizes) for sizes in self.pieces]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.stream_types.append(type(request.stream))
        assert isinstance(request.stream, httpx.SyncByteStream)
        chunks = list(request.stream)
        self.pieces.append([len(c) for c in chunks])
        request.stream = httpx.ByteStream(b"".join(chunks))
        return super().handle_request(request)


def retarget(xml: bytes, element: str, identifier: str) -> bytes:
    """The sample with the text of its first `element` replaced by `identifier`."""
    pattern = re.compile(rb"(<(?:\w+:)?" + element.encode() + rb">)[^<]*(</)")
    changed, count = pattern.subn(rb"\g<1>" + identifier.encode() + rb"\g<2>", xml, count=1)
    assert count == 1, f"{element} absent de l'échantillon"
    return changed
