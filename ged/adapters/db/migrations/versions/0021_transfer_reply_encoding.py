"""A transfer's reply may be stored compressed: ``transfer_replies.encoding`` says how its
``content`` is stored ("zlib" for a large reply, "identity" otherwise, as every reply stored
before). A repository's reply to a transfer of 100,000 documents is 10 MB of XML.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "transfer_replies",
        sa.Column("encoding", sa.String(8), nullable=False, server_default="identity"),
    )


def downgrade() -> None:
    with op.batch_alter_table("transfer_replies") as batch:
        batch.drop_column("encoding")
