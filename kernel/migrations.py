"""Whether a schema is at the latest revision of its migration scripts, without loading Alembic.

Alembic takes 0.12 s to import and as much again to load the scripts, and stays in memory once
loaded (10 MiB in a server process, measured). Each script declares its ``revision`` and
``down_revision`` as plain literals; the heads of the graph are the revisions no script names as
its parent. When the version table names exactly those, there is nothing to migrate; anything
else (a script whose lines are not plain literals, no version table yet, other heads) goes to
Alembic.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

_DECLARED = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def declared_heads(versions: Path) -> frozenset[str] | None:
    """The revisions no script in ``versions`` names as its ``down_revision``; None when a script
    does not declare both as plain literals (Alembic then reads them)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        if script.name == "__init__.py":
            continue
        declared = dict(_DECLARED.findall(script.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(declared["revision"])
            down = ast.literal_eval(declared["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents) or None


def applied_heads(engine: Engine, version_table: str) -> frozenset[str] | None:
    """The revisions Alembic's version table holds; None without one (a new database)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT version_num FROM {version_table}")).scalars()  # noqa: S608
            return frozenset(str(row) for row in rows)
    except DBAPIError:
        return None


def at_latest(engine: Engine, versions: Path, version_table: str) -> bool:
    """True when the version table names the scripts' heads (False may still be current: the
    caller then asks Alembic)."""
    heads = declared_heads(versions)
    return heads is not None and heads == applied_heads(engine, version_table)
