"""Table definitions. The schema itself is created and evolved by Alembic migrations
(``ged/adapters/db/migrations``); these objects are what queries are written against.

Full-text search tables are dialect-specific and live only in the migrations: an FTS5 virtual
table ``documents_fts`` on SQLite, a ``document_search`` table with a GIN-indexed tsvector on
PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(36)
TS = DateTime(timezone=True)
# SQLite only makes INTEGER PRIMARY KEY an alias of rowid (autoincrementing).
BIGINT_PK = BigInteger().with_variant(Integer(), "sqlite")

organisations = Table(
    "organisations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
)

services = Table(
    "services",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("seda_identifier", String(200), nullable=False),
    UniqueConstraint("organisation_id", "seda_identifier", name="uq_services_org_seda"),
)

principals = Table(
    "principals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # user | application
    Column("roles", String(200), nullable=False),  # comma-separated Role values
    Column("platform_admin", Boolean, nullable=False, default=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("organisation_id", "name", name="uq_principals_org_name"),
)

principal_services = Table(
    "principal_services",
    metadata,
    Column("principal_id", ID, ForeignKey("principals.id"), primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), primary_key=True),
)

# Who granted each role of a principal, and when (the visa of an elimination depends on it).
role_grants = Table(
    "role_grants",
    metadata,
    Column("principal_id", ID, ForeignKey("principals.id"), primary_key=True),
    Column("role", String(40), primary_key=True),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", TS, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("principal_id", ID, ForeignKey("principals.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
    Column("expires_at", TS),
)

plan_nodes = Table(
    "plan_nodes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("code", String(100), nullable=False),
    Column("label", String(500), nullable=False),
    Column("parent_id", ID, ForeignKey("plan_nodes.id")),
    UniqueConstraint("organisation_id", "code", name="uq_plan_nodes_org_code"),
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False),
    Column("plan_node_id", ID, ForeignKey("plan_nodes.id")),
    Column("title", String(1000), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("reference", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_dossiers_org_service", "organisation_id", "service_id"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("sha512", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", TS, nullable=False),
    # the stored bytes were found missing or altered (download, audit); NULL while intact
    Column("damage", String(20)),
    Column("damaged_at", TS),
)

documents = Table(
    "documents",
    metadata,
    Column("pk", BIGINT_PK, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), nullable=False),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("author", String(500), nullable=False, default=""),
    Column("language", String(10), nullable=False, default="fra"),
    Column("document_type", String(200), nullable=False, default=""),
    Column("keywords", JSON, nullable=False),
    Column("created_on", Date),
    Column("received_on", Date),
    Column("extra", JSON, nullable=False),
    Column("current_version", Integer, nullable=False, default=0),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_documents_org_service_created", "organisation_id", "service_id", "created_at"),
    Index("ix_documents_dossier_pk", "dossier_id", "pk"),
    # a dossier's latest document and its types, read from the index alone (migration 0017)
    Index("ix_documents_dossier_dates", "dossier_id", "created_on", "created_at"),
    Index("ix_documents_dossier_types", "dossier_id", "document_type"),
)

versions = Table(
    "versions",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("filename", String(1000), nullable=False),
    Column("mime_type", String(200), nullable=False),
    Column("puid", String(50)),
    Column("format_name", String(300), nullable=False, default=""),
    Column("extraction_status", String(20), nullable=False),
    Column("extraction_error", String(500)),
    Column("created_at", TS, nullable=False),
    Column("created_by", ID, nullable=False),
)

oplog = Table(
    "oplog",
    metadata,
    Column("seq", BIGINT_PK, primary_key=True, autoincrement=False),
    Column("at", TS, nullable=False),
    Column("organisation_id", ID),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("object_type", String(50), nullable=False),
    Column("object_id", String(200), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal_id", ID, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response", Text),
    Column("created_at", TS, nullable=False),
)

texts = Table(
    "texts",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("body", Text, nullable=False),
)

# -- retention rules and the lifecycle (migration 0002) ---------------------------------------

retention_rules = Table(
    "retention_rules",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("identifier", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("status", String(20), nullable=False),  # current | superseded | retired
    Column("category", String(30), nullable=False),
    Column("label", String(1000), nullable=False),
    Column("duration", String(40)),  # ISO 8601, 'unlimited', or NULL (hold without length)
    Column("start_event_kind", String(30)),
    Column("start_event_name", String(500)),
    Column("final_action", String(30)),
    Column("legal_reference", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    # « … ou 25 ans à compter du décès si ce délai est plus bref » (migration 0016)
    Column("alternative_duration", String(40)),
    Column("alternative_event_kind", String(30)),
    Column("alternative_event_name", String(500)),
    Index("ix_retention_rules_org_status", "organisation_id", "status"),
)

rule_bindings = Table(
    "rule_bindings",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("target_kind", String(20), primary_key=True),  # dossier | plan_node | document_type
    Column("target_id", String(200), primary_key=True),
    Column("category", String(30), primary_key=True),
    Column("rule_id", String(200), nullable=False),
    Column("justification", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
)

dossier_events = Table(
    "dossier_events",
    metadata,
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True),
    Column("event_key", String(500), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_at", TS, nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

holds = Table(
    "holds",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("rule_id", String(200)),
    Column("rule_version", Integer),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("placed_at", TS, nullable=False),
    Column("placed_by", String(200), nullable=False),
    Column("lifted_at", TS),
    Column("lifted_by", String(200)),
    Column("lift_reason", Text, nullable=False, default=""),
)

dossier_lifecycle = Table(
    "dossier_lifecycle",
    metadata,
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False),
    Column("phase", String(20), nullable=False),
    Column("since", Date, nullable=False),
    Column("rule_id", String(200)),
    Column("rule_version", Integer),
    Column("final_action", String(30)),
    Column("due_on", Date),
    Column("no_due_reason", String(40)),
    Column("sort_decision", String(20)),
    Column("sorted_by", String(200)),
    Column("transfer_reference", String(500)),
    Column("transfer_verified", Boolean, nullable=False, default=False),
    Index("ix_dossier_lifecycle_org_phase", "organisation_id", "phase"),
)

elimination_proposals = Table(
    "elimination_proposals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("decided_at", TS),
    Column("decided_by", String(200)),
    Column("decision_note", Text, nullable=False, default=""),
    Column("executed_at", TS),
    Column("executed_by", String(200)),
)

elimination_items = Table(
    "elimination_items",
    metadata,
    Column("proposal_id", ID, ForeignKey("elimination_proposals.id"), primary_key=True),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True, index=True),
    Column("service_id", ID, nullable=False),
    Column("title", String(1000), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("final_action", String(30), nullable=False),
    Column("due_on", Date),
    Column("status", String(20), nullable=False),
    Column("outcome", String(200), nullable=False, default=""),
)

tombstones = Table(
    "tombstones",
    metadata,
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # eliminated | transferred
    Column("title", String(1000), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("service_id", ID, nullable=False),
    Column("rule_id", String(200)),
    Column("rule_version", Integer),
    Column("proposal_id", ID),
    Column("approved_by", String(200)),
    Column("approved_at", TS),
    Column("removed_by", String(200), nullable=False),
    Column("removed_at", TS, nullable=False),
    Column("documents", JSON, nullable=False),
    Column("digests", JSON, nullable=False),
)

transfers = Table(
    "transfers",
    metadata,
    Column("message_identifier", String(200), primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("dossiers", JSON, nullable=False),
    Column("connector", String(50), nullable=False),
    Column("transferring_agency", String(200), nullable=False),
    Column("state", String(30), nullable=False),
    Column("acknowledged", Boolean, nullable=False, default=False),
    Column("remote_reference", String(500)),
    Column("locators", JSON, nullable=False),
    Column("sip_path", Text, nullable=False),
    Column("sip_sha256", String(64), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS),
    Column("last_error_code", String(100)),
    Column("last_error_message", Text),
    Column("reasons", JSON, nullable=False),
    Column("outcome", JSON),
    Column("history", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("agreement", String(200)),
    Column("signature", JSON),
    Column("give_up_at", TS),
    Column("manifest_sha256", String(64)),
    Index("ix_transfers_org_state", "organisation_id", "state"),
)

# the raw ArchiveTransferReply a transfer was judged on (the latest one received)
transfer_replies = Table(
    "transfer_replies",
    metadata,
    Column(
        "message_identifier",
        String(200),
        ForeignKey("transfers.message_identifier"),
        primary_key=True,
    ),
    Column("received_at", TS, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),  # of the reply itself (sha256 too)
    Column("content", LargeBinary, nullable=False),
    # "zlib" for a large reply, stored compressed (migration 0021); "identity" otherwise
    Column("encoding", String(8), nullable=False, server_default="identity"),
)

# -- relations between documents and signature reports (migration 0012) -----------------------

# An e-mail's attachment filed as a document ("attachment_of" the message), a detached
# signature ("signature_of" the document it signs).
document_relations = Table(
    "document_relations",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id"), primary_key=True),
    Column("relation", String(30), primary_key=True),
    Column("target_id", ID, ForeignKey("documents.id"), primary_key=True),
    Index("ix_document_relations_target", "target_id", "relation"),
)

# What the archival repository says to the producer (docs/exchanges.md, the mailbox): an
# AuthorizationOriginatingAgencyRequest awaiting an archivist's answer, or a modification notice
# recorded on the dossiers it concerns; ``raw`` is the message as received.
incoming_messages = Table(
    "incoming_messages",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("message_identifier", String(200), primary_key=True),
    Column("agreement", String(200), nullable=False),
    Column("message_type", String(60), nullable=False),
    Column("received_at", TS, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("units", JSON, nullable=False),
    Column("dossiers", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("answer", String(10)),
    Column("comment", Text),
    Column("answered_by", String(200)),
    Column("answered_at", TS),
    Column("reply_identifier", String(200)),
    Index("ix_incoming_messages_state", "organisation_id", "state"),
)

# The verification of the signatures a version carries or that are made over it
# (ETSI EN 319 102-1 indications), the last one made: ``signatures`` lists each signature.
signature_reports = Table(
    "signature_reports",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("status", String(20), nullable=False),  # valid | invalid | indeterminate | none
    Column("format", String(30)),
    Column("signer", String(1000)),
    Column("signing_time", TS),
    Column("timestamp_time", TS),
    Column("reasons", JSON, nullable=False),
    Column("signatures", JSON, nullable=False),
    Column("anchors", String(64), nullable=False),  # SHA-256 of the trust anchors used
    Column("checked_at", TS, nullable=False),
    Index("ix_signature_reports_status", "status"),
)

# -- imports from the business systems (migration 0013) ---------------------------------------

# one row per imported business object (IDActe, parapheur folder id, séance id)
inbound_records = Table(
    "inbound_records",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("profile", String(20), primary_key=True),  # actes | parapheur | seance
    Column("business_id", String(200), primary_key=True),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("documents", JSON, nullable=False),
    Column("imported_at", TS, nullable=False),
    Column("imported_by", String(200), nullable=False),
)

# each side of a délibération ↔ acte link (number and decision date), whichever came first
inbound_links = Table(
    "inbound_links",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("link_key", String(300), primary_key=True),
    Column("side", String(20), primary_key=True),  # acte | deliberation
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True, index=True),
    Column("document_id", ID, ForeignKey("documents.id"), index=True),
    Column("number", String(100), nullable=False),
)

# a document's circuit before it was imported (visas, signatures), as its system recorded it
document_events = Table(
    "document_events",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("occurred_at", TS, nullable=False),
    Column("kind", String(100), nullable=False),
    Column("agent", String(500), nullable=False),
    Column("detail", Text, nullable=False),
    Column("source", String(50), nullable=False),
)

# -- people who log in (migration 0009) -------------------------------------------------------

# A person's local account: login unique on the platform, argon2id hash (none: single sign-on
# only), consecutive failures and lock.
accounts = Table(
    "accounts",
    metadata,
    Column("principal_id", ID, ForeignKey("principals.id"), primary_key=True),
    Column("login", String(200), nullable=False, unique=True),
    Column("email", String(320), index=True),
    Column("password_hash", Text),
    Column("created_at", TS, nullable=False),
    Column("disabled_at", TS),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", TS),
)

# An OpenID Connect identity (issuer, subject) linked to a person.
oidc_links = Table(
    "oidc_links",
    metadata,
    Column("issuer", String(500), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("principal_id", ID, ForeignKey("principals.id"), nullable=False),
    Column("linked_at", TS, nullable=False),
)

# Server-side web sessions: the cookie holds a random id, this table its SHA-256.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("principal_id", ID, ForeignKey("principals.id"), nullable=False, index=True),
    Column("method", String(20), nullable=False),  # password | oidc
    Column("created_at", TS, nullable=False),
    Column("last_seen_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("revoked_at", TS),
    Column("flash", Text),  # messages shown once on the next page (JSON list)
)

# -- webhooks of the business applications (migration 0018) ----------------------------------

# A URL a principal registered to hear of transfer state changes; the HMAC key it was given
# once (needed to sign each delivery, so kept as given). ``all_transfers``: the registrant runs
# transfers (every transfer of its organisation), otherwise only those it started.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("principal_id", ID, ForeignKey("principals.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("all_transfers", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
)

# One event to deliver to one webhook: the persisted queue the scheduler of `gedsae serve`
# works through, with every attempt (status, error) until delivered or given up.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("webhook_id", ID, ForeignKey("webhooks.id"), nullable=False, index=True),
    Column("event", JSON, nullable=False),
    Column("state", String(20), nullable=False),  # pending | delivered | abandoned
    Column("attempts", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("next_attempt_at", TS, index=True),
)
