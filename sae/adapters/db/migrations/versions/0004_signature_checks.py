"""The repository's own verification of the signed objects a transfer declares signature
reports for (``transfers.signature_checks``, a JSON list: object, declared status, status found,
reasons), shown to the archivist at review, and kept in the catalogue with each accepted object
(``catalogue_objects.signature_status``).

Revision ID: 0004
Revises: 0003_c
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("transfers", sa.Column("signature_checks", sa.Text(), nullable=True))
    op.add_column(
        "catalogue_objects", sa.Column("signature_status", sa.String(length=16), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("catalogue_objects", "signature_status")
    op.drop_column("transfers", "signature_checks")
