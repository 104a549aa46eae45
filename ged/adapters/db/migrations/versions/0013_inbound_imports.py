"""Imports from the business systems: one record per imported business object (IDActe,
parapheur folder id, séance id) naming its dossier and the fingerprint of its files; each side
of a délibération ↔ acte link; a document's circuit history (visas, signatures) before import.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.String(length=36)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_records",
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("profile", sa.String(length=20), nullable=False),
        sa.Column("business_id", sa.String(length=200), nullable=False),
        sa.Column("dossier_id", ID, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        _fk("inbound_records", "organisation_id", "organisations"),
        _fk("inbound_records", "dossier_id", "dossiers"),
        sa.PrimaryKeyConstraint(
            "organisation_id", "profile", "business_id", name=op.f("pk_inbound_records")
        ),
    )
    op.create_index(
        op.f("ix_inbound_records_dossier_id"), "inbound_records", ["dossier_id"], unique=False
    )
    _create_links()
    _create_document_events()


def _create_links() -> None:
    op.create_table(
        "inbound_links",
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("link_key", sa.String(length=300), nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("dossier_id", ID, nullable=False),
        sa.Column("document_id", ID, nullable=True),
        sa.Column("number", sa.String(length=100), nullable=False),
        _fk("inbound_links", "organisation_id", "organisations"),
        _fk("inbound_links", "dossier_id", "dossiers"),
        _fk("inbound_links", "document_id", "documents"),
        sa.PrimaryKeyConstraint(
            "organisation_id", "link_key", "side", "dossier_id", name=op.f("pk_inbound_links")
        ),
    )
    for column in ("dossier_id", "document_id"):
        op.create_index(op.f(f"ix_inbound_links_{column}"), "inbound_links", [column], unique=False)


def _create_document_events() -> None:
    op.create_table(
        "document_events",
        sa.Column("document_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("agent", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        _fk("document_events", "document_id", "documents"),
        sa.PrimaryKeyConstraint("document_id", "position", name=op.f("pk_document_events")),
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def downgrade() -> None:
    op.drop_table("document_events")
    for column in ("document_id", "dossier_id"):
        op.drop_index(op.f(f"ix_inbound_links_{column}"), table_name="inbound_links")
    op.drop_table("inbound_links")
    op.drop_index(op.f("ix_inbound_records_dossier_id"), table_name="inbound_records")
    op.drop_table("inbound_records")
