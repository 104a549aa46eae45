"""People log in: local accounts (platform-wide login, argon2id hash, lock after failures),
their OpenID Connect identities (issuer, subject), and server-side web sessions (the cookie holds
only a random id; its SHA-256 is the key here) with their expiry and revocation.

Revision ID: 0009
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0013"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("principal_id", sa.String(36), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("login", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("principal_id", name="pk_accounts"),
        sa.UniqueConstraint("login", name="uq_accounts_login"),
    )
    op.create_index("ix_accounts_email", "accounts", ["email"])
    op.create_table(
        "oidc_links",
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("principal_id", sa.String(36), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("issuer", "subject", name="pk_oidc_links"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("principal_id", sa.String(36), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_principal_id", "web_sessions", ["principal_id"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_principal_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("oidc_links")
    op.drop_index("ix_accounts_email", table_name="accounts")
    op.drop_table("accounts")
