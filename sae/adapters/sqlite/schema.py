"""The tables of the repository's SQLite database (``transfers.sqlite``), created at open.

Transfers and their archived objects, the operation log and its checkpoints' index, the
catalogue, and the people who log in to the pages with their sessions live in one file, so that
a decision, its catalogue rows and its log entry commit in one transaction, as a login and its
entry do. No migration tool yet: tables are created if absent, and the nullable columns
that came later are added to an older file by ``ALTER TABLE``.
"""

from __future__ import annotations

import sqlite3
from typing import Final

_TRANSFERS: Final = """
CREATE TABLE IF NOT EXISTS transfers (
    id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    message_identifier TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    transferring_agency TEXT NOT NULL,
    state TEXT NOT NULL,
    quarantine_path TEXT NOT NULL,
    acknowledgement BLOB NOT NULL,
    received_at TEXT NOT NULL,
    issues TEXT NOT NULL DEFAULT '[]',
    seda_version TEXT,
    reply BLOB,
    comment TEXT,
    decided_by TEXT,
    decided_at TEXT,
    archive_identifiers TEXT NOT NULL DEFAULT '[]',
    manifest_digest TEXT,
    signer TEXT,
    UNIQUE (organisation, message_identifier)
);
CREATE TABLE IF NOT EXISTS archived_objects (
    transfer_id TEXT NOT NULL REFERENCES transfers(id),
    object_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, object_id)
);
"""
_LOG: Final = """
CREATE TABLE IF NOT EXISTS operation_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    organisation_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS log_checkpoints (
    checkpoint_id TEXT PRIMARY KEY,
    signature_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    head TEXT NOT NULL,
    at TEXT NOT NULL,
    previous_id TEXT UNIQUE,
    timestamped INTEGER NOT NULL
);
"""
_CATALOGUE: Final = """
CREATE TABLE IF NOT EXISTS catalogue_units (
    pk INTEGER PRIMARY KEY,
    archive_id TEXT NOT NULL UNIQUE,
    organisation TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    message_identifier TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    parent_archive_id TEXT,
    position INTEGER NOT NULL,
    description_level TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    originating_agency TEXT,
    archived_at TEXT NOT NULL,
    rules TEXT
);
CREATE INDEX IF NOT EXISTS catalogue_units_recent
    ON catalogue_units (organisation, archived_at DESC, pk);
CREATE INDEX IF NOT EXISTS catalogue_units_transfer ON catalogue_units (transfer_id, position);
CREATE INDEX IF NOT EXISTS catalogue_units_parent
    ON catalogue_units (parent_archive_id, position);
CREATE TABLE IF NOT EXISTS catalogue_objects (
    transfer_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    group_id TEXT,
    uri TEXT NOT NULL,
    filename TEXT,
    sha256 TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime_type TEXT,
    format_id TEXT,
    PRIMARY KEY (transfer_id, object_id)
);
CREATE TABLE IF NOT EXISTS catalogue_links (
    archive_id TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    PRIMARY KEY (archive_id, object_id)
);
CREATE VIRTUAL TABLE IF NOT EXISTS catalogue_fts USING fts5(
    title, description, tokenize = 'unicode61 remove_diacritics 2'
);
"""
_PEOPLE: Final = """
CREATE TABLE IF NOT EXISTS people (
    principal_id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    role TEXT NOT NULL,
    login TEXT NOT NULL UNIQUE,
    email TEXT,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    disabled_at TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE INDEX IF NOT EXISTS people_email ON people (lower(email));
CREATE TABLE IF NOT EXISTS oidc_links (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    principal_id TEXT NOT NULL REFERENCES people(principal_id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES people(principal_id),
    method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    flash TEXT
);
CREATE INDEX IF NOT EXISTS web_sessions_principal ON web_sessions (principal_id);
"""
# Columns added after the first schema: ALTER TABLE adds them to a database created before.
_ADDED_COLUMNS: Final = (
    ("transfers", "manifest_digest", "TEXT"),
    ("transfers", "signer", "TEXT"),
    ("catalogue_units", "rules", "TEXT"),  # UnitRules as JSON
)


def create_schema(conn: sqlite3.Connection) -> None:
    """Every table, then the columns an older file lacks (idempotent)."""
    conn.execute("PRAGMA journal_mode=WAL")  # stored in the file: set once
    conn.executescript(_TRANSFERS + _LOG + _CATALOGUE + _PEOPLE)
    _add_missing_columns(conn)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, name, kind in _ADDED_COLUMNS:
        present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        if name in present:
            continue
        try:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        except sqlite3.OperationalError as exc:
            # Another process opening the same old database added it first.
            if "duplicate column" not in str(exc):
                raise
