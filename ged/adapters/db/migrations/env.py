"""Alembic environment: migrations run on a connection handed over by ``ged.adapters.db.engine``."""

from __future__ import annotations

from alembic import context

from ged.adapters.db.tables import metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate never proposes to drop what the metadata does not describe: the full-text
    tables (FTS5 and its shadow tables, PostgreSQL's document_search) live only in migrations."""
    return not (type_ == "table" and reflected and compare_to is None)


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
