"""The lifecycle travels to the repository, and comes back through its exchanges: a rule may
end by an alternative (« 75 ans, ou 25 ans à compter du décès si ce délai est plus bref »,
Code du patrimoine L213-2, I, 4°).

Revision ID: 0016
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retention_rules") as batch:
        batch.add_column(sa.Column("alternative_duration", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("alternative_event_kind", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("alternative_event_name", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("retention_rules") as batch:
        batch.drop_column("alternative_event_name")
        batch.drop_column("alternative_event_kind")
        batch.drop_column("alternative_duration")
