"""Every command checks the schema's revision without loading alembic when it is current: the
heads read from the scripts' lines must be alembic's, and any other state goes to alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from ged.adapters.db.engine import (
    alembic_config,
    applied_heads,
    declared_heads,
    make_engine,
    migrate,
    pending_migrations,
)


def test_the_heads_read_from_the_scripts_are_alembics(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert declared_heads() == frozenset(script.get_heads())
    engine.dispose()


def test_a_script_whose_revision_is_not_a_plain_literal_leaves_the_decision_to_alembic(
    tmp_path: Path,
) -> None:
    (tmp_path / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision = make_id()\ndown_revision = "0001"\n')
    assert declared_heads(tmp_path) is None


def test_merged_branches_leave_only_the_merge_as_head(tmp_path: Path) -> None:
    (tmp_path / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision: str = "0002"\ndown_revision = "0001"\n')
    (tmp_path / "0003_c.py").write_text('revision = "0003"\ndown_revision = "0001"\n')
    (tmp_path / "0004_m.py").write_text('revision = "0004"\ndown_revision = ("0002", "0003")\n')
    assert declared_heads(tmp_path) == frozenset({"0004"})


def test_a_new_database_then_an_older_one_are_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    assert applied_heads(engine) is None
    assert pending_migrations(engine)
    migrate(engine)
    assert applied_heads(engine) == declared_heads()
    assert not pending_migrations(engine)
    with engine.begin() as conn:  # as a database left at an older revision would say
        conn.execute(text("UPDATE alembic_version SET version_num = '0017'"))
    assert pending_migrations(engine)
    engine.dispose()


def test_a_command_on_a_current_database_never_loads_alembic_nor_the_optional_libraries(
    tmp_path: Path,
) -> None:
    """What the import command does not use is loaded where it is used (0.8 s at each start)."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    probe = (
        "import sys\n"
        "from ged import bootstrap, cli\n"
        "from ged.adapters.db.engine import make_engine, migrate\n"
        f"migrate(make_engine({url!r}))\n"
        "heavy = ('alembic', 'boto3', 'authlib', 'httpx', 'connectors.base', 'fastapi')\n"
        "print(' '.join(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
