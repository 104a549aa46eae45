"""A dossier's documents in filing order from one index: ``(dossier_id, pk)``. A transfer reads
a dossier's documents page by page, each page starting after the last key read
(``documents_in(after=...)``); with ``(dossier_id)`` alone PostgreSQL sorted the whole dossier
again for every page (SQLite's index already ended with the rowid). The new index replaces the
old one, which is its prefix.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_dossier_pk", "documents", ["dossier_id", "pk"])
    op.drop_index("ix_documents_dossier", table_name="documents")


def downgrade() -> None:
    op.create_index("ix_documents_dossier", "documents", ["dossier_id"])
    op.drop_index("ix_documents_dossier_pk", table_name="documents")
