"""Indexes that answer a dossier's lifecycle facts without reading its documents: the date of
its latest document (its own date, else the day it was filed: the start of a rule that counts
from the last document) and its document types (rules bound to a type). A dossier of 5,000
documents was read row by row for both on every dossier page and ``GET /api/v1/dossiers/{id}``.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_documents_dossier_dates", "documents", ["dossier_id", "created_on", "created_at"]
    )
    op.create_index("ix_documents_dossier_types", "documents", ["dossier_id", "document_type"])


def downgrade() -> None:
    op.drop_index("ix_documents_dossier_types", table_name="documents")
    op.drop_index("ix_documents_dossier_dates", table_name="documents")
