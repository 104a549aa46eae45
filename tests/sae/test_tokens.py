"""The repository's tokens, in its database: SHA-256 only, an optional expiry, a revocation
seen from the very next lookup, and the ``tokens.json`` of earlier versions imported once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from sae.ports import Database
from sae.tokens import (
    UnknownTenantInTokens,
    authenticate,
    digest,
    import_tokens_file,
    issue_token,
    list_tokens,
    revoke_token,
)
from tests.fixtures.sae import TestDatabase
from tests.sae import setup

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(sae_db: Database) -> Database:
    setup.tenant(sae_db, "ARCH")
    return sae_db


def test_a_token_past_its_expiry_is_refused(db: Database) -> None:
    expiry = NOW + timedelta(hours=1)
    token, _ = issue_token(db, "ARCH", "archivist", "alice", actor="t", expires_at=expiry, now=NOW)
    assert authenticate(db, token, NOW) is not None
    assert authenticate(db, token, expiry) is None


def test_a_revoked_token_is_refused_from_the_next_lookup_on(db: Database) -> None:
    token, record = issue_token(db, "ARCH", "transferring", "ged", actor="t", now=NOW)
    principal = authenticate(db, token, NOW)
    assert principal is not None and principal.role == "transferring"
    revoke_token(db, "ARCH", record.token_id, actor="t", at=NOW)
    assert authenticate(db, token, NOW) is None


def test_the_database_holds_the_tokens_digest_never_the_token(
    db: Database, sae_database: TestDatabase
) -> None:
    token, record = issue_token(db, "ARCH", "archivist", "alice", actor="t", now=NOW)
    engine = sae_database.owner()
    try:
        with engine.connect() as conn:
            if sae_database.postgres:
                conn.execute(text("SELECT set_config('gedsae.tenant', 'ARCH', false)"))
            stored = [tuple(row) for row in conn.execute(text("SELECT * FROM tokens"))]
    finally:
        engine.dispose()
    assert [row[0] for row in stored] == [digest(token)] == [record.digest]
    assert token not in repr(stored)


def test_the_tokens_file_of_an_earlier_version_is_imported_once_and_renamed(
    db: Database, tmp_path: Path
) -> None:
    legacy = {
        digest("old-token"): {
            "organisation": "ARCH",
            "role": "archivist",
            "name": "alice",
            "created_at": "2025-06-01T08:00:00+00:00",
        }
    }
    (tmp_path / "tokens.json").write_text(json.dumps(legacy), encoding="utf-8")

    assert [r.name for r in import_tokens_file(db, tmp_path, ["ARCH"])] == ["alice"]
    assert import_tokens_file(db, tmp_path, ["ARCH"]) == []  # renamed: nothing left to import

    assert not (tmp_path / "tokens.json").exists()
    assert (tmp_path / "tokens.json.imported").exists()
    assert [r.name for r in list_tokens(db, "ARCH")] == ["alice"]
    assert authenticate(db, "old-token", NOW) is not None


def test_a_tokens_file_naming_an_unknown_tenant_is_refused_before_anything_is_imported(
    db: Database, tmp_path: Path
) -> None:
    legacy = {
        digest("a"): {"organisation": "ARCH", "role": "archivist", "name": "alice"},
        digest("b"): {"organisation": "INCONNU", "role": "archivist", "name": "bob"},
    }
    (tmp_path / "tokens.json").write_text(json.dumps(legacy), encoding="utf-8")

    with pytest.raises(UnknownTenantInTokens, match="INCONNU"):
        import_tokens_file(db, tmp_path, ["ARCH"])
    assert list_tokens(db, "ARCH") == []
    assert (tmp_path / "tokens.json").exists()
