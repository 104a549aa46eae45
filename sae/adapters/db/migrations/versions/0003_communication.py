"""Communication (SEDA ``ArchiveDeliveryRequest``): the delivery requests received and their
replies, the archivists' derogations to the communicability delays, and the access register
(every communication and download); row-level security forced on each, as on every other table.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_ID: Final = sa.String(length=64)
TS: Final = sa.DateTime(timezone=True)
TABLES: Final = ("deliveries", "derogations", "access_register")
_TENANT: Final = "tenant = current_setting('gedsae.tenant', true)"


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant", TENANT_ID, nullable=False)


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant"], ["tenants.id"], name=f"fk_{table}_tenant_tenants")


def upgrade() -> None:
    _deliveries()
    _derogations()
    _register()
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING ({_TENANT}) "
                f"WITH CHECK ({_TENANT})"
            )


def _deliveries() -> None:
    op.create_table(
        "deliveries",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_identifier", sa.Text(), nullable=False),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("unit_ids", sa.Text(), nullable=False),
        sa.Column("request", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_by", sa.Text(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=False),
        _tenant_key("deliveries"),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_deliveries"),
        sa.UniqueConstraint("tenant", "message_identifier", name="uq_deliveries_message"),
    )
    op.create_index("ix_deliveries_recent", "deliveries", ["tenant", "received_at"])


def _derogations() -> None:
    op.create_table(
        "derogations",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("archive_id", sa.Text(), nullable=False),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("granted_by", sa.Text(), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        _tenant_key("derogations"),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_derogations"),
    )
    op.create_index("ix_derogations_archive", "derogations", ["tenant", "archive_id"])


def _register() -> None:
    op.create_table(
        "access_register",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        _tenant(),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("archive_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=True),
        sa.Column("derogation_id", sa.String(length=36), nullable=True),
        sa.Column("object_id", sa.Text(), nullable=True),
        sa.Column("delivery", sa.Text(), nullable=True),
        _tenant_key("access_register"),
        sa.PrimaryKeyConstraint("pk", name="pk_access_register"),
    )
    op.create_index("ix_access_register_at", "access_register", ["tenant", "at", "pk"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
