"""Transfers remember their archival agreement, their signatures and when to give up.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("agreement", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("signature", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("give_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("give_up_at")
        batch.drop_column("signature")
        batch.drop_column("agreement")
