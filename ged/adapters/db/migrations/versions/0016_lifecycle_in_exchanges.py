"""The lifecycle travels to the repository, and comes back through its exchanges: a rule may
end by an alternative (« 75 ans, ou 25 ans à compter du décès si ce délai est plus bref »,
Code du patrimoine L213-2, I, 4°); what the repository says to the producer (an authorization
request before an elimination, a modification notice) is kept in ``incoming_messages``.

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
    op.create_table(
        "incoming_messages",
        sa.Column("organisation_id", sa.String(36), sa.ForeignKey("organisations.id")),
        sa.Column("message_identifier", sa.String(200)),
        sa.Column("agreement", sa.String(200), nullable=False),
        sa.Column("message_type", sa.String(60), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("dossiers", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("answer", sa.String(10)),
        sa.Column("comment", sa.Text()),
        sa.Column("answered_by", sa.String(200)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("reply_identifier", sa.String(200)),
        sa.PrimaryKeyConstraint("organisation_id", "message_identifier"),
    )
    op.create_index("ix_incoming_messages_state", "incoming_messages", ["organisation_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_incoming_messages_state", table_name="incoming_messages")
    op.drop_table("incoming_messages")
    with op.batch_alter_table("retention_rules") as batch:
        batch.drop_column("alternative_event_name")
        batch.drop_column("alternative_event_kind")
        batch.drop_column("alternative_duration")
