"""The repository's schema: tenants and, for each, its tokens, setup (agreements, imported
files), transfers, archived objects, operation log and sealed checkpoints, catalogue and
digest registry; the catalogue's full-text index; on PostgreSQL, row-level security forced on
every table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TENANT_ID: Final = sa.String(length=64)
SHA256: Final = sa.String(length=64)
SHA512: Final = sa.String(length=128)
TRANSFER_ID: Final = sa.String(length=36)
TS: Final = sa.DateTime(timezone=True)


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant", TENANT_ID, nullable=False)


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant"], ["tenants.id"], name=f"fk_{table}_tenant_tenants")


def upgrade() -> None:
    _platform()
    _setup()
    _transfers()
    _journal()
    _catalogue()
    _registry()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_FTS)
    elif dialect == "postgresql":
        for statement in (*POSTGRES_SEARCH, *_row_level_security()):
            op.execute(statement)


def _platform() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", TENANT_ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("storage_prefix", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("storage_prefix", name="uq_tenants_storage_prefix"),
    )
    op.create_table(
        "tokens",
        sa.Column("digest", SHA256, nullable=False),
        sa.Column("tenant", TENANT_ID, nullable=True),  # null: a platform administrator's
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        _tenant_key("tokens"),
        sa.PrimaryKeyConstraint("digest", name="pk_tokens"),
    )
    op.create_index("ix_tokens_tenant", "tokens", ["tenant", "created_at"])


def _setup() -> None:
    op.create_table(
        "tenant_files",
        _tenant(),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        _tenant_key("tenant_files"),
        sa.PrimaryKeyConstraint("tenant", "kind", "name", name="pk_tenant_files"),
    )
    op.create_table(
        "agreements",
        _tenant(),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("transferring_agencies", sa.Text(), nullable=False),
        sa.Column("seda_versions", sa.Text(), nullable=False),
        sa.Column("signature_required", sa.Boolean(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column("profile_identifier", sa.Text(), nullable=True),
        _tenant_key("agreements"),
        sa.PrimaryKeyConstraint("tenant", "identifier", name="pk_agreements"),
    )


def _transfers() -> None:
    op.create_table(
        "transfers",
        _tenant(),
        sa.Column("id", TRANSFER_ID, nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("package_sha256", SHA256, nullable=False),
        sa.Column("transferring_agency", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("quarantine_path", sa.Text(), nullable=False),
        sa.Column("acknowledgement", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("issues", sa.Text(), nullable=False),
        sa.Column("seda_version", sa.String(length=8), nullable=True),
        sa.Column("reply", sa.LargeBinary(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("archive_identifiers", sa.Text(), nullable=False),
        sa.Column("manifest_digest", sa.Text(), nullable=True),
        sa.Column("signer", sa.Text(), nullable=True),
        _tenant_key("transfers"),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_transfers"),
        sa.UniqueConstraint("tenant", "message_identifier", name="uq_transfers_message"),
    )
    op.create_index("ix_transfers_state", "transfers", ["tenant", "state", "received_at", "id"])
    op.create_table(
        "archived_objects",
        _tenant(),
        sa.Column("transfer_id", TRANSFER_ID, nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("sha512", SHA512, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "transfer_id"],
            ["transfers.tenant", "transfers.id"],
            name="fk_archived_objects_transfer",
        ),
        _tenant_key("archived_objects"),
        sa.PrimaryKeyConstraint("tenant", "transfer_id", "object_id", name="pk_archived_objects"),
    )


def _journal() -> None:
    op.create_table(
        "operation_log",
        _tenant(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("organisation_id", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("object_type", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", SHA256, nullable=False),
        sa.Column("hash", SHA256, nullable=False),
        _tenant_key("operation_log"),
        sa.PrimaryKeyConstraint("tenant", "seq", name="pk_operation_log"),
        # one chain per tenant, and no fork: a predecessor is followed once
        sa.UniqueConstraint("tenant", "hash", name="uq_operation_log_hash"),
        sa.UniqueConstraint("tenant", "prev_hash", name="uq_operation_log_prev_hash"),
    )
    op.create_index("ix_operation_log_action", "operation_log", ["tenant", "action", "seq"])
    op.create_table(
        "log_checkpoints",
        _tenant(),
        sa.Column("checkpoint_id", SHA256, nullable=False),
        sa.Column("signature_id", SHA256, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head", SHA256, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("previous_id", SHA256, nullable=True),
        sa.Column("timestamped", sa.Boolean(), nullable=False),
        _tenant_key("log_checkpoints"),
        sa.PrimaryKeyConstraint("tenant", "checkpoint_id", name="pk_log_checkpoints"),
        sa.UniqueConstraint("tenant", "previous_id", name="uq_log_checkpoints_previous"),
    )


def _catalogue() -> None:
    op.create_table(
        "catalogue_units",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        _tenant(),
        sa.Column("archive_id", sa.Text(), nullable=False),
        sa.Column("transfer_id", TRANSFER_ID, nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("parent_archive_id", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description_level", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Text(), nullable=True),
        sa.Column("end_date", sa.Text(), nullable=True),
        sa.Column("originating_agency", sa.Text(), nullable=True),
        sa.Column("archived_at", TS, nullable=False),
        _tenant_key("catalogue_units"),
        sa.PrimaryKeyConstraint("pk", name="pk_catalogue_units"),
        sa.UniqueConstraint("tenant", "archive_id", name="uq_catalogue_units_tenant"),
    )
    for name, columns in (
        ("ix_catalogue_units_recent", ["tenant", "archived_at", "pk"]),
        ("ix_catalogue_units_transfer", ["tenant", "transfer_id", "position"]),
        ("ix_catalogue_units_parent", ["tenant", "parent_archive_id", "position"]),
    ):
        op.create_index(name, "catalogue_units", columns)
    op.create_table(
        "catalogue_objects",
        _tenant(),
        sa.Column("transfer_id", TRANSFER_ID, nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Text(), nullable=True),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("sha512", SHA512, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.Text(), nullable=True),
        sa.Column("format_id", sa.Text(), nullable=True),
        _tenant_key("catalogue_objects"),
        sa.PrimaryKeyConstraint("tenant", "transfer_id", "object_id", name="pk_catalogue_objects"),
    )
    op.create_table(
        "catalogue_links",
        _tenant(),
        sa.Column("archive_id", sa.Text(), nullable=False),
        sa.Column("transfer_id", TRANSFER_ID, nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        _tenant_key("catalogue_links"),
        sa.PrimaryKeyConstraint("tenant", "archive_id", "object_id", name="pk_catalogue_links"),
    )


def _registry() -> None:
    op.create_table(
        "stored_objects",
        _tenant(),
        sa.Column("sha256", SHA256, nullable=False),
        sa.Column("sha512", SHA512, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        _tenant_key("stored_objects"),
        sa.PrimaryKeyConstraint("tenant", "sha256", name="pk_stored_objects"),
    )


# SQLite: FTS5 with accents folded by the tokenizer (remove_diacritics 2); its rowid is
# catalogue_units.pk, and queries start from it (see sae.adapters.db.catalogue).
SQLITE_FTS: Final = """
CREATE VIRTUAL TABLE catalogue_fts USING fts5(
    title, description, tokenize = 'unicode61 remove_diacritics 2'
)
"""

# PostgreSQL: the same words as FTS5 finds (no stemming, case and accents folded by unaccent, a
# trusted extension since PostgreSQL 13), one GIN-indexed tsvector per unit.
POSTGRES_SEARCH: Final = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION gedsae_sae (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION gedsae_sae ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, simple",
    """CREATE TABLE catalogue_search (
        unit_pk BIGINT NOT NULL REFERENCES catalogue_units(pk),
        tenant VARCHAR(64) NOT NULL REFERENCES tenants(id),
        tsv tsvector NOT NULL,
        CONSTRAINT pk_catalogue_search PRIMARY KEY (unit_pk)
    )""",
    "CREATE INDEX ix_catalogue_search_tsv ON catalogue_search USING GIN (tsv)",
)

# Row-level security, forced (the tables' owner is held too), on every table. A transaction sees
# the rows of the tenant it set (set_config('gedsae.tenant', …, true), sae.adapters.db.database);
# a transaction that set none sees nothing: current_setting(…, true) is then null or empty.
_TENANT: Final = "tenant = current_setting('gedsae.tenant', true)"
_PLATFORM: Final = "current_setting('gedsae.platform', true) = 'on'"
_TENANT_TABLES: Final = (
    "tenant_files",
    "agreements",
    "transfers",
    "archived_objects",
    "operation_log",
    "log_checkpoints",
    "catalogue_units",
    "catalogue_objects",
    "catalogue_links",
    "catalogue_search",
    "stored_objects",
)
POLICIES: Final = {
    # a tenant sees its own row; the platform's transactions see them all, and alone create them
    "tenants": (f"id = current_setting('gedsae.tenant', true) OR {_PLATFORM}", _PLATFORM),
    # a token is also found by its digest before its tenant is known (authentication)
    "tokens": (
        f"{_TENANT} OR digest = current_setting('gedsae.token', true) "
        f"OR (tenant IS NULL AND {_PLATFORM})",
        f"{_TENANT} OR (tenant IS NULL AND {_PLATFORM})",
    ),
    **{table: (_TENANT, _TENANT) for table in _TENANT_TABLES},
}


def _row_level_security() -> list[str]:
    statements = []
    for table, (using, check) in POLICIES.items():
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {table} USING ({using}) WITH CHECK ({check})",
        ]
    return statements


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE catalogue_fts")
    elif dialect == "postgresql":
        op.execute("DROP TABLE catalogue_search")
        op.execute("DROP TEXT SEARCH CONFIGURATION gedsae_sae")
    for table in (
        "stored_objects",
        "catalogue_links",
        "catalogue_objects",
        "catalogue_units",
        "log_checkpoints",
        "operation_log",
        "archived_objects",
        "transfers",
        "agreements",
        "tenant_files",
        "tokens",
        "tenants",
    ):
        op.drop_table(table)
