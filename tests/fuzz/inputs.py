"""Hostile inputs for the parser fuzz tests: a seed corpus of real messages (the SEDA samples,
the committed crash reproducers) mutated the way an attacker or a broken exporter would
(truncation, spliced bytes, a DTD with entities, deep nesting, a huge attribute). Hypothesis
shrinks a failure to its smallest input; the long run keeps what it found in its example
database (``tests/fuzz/corpus``) and a reproducer is committed under ``tests/fuzz/crashes``."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from hypothesis import strategies as st

from tests.fixtures.seda_corpus import shared_path

CRASHES: Final = Path(__file__).parent / "crashes"
MAX_SEED_BYTES: Final = 64 * 1024
HOSTILE_XML: Final = (
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
    b"<a>&y;&y;</a>",
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
    b"<a>" * 5000 + b"</a>" * 5000,
    b'<a b="' + b"x" * (2 * 1024 * 1024) + b'"/>',
    b"<?xml version='1.0' encoding='utf-16'?><a/>",
    b"\xef\xbb\xbf<a xmlns='fr:gouv:culture:archivesdefrance:seda:v2.1'/>",
    b"",
)


def _seeds() -> list[bytes]:
    found = sorted(shared_path("samples").rglob("*.xml"))
    small = [p for p in found if p.stat().st_size <= MAX_SEED_BYTES]
    step = max(1, len(small) // 40)
    crashes = sorted(CRASHES.glob("*.xml")) if CRASHES.is_dir() else []
    return [p.read_bytes() for p in small[::step][:40] + crashes]


SEEDS: Final = _seeds()


@st.composite
def hostile_xml(draw: st.DrawFn) -> bytes:
    """A seed, hostile or real, with up to four mutations."""
    data = bytearray(draw(st.sampled_from(SEEDS + list(HOSTILE_XML))))
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(("cut", "insert", "replace", "doctype", "nest")))
        if kind == "cut":
            del data[where:]
        elif kind == "insert":
            data[where:where] = draw(st.binary(max_size=32))
        elif kind == "replace":
            data[where : where + 1] = draw(st.binary(min_size=1, max_size=1))
        elif kind == "doctype":
            data[0:0] = b'<!DOCTYPE r [<!ENTITY z "zz">]>'
        else:
            depth = draw(st.integers(1, 3000))
            data[where:where] = b"<n>" * depth + b"</n>" * depth
    return bytes(data)
