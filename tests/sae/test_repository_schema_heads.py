"""The repository checks its schema's revision without loading Alembic when it is current, as the
GED does (``kernel.migrations``): a server or worker keeps none of it in memory (10 MiB)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from sae.adapters.db import open_database
from sae.adapters.db.migrate import VERSION_TABLE, latest_heads, up_to_date


def test_a_current_repository_database_is_opened_without_alembic_nor_httpx(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'sae.db'}"
    open_database(url).engine.dispose()  # created and migrated: Alembic loaded here
    probe = (
        "import sys\n"
        "from sae.api.app import create_app\n"
        "from sae.adapters.db import open_database\n"
        f"open_database({url!r})\n"
        "print(' '.join(sorted(m for m in ('alembic', 'httpx') if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_a_repository_database_at_an_older_revision_is_not_up_to_date(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'sae.db'}")
    assert up_to_date(database.engine)
    with database.engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0009'"))  # noqa: S608
    assert "0009" not in latest_heads()
    assert not up_to_date(database.engine)
    database.engine.dispose()
