"""Who granted each role, and when; existing roles take their principal's creator and creation
time from the operation log (``principal.create``), which has recorded both from the start.
Tokens get an optional expiry (``expires_at``).

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

UNKNOWN = "unknown"  # a principal whose creation is not in the log (never the case since 0001)


def upgrade() -> None:
    op.create_table(
        "role_grants",
        sa.Column("principal_id", sa.String(36), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "role", name="pk_role_grants"),
    )
    _backfill_grants()
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def _backfill_grants() -> None:
    conn = op.get_bind()
    logged = conn.execute(
        sa.text("SELECT object_id, actor FROM oplog WHERE action = 'principal.create'")
    ).all()
    creators: dict[str, str] = {str(pid): str(actor) for pid, actor in logged}
    principals = conn.execute(sa.text("SELECT id, roles, created_at FROM principals")).all()
    rows = [
        {
            "principal_id": pid,
            "role": role,
            "granted_by": creators.get(pid, UNKNOWN),
            "granted_at": created_at,
        }
        for pid, roles, created_at in principals
        for role in roles.split(",")
        if role
    ]
    if rows:
        conn.execute(
            sa.text(
                "INSERT INTO role_grants (principal_id, role, granted_by, granted_at) "
                "VALUES (:principal_id, :role, :granted_by, :granted_at)"
            ),
            rows,
        )


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("expires_at")
    op.drop_table("role_grants")
