"""Message digests of SEDA data objects (`MessageDigest`, BinaryType = base64Binary | hexBinary).

The `algorithm` attribute is a free code: Vitam writes `SHA-512`, As@lae/Pastell write XML-DSig /
XML-Enc URIs such as `http://www.w3.org/2001/04/xmlenc#sha256`. Both spellings are accepted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from typing import IO

_NAMES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SHA-384": "sha384",
    "SHA384": "sha384",
    "SHA-512": "sha512",
    "SHA512": "sha512",
    "HTTP://WWW.W3.ORG/2000/09/XMLDSIG#SHA1": "sha1",
    "HTTP://WWW.W3.ORG/2001/04/XMLENC#SHA256": "sha256",
    "HTTP://WWW.W3.ORG/2001/04/XMLDSIG-MORE#SHA384": "sha384",
    "HTTP://WWW.W3.ORG/2001/04/XMLENC#SHA512": "sha512",
    "HTTP://WWW.W3.ORG/2001/04/XMLDSIG-MORE#MD5": "md5",
    # Library of Congress vocabulary, used by As@lae in SEDA 1.0 `Integrity/@algorithme`
    "HTTP://ID.LOC.GOV/VOCABULARY/CRYPTOGRAPHICHASHFUNCTIONS/SHA-1": "sha1",
    "HTTP://ID.LOC.GOV/VOCABULARY/CRYPTOGRAPHICHASHFUNCTIONS/SHA-256": "sha256",
    "HTTP://ID.LOC.GOV/VOCABULARY/CRYPTOGRAPHICHASHFUNCTIONS/SHA-512": "sha512",
}
_CHUNK = 1024 * 1024


def hashlib_name(algorithm: str | None) -> str | None:
    """The hashlib name of a SEDA digest algorithm code, or None when we do not know it."""
    return _NAMES.get((algorithm or "").strip().upper())


def decode_digest(value: str) -> set[bytes]:
    """The raw digests a BinaryType value may stand for (hex and/or base64 reading)."""
    text = "".join(value.split())
    readings: set[bytes] = set()
    with contextlib.suppress(ValueError):
        readings.add(bytes.fromhex(text))
    with contextlib.suppress(binascii.Error, ValueError):
        readings.add(base64.b64decode(text, validate=True))
    return readings


def digest_matches(declared: str, raw: bytes) -> bool:
    text = "".join(declared.split())
    # Compare encoded forms first (no decoding in the common case), then every reading.
    if text.lower() == raw.hex() or text == base64.b64encode(raw).decode("ascii"):
        return True
    return raw in decode_digest(text)


def hash_chunks(name: str, chunks: Iterable[bytes]) -> tuple[bytes, int]:
    """Digest and byte count of a stream given as chunks."""
    h = hashlib.new(name)
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return h.digest(), size


def read_chunks(stream: IO[bytes], chunk: int = _CHUNK) -> Iterator[bytes]:
    while data := stream.read(chunk):
        yield data
