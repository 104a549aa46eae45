"""An archivist changes an archive's description or rules: the catalogue shows (and finds) the
change, and an ArchiveModificationNotification saying what changed waits in the producer's
mailbox, read by the GED's own connector (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sae.model import FileKind
from seda.messages import parse_message
from seda.modification import ArchiveModificationNotification
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae.test_deliveries import NOW, RULES_CSV, SENDER, archive_id, exchanges
from tests.sae.test_ingest import (
    AGREEMENTS,
    API,
    ARCHIVIST,
    Repository,
    build_sip,
    decide,
    open_repository,
    submit,
)
from tests.seda.test_destruction import assert_valid


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Repository]:
    files = [(FileKind.RULES, RULES_CSV.encode(), "")]
    with open_repository(
        tmp_path, sae_database, schema_dir, AGREEMENTS, files=files, clock=lambda: NOW
    ) as repository:
        sip = build_sip(tmp_path, "TR-1")
        accepted = decide(repository, submit(repository, sip, "TR-1").remote_reference, "accept")
        assert accepted.status_code == 200, accepted.text
        yield repository


def modify(repo: Repository, archive: str, **body: Any) -> Any:
    return repo.client.patch(f"{API}/archives/{archive}", json=body, headers=ARCHIVIST)


def test_a_change_of_title_and_access_rule_is_catalogued_and_notified_to_the_producer(
    repo: Repository, schema_dir: Path
) -> None:
    letter = archive_id(repo, "courrier.txt")
    changed = modify(
        repo,
        letter,
        title="Lettre au préfet",
        access={"rule_id": "ACC-50", "start_date": "2021-02-01"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["rules"]["access"] == [{"rule_id": "ACC-50", "start_date": "2021-02-01"}]
    assert archive_id(repo, "Lettre au préfet") == letter  # found by its new title
    [incoming] = exchanges(repo).mailbox(None).messages
    assert incoming.message_type == "ArchiveModificationNotification"
    assert_valid(schema_dir, SedaVersion.V2_2, incoming.raw)
    _, notice = parse_message(incoming.raw)
    assert isinstance(notice, ArchiveModificationNotification)
    assert (notice.unit_identifiers, notice.originating_agency) == ((letter,), "SERVICE-A")
    assert notice.comments == (
        "Intitulé : « courrier.txt » devient « Lettre au préfet »",
        "Communicabilité : aucune règle devient ACC-50 à compter du 2021-02-01",
    )
    shown = repo.client.get(f"{API}/messages/{incoming.remote_id}", headers=SENDER)
    assert shown.content == incoming.raw


def test_an_unknown_rule_an_empty_title_or_no_change_is_refused_with_every_reason(
    repo: Repository,
) -> None:
    letter = archive_id(repo, "courrier.txt")
    refused = modify(repo, letter, title=" ", access={"rule_id": "ACC-9"}, final_action="Garder")
    assert (refused.status_code, refused.json()["code"]) == (422, "modification_invalid")
    codes = {i["code"] for i in refused.json()["issues"]}
    assert codes == {"title_missing", "unknown_rule", "final_action_unknown"}
    nothing = modify(repo, letter)
    assert [i["code"] for i in nothing.json()["issues"]] == ["nothing_changed"]
    assert exchanges(repo).mailbox(None).messages == ()
    by_sender = repo.client.patch(f"{API}/archives/{letter}", json={"title": "x"}, headers=SENDER)
    assert by_sender.status_code == 403
