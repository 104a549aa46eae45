"""A decided transfer's reply and archive identifiers may be kept compressed (zlib): 10 MB of
XML and 6.5 MB of JSON for 100,000 units, which the database copied several times in memory
while writing them. Rows written before keep their form (``reply_encoding`` NULL, the
identifiers in ``archive_identifiers``).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as table:
        table.add_column(sa.Column("reply_encoding", sa.String(8), nullable=True))
        table.add_column(sa.Column("archive_identifiers_zlib", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers") as table:
        table.drop_column("archive_identifiers_zlib")
        table.drop_column("reply_encoding")
