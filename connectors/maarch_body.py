"""The JSON body of Maarch RM's `POST {url}/medona/Archivetransfer`, streamed, for the Maarch RM
connector (`connectors.maarch`).

As `src/bundle/medona/Controller/ArchiveTransfer.php` (`soumiamahieddine/enmoRM`) reads it and
Maarch Courrier's `SendMessageController.php` writes it: ``{"messageFile": base64(package),
"filename": …, "schema": "seda2", "attachments": []}``. ``ArchiveTransfer::receive``
base64-decodes ``messageFile``; a zip is extracted and the entry whose name without extension
equals ``filename``'s is the manifest, the other entries its attachments (``receiveZip``). We send
the whole SIP zip as ``messageFile`` (as Courrier's current client does), ``filename`` =
``manifest.xml`` by default. There is no chunked upload: the body is base64, 4/3 of the package.
The body is still streamed, the package base64-encoded chunk by chunk (chunks a multiple of 3
bytes, so the pieces join into one valid base64 string), never whole in memory on our side.
"""

from __future__ import annotations

import json
import math
from base64 import b64encode
from collections.abc import Iterator


def base64_size(size: int) -> int:
    """Length of the padded base64 form of `size` bytes (RFC 4648 §4)."""
    return 4 * math.ceil(size / 3)


def chunk_bytes(requested: int) -> int:
    """`requested` rounded down to a multiple of 3 (at least 3), so that no chunk but the last
    carries base64 padding."""
    return max(3, requested - requested % 3)


def encode_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Base64 of the concatenated chunks, piece by piece: every piece but the last encodes a
    multiple of 3 bytes, so the pieces join into the one base64 string of the whole. Each chunk
    is held until the next arrives, so the file's last, shorter chunk leaves as one piece."""
    carry, pending = b"", None
    for chunk in chunks:
        if pending is not None:
            data = carry + pending
            cut = len(data) - len(data) % 3
            carry = data[cut:]
            if cut:
                yield b64encode(data[:cut])
        pending = chunk
    last = carry + (pending or b"")
    if last:
        yield b64encode(last)


def transfer_body(
    chunks: Iterator[bytes], size: int, *, filename: str, schema: str
) -> tuple[int, Iterator[bytes]]:
    """The body's length and its pieces: the package (`chunks`, `size` bytes in all) in base64
    as ``messageFile``, then ``filename``, ``schema`` and no ``attachments``."""
    head, tail = _envelope(filename, schema)
    return len(head) + base64_size(size) + len(tail), _concat(head, encode_chunks(chunks), tail)


def _envelope(filename: str, schema: str) -> tuple[bytes, bytes]:
    """The JSON around the base64 string; json.dumps escapes the configured names."""
    head = b'{"messageFile":"'
    rest = {"filename": filename, "schema": schema, "attachments": []}
    tail = '",' + json.dumps(rest, separators=(",", ":"))[1:]
    return head, tail.encode("utf-8")


def _concat(head: bytes, middle: Iterator[bytes], tail: bytes) -> Iterator[bytes]:
    yield head
    yield from middle
    yield tail
