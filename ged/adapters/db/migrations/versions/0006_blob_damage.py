"""Blobs remember that their stored bytes were found damaged (missing or altered), and when.

Revision ID: 0006
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.add_column(sa.Column("damage", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("damaged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.drop_column("damaged_at")
        batch.drop_column("damage")
