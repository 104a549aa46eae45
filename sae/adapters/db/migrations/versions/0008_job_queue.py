"""The job queue of the repository's workers on PostgreSQL: procrastinate's schema (its tables,
types and functions, as the installed procrastinate ships them) in a schema of its own,
``sae_jobs``, outside the repository's tables and their row-level security (``sae.jobs.queue``).
Nothing on SQLite, where the serving process runs the background work itself.

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

JOBS_SCHEMA = "sae_jobs"  # sae.jobs.queue.JOBS_SCHEMA (a migration does not import the app)


_PINNED_SEARCH_PATH = """
DO $$ DECLARE f record; BEGIN
    FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
             WHERE p.pronamespace = 'sae_jobs'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %%s SET search_path = sae_jobs, pg_catalog',
                       f.signature);
    END LOOP;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SCHEMA {JOBS_SCHEMA}")
    op.execute(f"SET LOCAL search_path TO {JOBS_SCHEMA}")
    # the driver reads % as a placeholder mark: procrastinate escapes them so too
    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    op.execute("RESET search_path")
    # the queue's functions and triggers find their tables whatever the caller's search_path
    op.get_bind().exec_driver_sql(_PINNED_SEARCH_PATH)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA {JOBS_SCHEMA} CASCADE")
