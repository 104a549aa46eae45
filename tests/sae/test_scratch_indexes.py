"""The scratch stores of the checks, on disk (``sae.adapters.db.spool``): the identifiers of a
scan answer as ``seda.idindex.MemoryIdIndex`` does, whether an identifier is still buffered or
already written, whatever the bit filter says; each object's names behave as a ``dict``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sae.adapters.db.spool import SqliteIdIndex, SqliteObjectNames
from seda.idindex import IdIndex, MemoryIdIndex

MANY = 10_000  # more than one buffer's worth: most entries are read back from the file


@pytest.fixture(params=[MemoryIdIndex, SqliteIdIndex], ids=["memory", "sqlite"])
def index(request: pytest.FixtureRequest) -> Iterator[IdIndex]:
    make: Callable[[], IdIndex] = request.param
    ids = make()
    yield ids
    ids.close()


def test_an_identifier_met_again_is_refused_and_keeps_its_first_kind(index: IdIndex) -> None:
    added = [index.add(f"BDO_{n}", "object") for n in range(MANY)]

    assert all(added)
    assert not index.add("BDO_0", "unit") and not index.add(f"BDO_{MANY - 1}", "unit")
    assert index.get("BDO_0") == "object" and index.get(f"BDO_{MANY - 1}") == "object"


def test_an_identifier_never_met_has_no_kind(index: IdIndex) -> None:
    for n in range(MANY):
        index.add(f"GOT_{n}", "group")

    assert index.get("GOT_x") is None and index.get(f"GOT_{MANY}") is None
    assert index.add(f"GOT_{MANY}", "group")


def test_unit_links_come_back_in_the_order_they_were_added(index: IdIndex) -> None:
    links = [(f"AU_{n}", f"AU_{n + 1}") for n in range(MANY)]
    for parent, child in links:
        index.add_edge(parent, child)

    assert list(index.edges()) == links


@pytest.fixture
def names() -> Iterator[SqliteObjectNames]:
    found = SqliteObjectNames()
    yield found
    found.close()


def test_object_names_on_disk_behave_as_a_dict(names: SqliteObjectNames) -> None:
    expected: dict[str, tuple[str, str]] = {}
    for n in range(MANY):
        for mapping in (names, expected):
            mapping[f"BDO_{n}"] = (f"content/BDO_{n}.pdf", f"doc-{n}.pdf")
    for mapping in (names, expected):
        mapping["BDO_0"] = ("content/again.pdf", "again.pdf")  # an id met twice: last names
        del mapping["BDO_1"]

    assert list(names.values()) == list(expected.values())
    assert list(names) == list(expected) and len(names) == len(expected)
    assert names.get("BDO_0") == ("content/again.pdf", "again.pdf")
    assert names.get("BDO_1") is None and names.get("BDO_x") is None
