"""Transfers to an archival repository: one row per MessageIdentifier with its state machine.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("message_identifier", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("dossiers", sa.JSON(), nullable=False),
        sa.Column("connector", sa.String(length=50), nullable=False),
        sa.Column("transferring_agency", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("remote_reference", sa.String(length=500), nullable=True),
        sa.Column("locators", sa.JSON(), nullable=False),
        sa.Column("sip_path", sa.Text(), nullable=False),
        sa.Column("sip_sha256", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(length=100), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_transfers_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("message_identifier", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_org_state", "transfers", ["organisation_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_transfers_org_state", table_name="transfers")
    op.drop_table("transfers")
