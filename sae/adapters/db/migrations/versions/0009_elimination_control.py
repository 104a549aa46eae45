"""An elimination may also need the visa of a control authority (Code du patrimoine R212-14):
who it is, the AuthorizationControlAuthorityRequest sent to it, its reply and the visa.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eliminations") as table:
        table.add_column(sa.Column("control_authority", sa.Text(), nullable=True))
        table.add_column(sa.Column("control_request", sa.LargeBinary(), nullable=True))
        table.add_column(sa.Column("control_reply", sa.LargeBinary(), nullable=True))
        table.add_column(sa.Column("control_granted", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("eliminations") as table:
        for column in ("control_granted", "control_reply", "control_request", "control_authority"):
            table.drop_column(column)
