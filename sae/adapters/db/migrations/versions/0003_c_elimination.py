"""Elimination in the repository and the producers' mailbox: the messages the repository has
for its producers (read by the GED: docs/exchanges.md), and the eliminations proposed, answered,
approved and carried out; row-level security forced on both.

Revision ID: 0003_c
Revises: 0003_b
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision = "0003_c"
down_revision = "0003_b"
branch_labels = None
depends_on = None

TENANT_ID: Final = sa.String(length=64)
TS: Final = sa.DateTime(timezone=True)
TABLES: Final = ("mailbox", "eliminations")
_TENANT: Final = "tenant = current_setting('gedsae.tenant', true)"


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant"], ["tenants.id"], name=f"fk_{table}_tenant_tenants")


def upgrade() -> None:
    op.create_table(
        "mailbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("at", TS, nullable=False),
        _tenant_key("mailbox"),
        sa.PrimaryKeyConstraint("seq", name="pk_mailbox"),
        sa.UniqueConstraint("tenant", "id", name="uq_mailbox_id"),
    )
    op.create_index("ix_mailbox_tenant", "mailbox", ["tenant", "seq"])
    op.create_table(
        "eliminations",
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("originating_agency", sa.Text(), nullable=False),
        sa.Column("unit_ids", sa.Text(), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("destroyed_at", TS, nullable=True),
        sa.Column("notification", sa.LargeBinary(), nullable=True),
        _tenant_key("eliminations"),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_eliminations"),
        sa.UniqueConstraint("tenant", "message_identifier", name="uq_eliminations_message"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING ({_TENANT}) "
                f"WITH CHECK ({_TENANT})"
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
