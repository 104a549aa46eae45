"""Each transfer keeps the raw ArchiveTransferReply it was judged on (downloadable, evidence of
what the repository said), apart from the transfer row so that listings stay light, and its
manifest's SHA-256, sent with every push where the repository checks it (Vitam's
``X-Manifest-Digest-*``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_replies",
        sa.Column("message_identifier", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_identifier"],
            ["transfers.message_identifier"],
            name=op.f("fk_transfer_replies_message_identifier_transfers"),
        ),
        sa.PrimaryKeyConstraint("message_identifier", name=op.f("pk_transfer_replies")),
    )
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("manifest_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("manifest_sha256")
    op.drop_table("transfer_replies")
