"""The repository's tokens: SHA-256 only, an optional expiry, revocation read from the file
as soon as it changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sae.tokens import TOKENS, HashedTokens, issue_token, list_tokens, revoke_token
from tests.fakes import FixedClock


def test_a_token_past_its_expiry_is_not_found(tmp_path: Path) -> None:
    clock = FixedClock()
    token = issue_token(
        tmp_path, "ARCH", "archivist", "alice", expires_at=clock() + timedelta(hours=1)
    )
    tokens = HashedTokens(tmp_path / TOKENS, clock=clock)
    assert tokens[token].name == "alice"
    clock.advance(hours=1)
    assert tokens.get(token) is None


def test_a_revoked_token_is_not_found_by_a_mapping_already_loaded(tmp_path: Path) -> None:
    token = issue_token(tmp_path, "ARCH", "transferring", "ged")
    tokens = HashedTokens(tmp_path / TOKENS)
    assert tokens[token].role == "transferring"
    (entry,) = list_tokens(tmp_path)
    revoke_token(tmp_path, entry["id"], datetime(2026, 1, 1, tzinfo=UTC))
    assert tokens.get(token) is None


def test_the_tokens_file_is_readable_by_its_owner_only_and_holds_no_token(tmp_path: Path) -> None:
    token = issue_token(tmp_path, "ARCH", "archivist", "alice")
    assert (tmp_path / TOKENS).stat().st_mode & 0o777 == 0o600
    assert token not in (tmp_path / TOKENS).read_text(encoding="utf-8")
