"""SQLite: the search index reads the documents' text where it is stored (``texts``) instead of
keeping a copy of its own. The FTS5 table becomes an external-content table (SQLite, "The FTS5
Extension", §4.4.3) over the view ``search_content``: the indexed fields of each document
(``search_fields``, written by the search index alone) and the text of the version indexed,
read from ``texts``. FTS5 kept every document's text a second time: 205 MB of a 459 MB
database for 10,000 small files (``dbstat``), written twice more through the WAL.

An external-content index is consistent only while the content it was built from stays as it
was: a row is taken out of the index with the values it was indexed with, which FTS5 reads back
from the content. ``search_fields`` changes only with the index (``SqliteSearch``), and a text
still indexed cannot be deleted (trigger ``texts_indexed``; an elimination removes the index
entries first). The index is rebuilt from the view, so it equals its content from the start.

PostgreSQL is unchanged (its ``document_search`` holds a tsvector, not the text).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

COLUMNS = "title, description, keywords, author, filename, body"
TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"

UPGRADE = [
    """CREATE TABLE search_fields (
        pk INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        keywords TEXT NOT NULL,
        author TEXT NOT NULL,
        filename TEXT NOT NULL,
        text_document_id VARCHAR(36),
        text_number INTEGER
    )""",
    # What was indexed: the fields as they were, the text of the current version when a text
    # was indexed (the index held no other: every caller passes the current version's text).
    "INSERT INTO search_fields SELECT f.rowid, f.title, f.description, f.keywords, f.author, "
    "f.filename, x.document_id, x.number FROM documents_fts f "
    "JOIN documents d ON d.pk = f.rowid "
    "LEFT JOIN texts x ON f.body != '' AND x.document_id = d.id AND x.number = d.current_version",
    "DROP TABLE documents_fts",
    """CREATE VIEW search_content AS
        SELECT f.pk AS pk, f.title AS title, f.description AS description,
            f.keywords AS keywords, f.author AS author, f.filename AS filename,
            coalesce(x.body, '') AS body
        FROM search_fields f
        LEFT JOIN texts x ON x.document_id = f.text_document_id AND x.number = f.text_number""",
    f"CREATE VIRTUAL TABLE documents_fts USING fts5({COLUMNS}, "
    f"content = 'search_content', content_rowid = 'pk', {TOKENIZE})",
    "INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')",
    "CREATE INDEX ix_search_fields_text ON search_fields (text_document_id, text_number)",
    """CREATE TRIGGER texts_indexed BEFORE DELETE ON texts
        WHEN EXISTS (SELECT 1 FROM search_fields
            WHERE text_document_id = OLD.document_id AND text_number = OLD.number)
        BEGIN SELECT RAISE(ABORT, 'texte encore indexé : retirer le document de l''index avant');
        END""",
]

DOWNGRADE = [
    "DROP TRIGGER texts_indexed",
    f"CREATE VIRTUAL TABLE documents_fts_copy USING fts5({COLUMNS}, {TOKENIZE})",
    f"INSERT INTO documents_fts_copy(rowid, {COLUMNS}) "  # noqa: S608
    f"SELECT pk, {COLUMNS} FROM search_content",
    "DROP TABLE documents_fts",
    "DROP VIEW search_content",
    "DROP TABLE search_fields",
    "ALTER TABLE documents_fts_copy RENAME TO documents_fts",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWNGRADE:
            op.execute(statement)
