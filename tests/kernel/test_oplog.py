from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kernel.oplog import GENESIS, LogEntry, entry_hash, verify_chain


def make_chain(n: int) -> list[LogEntry]:
    entries: list[LogEntry] = []
    prev = GENESIS
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        fields = {
            "seq": seq,
            "at": start + timedelta(minutes=seq),
            "organisation_id": "org",
            "actor": "alice",
            "action": "document.create",
            "object_type": "document",
            "object_id": f"doc-{seq}",
            "details": {"n": seq},
            "prev_hash": prev,
        }
        digest = entry_hash(**fields)  # type: ignore[arg-type]
        entries.append(LogEntry(**fields, hash=digest))  # type: ignore[arg-type]
        prev = digest
    return entries


def test_intact_chain_verifies() -> None:
    report = verify_chain(make_chain(5))
    assert report.ok and report.entries == 5
    assert report.head == make_chain(5)[-1].hash


def test_edited_entry_is_named() -> None:
    chain = make_chain(5)
    chain[2] = replace(chain[2], details={"n": 999})
    bad = verify_chain(chain).first_break
    assert bad is not None and (bad.seq, bad.reason) == (3, "edited")


def test_deleted_entry_breaks_at_the_next_one() -> None:
    chain = make_chain(5)
    del chain[1]
    bad = verify_chain(chain).first_break
    assert bad is not None and bad.seq == 3 and bad.reason == "deleted_or_inserted"


def test_inserted_entry_is_named() -> None:
    chain = make_chain(5)
    forged = replace(chain[1], object_id="forged")
    forged = replace(
        forged, hash=entry_hash(**{k: v for k, v in forged.__dict__.items() if k != "hash"})
    )
    chain.insert(2, forged)
    bad = verify_chain(chain).first_break
    assert bad is not None and bad.seq == 2


def test_reordered_entries_are_detected() -> None:
    chain = make_chain(5)
    chain[1], chain[2] = chain[2], chain[1]
    bad = verify_chain(chain).first_break
    assert bad is not None and bad.seq == 3
