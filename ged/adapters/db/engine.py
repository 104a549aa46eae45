"""Engine creation and migrations for both databases.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (durable at checkpoint, crash-safe) and a
busy timeout; writers are serialised by SQLite itself. Its file and journals are 0600 (they hold
extracted text: ``kernel.private_files``). PostgreSQL uses psycopg 3.

Every command starts by checking that the schema is at its latest revision. Alembic (0.12 s to
import, as much again to load the scripts) is loaded only when the version table does not
already name the heads of the scripts' graph, read from their ``revision`` and
``down_revision`` lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from kernel import migrations
from kernel.database import configure_sqlite
from kernel.private_files import private_database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, busy_timeout_ms: int = 5000, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_database(Path(parsed.database))  # it and its journals: 0600
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            **kwargs,
        )
        configure_sqlite(engine, busy_timeout_ms, "NORMAL")
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def pending_migrations(engine: Engine) -> bool:
    heads = declared_heads()
    if heads is not None and heads == applied_heads(engine):
        return False
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) != set(script.get_heads())


def migrate(engine: Engine) -> None:
    """Brings the schema to the latest revision (a no-op when it is already there).

    Every head: migrations written side by side apply together until they are chained."""
    if not pending_migrations(engine):
        return
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        # every head: revisions written side by side may share a parent until they are merged
        command.upgrade(cfg, "heads")


def declared_heads(versions: Path = MIGRATIONS / "versions") -> frozenset[str] | None:
    """The GED's heads read from its scripts' lines (``kernel.migrations``)."""
    return migrations.declared_heads(versions)


def applied_heads(engine: Engine) -> frozenset[str] | None:
    """The revisions alembic's version table holds; None without one (a new database)."""
    return migrations.applied_heads(engine, "alembic_version")
