"""The people of each tenant who log in to the repository's pages (their accounts, OpenID
Connect identities and web sessions: ``kernel.accounts``), and the rules each catalogued unit
keeps (``catalogue_units.rules``, SEDA 2.x ``Management``, as JSON); row-level security forced
on the new tables on PostgreSQL, as on every other.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_ID: Final = sa.String(length=64)
PRINCIPAL_ID: Final = sa.String(length=36)
TS: Final = sa.DateTime(timezone=True)

_TENANT: Final = "tenant = current_setting('gedsae.tenant', true)"
# A session is found by the SHA-256 of its cookie's id before its tenant is known.
_SESSION: Final = "id_hash = current_setting('gedsae.session', true)"
POLICIES: Final = {
    "people": (_TENANT, _TENANT),
    "oidc_links": (_TENANT, _TENANT),
    "web_sessions": (f"{_TENANT} OR {_SESSION}", _TENANT),
}


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant"], ["tenants.id"], name=f"fk_{table}_tenant_tenants")


def _person_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant", "principal_id"],
        ["people.tenant", "people.principal_id"],
        name=f"fk_{table}_person",
    )


def upgrade() -> None:
    op.add_column("catalogue_units", sa.Column("rules", sa.Text(), nullable=True))
    _people()
    _identities()
    if op.get_bind().dialect.name == "postgresql":
        for table, (using, check) in POLICIES.items():
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING ({using}) WITH CHECK ({check})"
            )


def _people() -> None:
    op.create_table(
        "people",
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("principal_id", PRINCIPAL_ID, nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        _tenant_key("people"),
        sa.PrimaryKeyConstraint("tenant", "principal_id", name="pk_people"),
        sa.UniqueConstraint("tenant", "login", name="uq_people_login"),
    )
    op.create_index("ix_people_email", "people", ["tenant", "email"])


def _identities() -> None:
    op.create_table(
        "oidc_links",
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("principal_id", PRINCIPAL_ID, nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        _tenant_key("oidc_links"),
        _person_key("oidc_links"),
        sa.PrimaryKeyConstraint("tenant", "issuer", "subject", name="pk_oidc_links"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("tenant", TENANT_ID, nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("principal_id", PRINCIPAL_ID, nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("flash", sa.Text(), nullable=True),
        _tenant_key("web_sessions"),
        _person_key("web_sessions"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_person", "web_sessions", ["tenant", "principal_id"])


def downgrade() -> None:
    for table in ("web_sessions", "oidc_links", "people"):
        op.drop_table(table)
    with op.batch_alter_table("catalogue_units") as batch:
        batch.drop_column("rules")
