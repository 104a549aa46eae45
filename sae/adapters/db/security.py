"""What the repository checks of its PostgreSQL database before it serves: that row-level
security can hold it.

PostgreSQL row-level security does not apply to superusers nor to roles with BYPASSRLS, even
when forced, and a table's owner can always turn it off (PostgreSQL documentation, "Row
Security Policies"). So the application must connect as a role that is neither, and owns no
table of the schema; and every table (but Alembic's version table, which holds no tenant's data)
must have row-level security enabled and forced. A database that fails any of these is refused
with what to fix.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine, text

from kernel.errors import InvalidError, Issue
from sae.adapters.db.migrate import VERSION_TABLE

_ROLE: Final = text(
    "SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
)
_OWNED: Final = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
    "AND tableowner = current_user ORDER BY tablename"
)
_UNFORCED: Final = text(
    "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
    "AND relnamespace = current_schema()::regnamespace "
    "AND NOT (relrowsecurity AND relforcerowsecurity) AND relname <> :versions ORDER BY relname"
)


class UnsafeDatabaseRole(InvalidError):
    code = "database_role_unsafe"
    title = "Rôle de connexion à la base du dépôt non cloisonné"


def check_isolation(engine: Engine) -> None:
    """``UnsafeDatabaseRole`` listing every reason the application's connection would not be
    held to its tenants; nothing on SQLite (no row-level security: the WHERE clauses alone)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        issues = _role_issues(conn) + _table_issues(conn)
    if issues:
        detail = "La connexion du dépôt à PostgreSQL n'est pas cloisonnée par locataire"
        raise UnsafeDatabaseRole(detail, issues=issues)


def _role_issues(conn: Connection) -> list[Issue]:
    role = conn.execute(_ROLE).one()
    issues = []
    if role.rolsuper or role.rolbypassrls:
        message = f"le rôle {role.role} est superutilisateur ou BYPASSRLS : il passerait outre"
        issues.append(Issue("role_bypasses_rls", message, path="database.url"))
    owned = [row.tablename for row in conn.execute(_OWNED)]
    if owned:
        message = (
            f"le rôle {role.role} possède les tables {', '.join(owned)} : il faut un autre rôle"
        )
        issues.append(Issue("role_owns_tables", message, path="database.url"))
    return issues


def _table_issues(conn: Connection) -> list[Issue]:
    unforced = [row.relname for row in conn.execute(_UNFORCED, {"versions": VERSION_TABLE})]
    if not unforced:
        return []
    message = f"sécurité au niveau des lignes absente ou non forcée : {', '.join(unforced)}"
    return [Issue("row_level_security_missing", message)]
