"""The repository's ports on SQLAlchemy Core, one implementation for SQLite (the embedded
default, one file under the repository's home) and PostgreSQL (a shared platform), with the
repository's own Alembic migrations (``migrations/``, not the GED's).

``open_database`` is the one way in: SQLite migrates its file; PostgreSQL is migrated by the
schema's owner (when its URL is given) and then refused unless its row-level security can hold
the application's role (``security.check_isolation``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from kernel.errors import InvalidError
from sae.adapters.db.database import SqlDatabase
from sae.adapters.db.engine import make_engine
from sae.adapters.db.migrate import migrate, up_to_date
from sae.adapters.db.security import check_isolation

__all__ = ["DatabaseNotReady", "SqlDatabase", "open_database"]


class DatabaseNotReady(InvalidError):
    code = "database_not_ready"
    title = "Base du dépôt absente ou pas à jour"


def open_database(url: str, *, owner_url: str | None = None, create: bool = True) -> SqlDatabase:
    """The database at ``url``, its schema brought up to date first (see the module docstring).
    ``create=False``: a SQLite file that does not exist is refused, never created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not create and not path.is_file():
            raise DatabaseNotReady(f"Base du dépôt introuvable : {path} (gedsae-sae init)")
        engine = make_engine(url)
        migrate(engine)
        return SqlDatabase(engine)
    if owner_url:
        owner = make_engine(owner_url)
        try:
            migrate(owner, application_role=parsed.username)
        finally:
            owner.dispose()
    engine = make_engine(url)
    try:
        if not up_to_date(engine):
            raise DatabaseNotReady(
                "Schéma de la base du dépôt pas à jour : gedsae-sae db upgrade (database.owner_url)"
            )
        check_isolation(engine)
    except Exception:
        engine.dispose()  # refused: no connection left open behind the error
        raise
    return SqlDatabase(engine)
