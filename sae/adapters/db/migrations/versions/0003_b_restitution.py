"""Restitution (SEDA ``ArchiveRestitutionRequest``): the requests, their replies and the
producer's receipts, and the tombstone kept of each archive deleted; row-level security forced
on both. (The application's role may now delete catalogue rows and registry rows: granted by
``sae.adapters.db.migrate`` from ``APPLICATION_PRIVILEGES``.)

Revision ID: 0003_b
Revises: 0003
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision = "0003_b"
down_revision = "0003"
branch_labels = None
depends_on = None

TENANT_ID: Final = sa.String(length=64)
TS: Final = sa.DateTime(timezone=True)
TABLES: Final = ("restitutions", "tombstones")
_TENANT: Final = "tenant = current_setting('gedsae.tenant', true)"


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant"], ["tenants.id"], name=f"fk_{table}_tenant_tenants")


def upgrade() -> None:
    op.create_table(
        "restitutions",
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("originating_agency", sa.Text(), nullable=False),
        sa.Column("unit_ids", sa.Text(), nullable=False),
        sa.Column("request", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_by", sa.Text(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=False),
        sa.Column("reply_identifier", sa.Text(), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        _tenant_key("restitutions"),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_restitutions"),
        sa.UniqueConstraint("tenant", "message_identifier", name="uq_restitutions_message"),
    )
    op.create_table(
        "tombstones",
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("archive_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("deleted_at", TS, nullable=False),
        sa.Column("deleted_by", sa.Text(), nullable=False),
        sa.Column("objects", sa.Text(), nullable=False),
        _tenant_key("tombstones"),
        sa.PrimaryKeyConstraint("tenant", "archive_id", name="pk_tombstones"),
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
