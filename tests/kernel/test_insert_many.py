"""``insert_many`` stores what ``conn.execute(insert(table), rows)`` stores, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from kernel.database import insert_many

metadata = MetaData()
# The kinds of columns a bulk import writes: text, JSON, dates, aware datetimes, a counter.
things = Table(
    "things",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("extra", JSON, nullable=False),
    Column("on", Date, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
)
# A column filled by a Python-side default when the rows leave it out.
defaulted = Table(
    "defaulted",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("state", String(20), nullable=False, default="pending"),
)


def rows(prefix: str) -> list[dict[str, Any]]:
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    return [
        {
            "name": f"{prefix} l'été {i} 50 %",  # quote, accent, percent sign
            "extra": {"chemin": f"a/{i}", "n": [i, None]},
            "on": date(2026, 1, i + 1) if i % 2 else None,
            "at": at,
            "count": i,
        }
        for i in range(5)
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_rows_read_back_as_sqlalchemy_stores_them(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(things), rows("usual"))
        insert_many(conn, things, rows("fast"))
        stored = conn.execute(select(things).order_by(things.c.pk)).mappings().all()

    usual = [{k: v for k, v in r.items() if k != "pk"} for r in stored[:5]]
    fast = [{k: v for k, v in r.items() if k != "pk"} for r in stored[5:]]
    assert [r | {"name": r["name"].replace("usual", "fast")} for r in usual] == fast
    assert fast[1]["extra"] == {"chemin": "a/1", "n": [1, None]}
    assert fast[1]["on"] == date(2026, 1, 2)


def test_a_column_with_a_python_default_gets_it(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_many(conn, defaulted, [{"name": "a"}, {"name": "b"}])
        states = conn.execute(select(defaulted.c.name, defaulted.c.state)).all()

    assert sorted(states) == [("a", "pending"), ("b", "pending")]


def test_no_rows_no_statement(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_many(conn, things, [])
        assert conn.execute(select(things)).all() == []
