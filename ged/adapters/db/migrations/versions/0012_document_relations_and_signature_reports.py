"""Documents related to others (an e-mail's attachments, detached signatures) and the report of
the last verification of each version's signatures.

Revision ID: 0012
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_relations",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("relation", sa.String(length=30), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_relations_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["documents.id"], name=op.f("fk_document_relations_target_id_documents")
        ),
        sa.PrimaryKeyConstraint(
            "document_id", "relation", "target_id", name=op.f("pk_document_relations")
        ),
    )
    op.create_index("ix_document_relations_target", "document_relations", ["target_id", "relation"])
    op.create_table(
        "signature_reports",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=30), nullable=True),
        sa.Column("signer", sa.String(length=1000), nullable=True),
        sa.Column("signing_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timestamp_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("anchors", sa.String(length=64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_signature_reports_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", "number", name=op.f("pk_signature_reports")),
    )
    op.create_index("ix_signature_reports_status", "signature_reports", ["status"])


def downgrade() -> None:
    op.drop_index("ix_signature_reports_status", table_name="signature_reports")
    op.drop_table("signature_reports")
    op.drop_index("ix_document_relations_target", table_name="document_relations")
    op.drop_table("document_relations")
