"""PostgreSQL's search table holds each document's scope (organisation, service, date), so that
the matches the GIN index finds are filtered on the row it already reads: the join to
``documents`` read one row of that wide table per match (15,000 for a word in 1.5 % of a million
documents) before the window kept 200. The GIN index also holds each row's block of 4,096
consecutive documents, so that a word's matches are read from the newest blocks until the
window is full rather than all of them. Triggers keep the copy equal to ``documents``: a row
written to the search table takes its document's scope, and a document whose scope changes
passes it on. SQLite is unchanged (its search reads ``documents`` by rowid).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The table is written anew with its new columns rather than updated in place: an UPDATE of
# every row leaves as many dead rows, which an index built in the same transaction still holds
# (the GIN index came out twice its size). The vectors are copied as they are stored.
UPGRADE = [
    """CREATE TABLE document_search_new (
        document_pk BIGINT PRIMARY KEY REFERENCES documents(pk) ON DELETE CASCADE,
        organisation_id VARCHAR(36) NOT NULL,
        service_id VARCHAR(36) NOT NULL,
        created_on DATE,
        tsv tsvector NOT NULL
    )""",
    "INSERT INTO document_search_new SELECT s.document_pk, d.organisation_id, d.service_id, "
    "d.created_on, s.tsv FROM document_search s JOIN documents d ON d.pk = s.document_pk "
    "ORDER BY s.document_pk",
    "DROP TABLE document_search",
    "ALTER TABLE document_search_new RENAME TO document_search",
    "ALTER INDEX document_search_new_pkey RENAME TO document_search_pkey",
    "ALTER TABLE document_search RENAME CONSTRAINT document_search_new_document_pk_fkey "
    "TO document_search_document_pk_fkey",
    "SET LOCAL maintenance_work_mem = '256MB'",
    # The words, and the block of 4,096 consecutive documents each row is in (its key divided
    # by 4,096): a search reads the matches of the newest blocks first (ged.adapters.db.search).
    "CREATE INDEX ix_document_search_tsv ON document_search "
    "USING GIN (tsv, (ARRAY[document_pk / 4096]))",
    """CREATE FUNCTION document_search_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT d.organisation_id, d.service_id, d.created_on
        INTO NEW.organisation_id, NEW.service_id, NEW.created_on
        FROM documents d WHERE d.pk = NEW.document_pk;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER document_search_scope BEFORE INSERT OR UPDATE OF document_pk "
    "ON document_search "
    "FOR EACH ROW EXECUTE FUNCTION document_search_scope()",
    """CREATE FUNCTION documents_search_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE document_search SET organisation_id = NEW.organisation_id,
            service_id = NEW.service_id, created_on = NEW.created_on
        WHERE document_pk = NEW.pk;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER documents_search_scope AFTER UPDATE OF organisation_id, service_id, "
    "created_on ON documents FOR EACH ROW WHEN (OLD.organisation_id IS DISTINCT FROM "
    "NEW.organisation_id OR OLD.service_id IS DISTINCT FROM NEW.service_id "
    "OR OLD.created_on IS DISTINCT FROM NEW.created_on) "
    "EXECUTE FUNCTION documents_search_scope()",
]

DOWNGRADE = [
    "DROP INDEX ix_document_search_tsv",
    "CREATE INDEX ix_document_search_tsv ON document_search USING GIN (tsv)",
    "DROP TRIGGER documents_search_scope ON documents",
    "DROP FUNCTION documents_search_scope()",
    "DROP TRIGGER document_search_scope ON document_search",
    "DROP FUNCTION document_search_scope()",
    "ALTER TABLE document_search DROP COLUMN created_on, DROP COLUMN service_id, "
    "DROP COLUMN organisation_id",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
