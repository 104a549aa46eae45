"""The repository's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The schema itself is created and evolved by the repository's own Alembic migrations
(``sae/adapters/db/migrations``); these objects are what queries are written against. The
catalogue's full-text index is dialect-specific and lives only in the migrations: an FTS5 table
``catalogue_fts`` on SQLite, a ``catalogue_search`` table with a GIN-indexed tsvector on
PostgreSQL.

Every table but ``tenants`` starts with ``tenant`` (the SEDA identifier of the archival service
that holds the row), which leads every primary key and every index, and which every query of a
unit of work filters on. On PostgreSQL row-level security holds each transaction to the tenant
it set, on every table (``sae/adapters/db/security.py``). ``tokens.tenant`` alone may be null:
the platform administrators' tokens. A token and a web session are also found by their digest
alone, before their tenant is known (authentication).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TENANT_ID: Final = String(64)
SHA256: Final = String(64)
# SQLite only makes INTEGER PRIMARY KEY an alias of rowid (autoincrementing).
BIGINT_PK: Final = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in, the same out: SQLite keeps naive text, PostgreSQL a
    ``timestamptz`` read back in the session's zone; both come back as UTC, to the microsecond
    (a log entry's hash covers its time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime refused: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def tenant_column() -> Column[str]:
    return Column("tenant", TENANT_ID, ForeignKey("tenants.id"), nullable=False)


tenants = Table(
    "tenants",
    metadata,
    Column("id", TENANT_ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("storage_prefix", Text, nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("digest", SHA256, primary_key=True),
    Column("tenant", TENANT_ID, ForeignKey("tenants.id"), nullable=True),
    Column("name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Index("ix_tokens_tenant", "tenant", "created_at"),
)

tenant_files = Table(
    "tenant_files",
    metadata,
    tenant_column(),
    Column("kind", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", SHA256, nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant", "kind", "name"),
)

agreements = Table(
    "agreements",
    metadata,
    tenant_column(),
    Column("identifier", Text, nullable=False),
    Column("transferring_agencies", Text, nullable=False),  # JSON list
    Column("seda_versions", Text, nullable=False),  # JSON list
    Column("signature_required", Boolean, nullable=False),
    Column("profile", Text),  # name of a profile file of the tenant
    Column("profile_identifier", Text),
    PrimaryKeyConstraint("tenant", "identifier"),
)

transfers = Table(
    "transfers",
    metadata,
    tenant_column(),
    Column("id", String(36), nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("package_sha256", SHA256, nullable=False),
    Column("transferring_agency", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("quarantine_path", Text, nullable=False),
    Column("acknowledgement", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("issues", Text, nullable=False),  # JSON list of CheckIssue
    Column("seda_version", String(8)),
    Column("reply", LargeBinary),
    Column("comment", Text),
    Column("decided_by", Text),
    Column("decided_at", UtcDateTime),
    Column("archive_identifiers", Text, nullable=False),  # JSON list of [unit, archive]
    Column("manifest_digest", Text),  # "algorithm:hex"
    Column("signer", Text),
    Column("signature_checks", Text),  # JSON list of SignatureVerdict
    # migration 0010: "zlib" when ``reply`` is compressed; the identifiers' JSON compressed
    # (``archive_identifiers`` then "")
    Column("reply_encoding", String(8)),
    Column("archive_identifiers_zlib", LargeBinary),
    PrimaryKeyConstraint("tenant", "id"),
    UniqueConstraint("tenant", "message_identifier", name="uq_transfers_message"),
    Index("ix_transfers_state", "tenant", "state", "received_at", "id"),
)

archived_objects = Table(
    "archived_objects",
    metadata,
    tenant_column(),
    Column("transfer_id", String(36), nullable=False),
    Column("object_id", Text, nullable=False),
    Column("uri", Text, nullable=False),
    Column("sha256", SHA256, nullable=False),
    Column("sha512", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "transfer_id", "object_id"),
    ForeignKeyConstraint(
        ["tenant", "transfer_id"],
        ["transfers.tenant", "transfers.id"],
        name="fk_archived_objects_transfer",
    ),
)

operation_log = Table(
    "operation_log",
    metadata,
    tenant_column(),
    Column("seq", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("organisation_id", Text),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("object_type", Text, nullable=False),
    Column("object_id", Text, nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", SHA256, nullable=False),
    Column("hash", SHA256, nullable=False),
    # One chain per tenant, and no fork: a sequence number and a predecessor are used once.
    PrimaryKeyConstraint("tenant", "seq"),
    UniqueConstraint("tenant", "prev_hash", name="uq_operation_log_prev_hash"),
    UniqueConstraint("tenant", "hash", name="uq_operation_log_hash"),
    Index("ix_operation_log_action", "tenant", "action", "seq"),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    tenant_column(),
    Column("checkpoint_id", SHA256, nullable=False),
    Column("signature_id", SHA256, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("head", SHA256, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("previous_id", SHA256),
    Column("timestamped", Boolean, nullable=False),
    PrimaryKeyConstraint("tenant", "checkpoint_id"),
    UniqueConstraint("tenant", "previous_id", name="uq_log_checkpoints_previous"),
)

catalogue_units = Table(
    "catalogue_units",
    metadata,
    Column("pk", BIGINT_PK, primary_key=True, autoincrement=True),  # the full-text row
    tenant_column(),
    Column("archive_id", Text, nullable=False),
    Column("transfer_id", String(36), nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("parent_archive_id", Text),
    Column("position", Integer, nullable=False),
    Column("description_level", Text),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("start_date", Text),
    Column("end_date", Text),
    Column("originating_agency", Text),
    Column("archived_at", UtcDateTime, nullable=False),
    Column("rules", Text),  # UnitRules as JSON; null for units catalogued before rules were kept
    UniqueConstraint("tenant", "archive_id", name="uq_catalogue_units_tenant"),
    Index("ix_catalogue_units_recent", "tenant", "archived_at", "pk"),
    Index("ix_catalogue_units_transfer", "tenant", "transfer_id", "position"),
    Index("ix_catalogue_units_parent", "tenant", "parent_archive_id", "position"),
)

catalogue_objects = Table(
    "catalogue_objects",
    metadata,
    tenant_column(),
    Column("transfer_id", String(36), nullable=False),
    Column("object_id", Text, nullable=False),
    Column("group_id", Text),
    Column("uri", Text, nullable=False),
    Column("filename", Text),
    Column("sha256", SHA256, nullable=False),
    Column("sha512", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", Text),
    Column("format_id", Text),
    Column("signature_status", String(16)),
    PrimaryKeyConstraint("tenant", "transfer_id", "object_id"),
)

catalogue_links = Table(
    "catalogue_links",
    metadata,
    tenant_column(),
    Column("archive_id", Text, nullable=False),
    Column("transfer_id", String(36), nullable=False),
    Column("object_id", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "archive_id", "object_id"),
)

stored_objects = Table(
    "stored_objects",
    metadata,
    tenant_column(),
    Column("sha256", SHA256, nullable=False),
    Column("sha512", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("quarantine_reason", Text),
    PrimaryKeyConstraint("tenant", "sha256"),
)

people = Table(
    "people",
    metadata,
    tenant_column(),
    Column("principal_id", String(36), nullable=False),
    Column("role", String(32), nullable=False),
    Column("login", Text, nullable=False),
    Column("email", Text),
    Column("password_hash", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UtcDateTime),
    PrimaryKeyConstraint("tenant", "principal_id"),
    UniqueConstraint("tenant", "login", name="uq_people_login"),
    Index("ix_people_email", "tenant", "email"),
)

oidc_links = Table(
    "oidc_links",
    metadata,
    tenant_column(),
    Column("issuer", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("principal_id", String(36), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant", "issuer", "subject"),
    ForeignKeyConstraint(
        ["tenant", "principal_id"],
        ["people.tenant", "people.principal_id"],
        name="fk_oidc_links_person",
    ),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    tenant_column(),
    Column("id_hash", SHA256, nullable=False),
    Column("principal_id", String(36), nullable=False),
    Column("method", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("flash", Text),  # JSON list of the messages waiting for the next page
    # The session's id is random (256 bits): unique on the whole database, found before its
    # tenant is known (sae.adapters.db.database.SqlDatabase.session_tenant).
    PrimaryKeyConstraint("id_hash"),
    Index("ix_web_sessions_person", "tenant", "principal_id"),
    ForeignKeyConstraint(
        ["tenant", "principal_id"],
        ["people.tenant", "people.principal_id"],
        name="fk_web_sessions_person",
    ),
)

# Communication: delivery requests and their replies, derogations, the access register.
deliveries = Table(
    "deliveries",
    metadata,
    tenant_column(),
    Column("id", String(36), nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("requester", Text, nullable=False),
    Column("unit_ids", Text, nullable=False),  # JSON list of archive identifiers
    Column("request", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("received_by", Text, nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("reply", LargeBinary, nullable=False),
    PrimaryKeyConstraint("tenant", "id"),
    UniqueConstraint("tenant", "message_identifier", name="uq_deliveries_message"),
    Index("ix_deliveries_recent", "tenant", "received_at"),
)

derogations = Table(
    "derogations",
    metadata,
    tenant_column(),
    Column("id", String(36), nullable=False),
    Column("archive_id", Text, nullable=False),
    Column("requester", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("until", Date, nullable=False),
    Column("granted_by", Text, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    PrimaryKeyConstraint("tenant", "id"),
    Index("ix_derogations_archive", "tenant", "archive_id"),
)

access_register = Table(
    "access_register",
    metadata,
    Column("pk", BIGINT_PK, primary_key=True, autoincrement=True),
    tenant_column(),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", Text, nullable=False),
    Column("requester", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("archive_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("basis", String(16), nullable=False),
    Column("rule_id", Text),
    Column("derogation_id", String(36)),
    Column("object_id", Text),
    Column("delivery", Text),
    Index("ix_access_register_at", "tenant", "at", "pk"),
)

restitutions = Table(
    "restitutions",
    metadata,
    tenant_column(),
    Column("id", String(36), nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("originating_agency", Text, nullable=False),
    Column("unit_ids", Text, nullable=False),  # JSON list of archive identifiers
    Column("request", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("received_by", Text, nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("reply", LargeBinary, nullable=False),
    Column("reply_identifier", Text, nullable=False),
    Column("receipt", LargeBinary),
    Column("completed_at", UtcDateTime),
    PrimaryKeyConstraint("tenant", "id"),
    UniqueConstraint("tenant", "message_identifier", name="uq_restitutions_message"),
)

tombstones = Table(
    "tombstones",
    metadata,
    tenant_column(),
    Column("archive_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("transfer_id", String(36), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=False),
    Column("deleted_by", Text, nullable=False),
    Column("objects", Text, nullable=False),  # JSON list of SHA-256
    PrimaryKeyConstraint("tenant", "archive_id"),
)

mailbox = Table(
    "mailbox",
    metadata,
    Column("seq", BIGINT_PK, primary_key=True, autoincrement=True),  # the reading cursor
    tenant_column(),
    Column("id", String(36), nullable=False),
    Column("type", Text, nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant", "id", name="uq_mailbox_id"),
    Index("ix_mailbox_tenant", "tenant", "seq"),
)

eliminations = Table(
    "eliminations",
    metadata,
    tenant_column(),
    Column("id", String(36), nullable=False),
    Column("message_identifier", Text, nullable=False),
    Column("originating_agency", Text, nullable=False),
    Column("unit_ids", Text, nullable=False),  # JSON list of archive identifiers
    Column("proposed_at", UtcDateTime, nullable=False),
    Column("proposed_by", Text, nullable=False),
    Column("state", String(24), nullable=False),
    Column("reply", LargeBinary),
    Column("approved_by", Text),
    Column("destroyed_at", UtcDateTime),
    Column("notification", LargeBinary),
    Column("control_authority", Text),
    Column("control_request", LargeBinary),
    Column("control_reply", LargeBinary),
    Column("control_granted", Boolean),
    PrimaryKeyConstraint("tenant", "id"),
    UniqueConstraint("tenant", "message_identifier", name="uq_eliminations_message"),
)

# What the application's role may do on each table (PostgreSQL; the owner runs migrations).
# The log and its checkpoints are append-only for the application: no UPDATE, no DELETE.
APPLICATION_PRIVILEGES: Final = {
    "tenants": "SELECT, INSERT",
    "tokens": "SELECT, INSERT, UPDATE",
    "tenant_files": "SELECT, INSERT, UPDATE, DELETE",
    "agreements": "SELECT, INSERT, UPDATE, DELETE",
    "transfers": "SELECT, INSERT, UPDATE",
    "archived_objects": "SELECT, INSERT",
    "operation_log": "SELECT, INSERT",
    "log_checkpoints": "SELECT, INSERT",
    # an archive leaves the catalogue only when restituted or eliminated (a tombstone kept);
    # its description and rules change only by an archivist (the producer notified)
    "catalogue_units": "SELECT, INSERT, UPDATE, DELETE",
    "catalogue_objects": "SELECT, INSERT, DELETE",
    "catalogue_links": "SELECT, INSERT, DELETE",
    "catalogue_search": "SELECT, INSERT, DELETE",
    "stored_objects": "SELECT, INSERT, UPDATE, DELETE",
    "people": "SELECT, INSERT, UPDATE",  # an account is disabled, never deleted
    "oidc_links": "SELECT, INSERT",
    "web_sessions": "SELECT, INSERT, UPDATE",
    "deliveries": "SELECT, INSERT",
    "derogations": "SELECT, INSERT, UPDATE",  # withdrawn, never deleted
    "access_register": "SELECT, INSERT",  # append-only
    "restitutions": "SELECT, INSERT, UPDATE",
    "tombstones": "SELECT, INSERT",
    "mailbox": "SELECT, INSERT",
    "eliminations": "SELECT, INSERT, UPDATE",
    "sae_alembic_version": "SELECT",  # so that the application sees the schema is up to date
}
