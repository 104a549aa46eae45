"""The repository's schema brought up to date by its own Alembic migrations, and what the
application's role may do on it (PostgreSQL).

On SQLite the repository migrates its own file when it opens it. On PostgreSQL two roles take
part: the schema's owner runs the migrations (``gedsae-sae db upgrade``, or ``serve`` when an
owner URL is configured) and grants the application's role what ``APPLICATION_PRIVILEGES``
lists, no more: the application can neither rewrite nor delete the operation log, and, not
owning the tables, it is held by their row-level security (``sae.adapters.db.security``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, Engine, text

from kernel.migrations import at_latest
from sae.adapters.db.tables import APPLICATION_PRIVILEGES

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS: Final = Path(__file__).parent / "migrations"
# Not alembic_version: the repository's revisions are never mistaken for the GED's.
VERSION_TABLE: Final = "sae_alembic_version"
_JOBS_SCHEMA: Final = text("SELECT 1 FROM pg_namespace WHERE nspname = 'sae_jobs'")
_JOB_GRANTS: Final = (
    "GRANT USAGE ON SCHEMA sae_jobs TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA sae_jobs TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA sae_jobs TO {role}",
    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA sae_jobs TO {role}",
)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_heads(connection: Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return set(context.get_current_heads())


def latest_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def up_to_date(engine: Engine) -> bool:
    """Read from the scripts' lines and the version table first (``kernel.migrations``): a
    server whose schema is current never loads Alembic (10 MiB it would keep)."""
    if at_latest(engine, MIGRATIONS / "versions", VERSION_TABLE):
        return True
    with engine.connect() as conn:
        return current_heads(conn) == latest_heads()


def migrate(engine: Engine, application_role: str | None = None) -> None:
    """Brings the schema to the latest revision (a no-op when it is there), then grants the
    application's role its privileges (PostgreSQL, when one is named)."""
    if not up_to_date(engine):
        from alembic import command

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    if application_role and engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            grant(conn, application_role)


def grant(conn: Connection, role: str) -> None:
    """``APPLICATION_PRIVILEGES`` to ``role``, on each table of the schema; nothing else."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    for table, privileges in APPLICATION_PRIVILEGES.items():
        conn.execute(text(f"REVOKE ALL ON {table} FROM {quoted}"))
        conn.execute(text(f"GRANT {privileges} ON {table} TO {quoted}"))
    conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    if conn.execute(_JOBS_SCHEMA).scalar():
        # the workers' queue (sae.jobs.queue): its rows name jobs, not a tenant's data
        for statement in _JOB_GRANTS:
            conn.execute(text(statement.format(role=quoted)))
