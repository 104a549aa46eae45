"""Alembic environment of the repository's own database (not the GED's): migrations run on a
connection handed over by ``sae.adapters.db.migrate``, versions kept in ``sae_alembic_version``
so that the repository's database never mistakes the GED's revisions for its own."""

from __future__ import annotations

from alembic import context

from sae.adapters.db.migrate import VERSION_TABLE
from sae.adapters.db.tables import metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate never proposes to drop what the metadata does not describe: the catalogue's
    full-text tables (FTS5 and its shadow tables, PostgreSQL's catalogue_search) live only in
    migrations."""
    return not (type_ == "table" and reflected and compare_to is None)


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_object=include_object,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
