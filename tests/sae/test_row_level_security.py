"""Tenants held apart by PostgreSQL itself, beneath the application's WHERE clauses: row-level
security forced on every table, read through the setting each transaction makes
(``gedsae.tenant``), for the role the repository connects as.

These tests bypass the application's queries: raw SQL as the application's role, with no tenant
set, with another tenant's, with the tenant's own. And the repository refuses to serve through a
role that row-level security would not hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from kernel.accounts.login import login_with_oidc
from kernel.accounts.model import SessionPolicy
from kernel.accounts.oidc import OidcIdentity
from sae.adapters.db import open_database
from sae.adapters.db.migrate import VERSION_TABLE
from sae.adapters.db.security import UnsafeDatabaseRole
from sae.journal.checkpoints import Sealing
from sae.model import FileKind
from sae.people.accounts import NewPerson, create_person
from sae.people.login import people
from sae.tenancy.setup import import_file
from tests.fakes import FixedClock
from tests.fixtures.sae import OWNER, PostgresPlatform, TestDatabase, postgres_database
from tests.sae.test_catalogue import accepted, archive_of, open_sae
from tests.sae.test_checkpoints import new_identity
from tests.sae.test_deliveries import delivered, derogated
from tests.sae.test_eliminations import proposed_in
from tests.sae.test_ingest_checks import AGENCIES_CSV
from tests.sae.test_people import QUICK
from tests.sae.test_restitutions import restituted

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(sae_postgres: PostgresPlatform) -> Iterator[TestDatabase]:
    yield from postgres_database(sae_postgres)


@pytest.fixture
def filled(tmp_path: Path, schema_dir: Path, database: TestDatabase) -> TestDatabase:
    """ARCH with a row in every table (an accepted, sealed transfer, an imported file, a person
    logged in by single sign-on, a delivery, a derogation, a restitution acknowledged, an elimination proposed), and OTHER with its own tenant row and archivist's token."""
    sealing = Sealing(new_identity("Dépôt d'archives"))
    with open_sae(tmp_path, database, schema_dir, sealing=sealing) as sae:
        archive = accepted(sae, tmp_path, "TR-1")["archive_identifiers"][0]["archive_identifier"]
        delivered(sae.client, archive)  # a delivery and its lines in the access register
        derogated(sae.client, archive)
        restituted(sae.client, archive_of(sae, "courrier")["archive_id"])  # and its tombstone
        proposed_in(sae.client, sae.db, tmp_path)  # an elimination, its message in the mailbox
        import_file(sae.db, "ARCH", FileKind.AGENCIES, AGENCIES_CSV.encode(), actor="test")
        alice = NewPerson("alice", "ARCH", "archivist", "alice@archives.example")
        create_person(sae.db, QUICK, FixedClock(), alice, actor="test")
        identity = OidcIdentity("https://idp.example", "sub-1", "alice@archives.example", True)
        flows = people(sae.db, QUICK, FixedClock(), lambda: "ARCH")
        login_with_oidc(flows, SessionPolicy(), identity, "10.0.0.1")
    return database


def application(database: TestDatabase) -> Engine:
    """The role the repository connects as, used raw: no application code in between."""
    return create_engine(database.settings.url)


def tables(conn: Connection) -> list[str]:
    query = text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> :versions ORDER BY tablename"
    )
    return [row.tablename for row in conn.execute(query, {"versions": VERSION_TABLE})]


def counts(database: TestDatabase, tenant: str | None, *, of: str | None = None) -> dict[str, int]:
    """Rows of every table the application's role sees in one transaction, ``tenant`` set
    (``None``: nothing set, as a query that forgot its tenant); ``of``: only the rows of that
    tenant."""
    engine = application(database)
    try:
        with engine.begin() as conn:
            if tenant is not None:
                conn.execute(text("SELECT set_config('gedsae.tenant', :t, true)"), {"t": tenant})
            return {table: _count(conn, table, of) for table in tables(conn)}
    finally:
        engine.dispose()


def _count(conn: Connection, table: str, of: str | None) -> int:
    column = "id" if table == "tenants" else "tenant"
    where = "" if of is None else f" WHERE {column} = :of"
    # S608: the table names come from pg_tables, the tenant is a bound parameter
    query = text(f"SELECT count(*) FROM {table}{where}")  # noqa: S608
    return int(conn.execute(query, {"of": of}).scalar_one())


def test_a_query_that_sets_no_tenant_sees_no_row_of_any_table(filled: TestDatabase) -> None:
    own = counts(filled, "ARCH")
    assert all(own.values()), own  # every table holds ARCH's rows…

    assert counts(filled, None) == dict.fromkeys(own, 0)  # …and none is seen without a tenant
    assert counts(filled, "") == dict.fromkeys(own, 0)


def test_another_tenant_sees_none_of_the_tenants_rows(filled: TestDatabase) -> None:
    assert all(counts(filled, "ARCH", of="ARCH").values())
    seen_by_other = counts(filled, "OTHER", of="ARCH")

    assert seen_by_other == dict.fromkeys(seen_by_other, 0)
    assert counts(filled, "OTHER", of="OTHER")["operation_log"] >= 1  # its own, it sees


def test_a_tenant_cannot_write_a_row_for_another_tenant(filled: TestDatabase) -> None:
    engine = application(filled)
    try:
        with pytest.raises(DBAPIError, match="row-level security"), engine.begin() as conn:
            conn.execute(text("SELECT set_config('gedsae.tenant', 'OTHER', true)"))
            conn.execute(
                text(
                    "INSERT INTO stored_objects (tenant, sha256, sha512, size) "
                    "VALUES ('ARCH', :sha256, :sha512, 1)"
                ),
                {"sha256": "a" * 64, "sha512": "b" * 128},
            )
    finally:
        engine.dispose()


def test_row_level_security_is_forced_on_every_table(filled: TestDatabase) -> None:
    engine = filled.owner()
    try:
        with engine.connect() as conn:
            flags = {
                row.relname: (row.relrowsecurity, row.relforcerowsecurity)
                for row in conn.execute(
                    text(
                        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                        "WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
                        "AND relname <> :versions"
                    ),
                    {"versions": VERSION_TABLE},
                )
            }
    finally:
        engine.dispose()
    assert len(flags) >= 13
    assert set(flags.values()) == {(True, True)}, flags


def test_the_repository_refuses_to_serve_as_the_tables_owner(database: TestDatabase) -> None:
    with pytest.raises(UnsafeDatabaseRole) as refused:
        open_database(database.owner_url)

    assert [i.code for i in refused.value.issues] == ["role_owns_tables"]
    assert OWNER in refused.value.issues[0].message


def test_the_repository_refuses_to_serve_as_a_superuser(
    sae_postgres: PostgresPlatform, database: TestDatabase
) -> None:
    name = database.settings.url.rsplit("/", 1)[1]
    superuser = sae_postgres.server + f"/{name}"

    with pytest.raises(UnsafeDatabaseRole) as refused:
        open_database(superuser)

    assert "role_bypasses_rls" in [i.code for i in refused.value.issues]


def test_the_repository_refuses_a_table_whose_row_level_security_is_not_forced(
    database: TestDatabase,
) -> None:
    database.tamper("ALTER TABLE transfers NO FORCE ROW LEVEL SECURITY")

    with pytest.raises(UnsafeDatabaseRole) as refused:
        open_database(database.settings.url)

    (issue,) = refused.value.issues
    assert issue.code == "row_level_security_missing" and "transfers" in issue.message


@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM operation_log", "UPDATE operation_log SET actor = 'mallory'"],
)
def test_the_application_role_can_neither_rewrite_nor_delete_its_tenants_log(
    filled: TestDatabase, statement: str
) -> None:
    engine = application(filled)
    try:
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("SELECT set_config('gedsae.tenant', 'ARCH', true)"))
            conn.execute(text(statement))
    finally:
        engine.dispose()
    assert counts(filled, "ARCH")["operation_log"] >= 4
