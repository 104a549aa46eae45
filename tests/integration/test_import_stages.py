"""A folder import in two stages, on both databases: the files are acknowledged once deposited
(durable, hashed, recorded, logged) with their versions pending; identification, extraction
and indexing of their text follow, batch after batch, and what an interruption leaves pending
is finished by the next run."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from ged.adapters.db.repository import SqlRepository
from ged.bootstrap import in_background
from ged.domain.model import ExtractionStatus, Version
from ged.domain.search import SearchQuery
from ged.services import importer, pending
from ged.services.context import Context
from ged.services.oplog import verify_log
from ged.services.ports import ExtractedText
from ged.services.search import search_documents
from kernel.blobstore.bulk import BulkStorer, Committing, Outcome, PartlyStored, Staged
from kernel.blobstore.ports import ContentRef
from kernel.errors import NotFoundError
from tests.fixtures.ged import Ged
from tests.fixtures.leftovers import temp_files

NAMES = ["arrete", "budget", "cantine", "deliberation", "election"]
WORDS = ["abattoir", "bibliotheque", "cimetiere", "piscine", "marche"]


def make_tree(root: Path, count: int) -> Path:
    for i in range(count):
        folder = root / f"dossier-{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        body = f"compte rendu {WORDS[i]} voirie"
        (folder / f"{NAMES[i]} 2026.txt").write_text(body, encoding="utf-8")
    return root


def statuses(ged: Ged) -> list[ExtractionStatus]:
    """The extraction status of every document's version, by title."""
    hits = search_documents(ged.ctx, ged.admin, query(ged, "", limit=100)).hits
    with ged.ctx.uow() as uow:
        versions = {
            hit.document.metadata.title: uow.repo.list_versions(hit.document.id) for hit in hits
        }
    return [versions[title][0].extraction_status for title in sorted(versions)]


def query(ged: Ged, text: str, limit: int = 20) -> SearchQuery:
    return SearchQuery(organisation_id=ged.admin.organisation_id, text=text, limit=limit)


def found(ged: Ged, text: str) -> list[str]:
    return [
        h.document.metadata.title
        for h in search_documents(ged.ctx, ged.admin, query(ged, text)).hits
    ]


def test_an_import_acknowledges_pending_versions_searchable_by_their_text_only_after_the_next_stage(
    ged: Ged, tmp_path: Path
) -> None:
    tree = make_tree(tmp_path / "versement", 5)

    summary = importer.import_tree(ged.ctx, ged.admin, tree, ged.service.id)

    assert (summary.files, summary.dossiers) == (5, 2)
    assert statuses(ged) == [ExtractionStatus.PENDING] * 5
    assert found(ged, "deliberation") == ["deliberation 2026.txt"]  # at once, as an upload's
    assert found(ged, "piscine") == []
    assert verify_log(ged.ctx).ok

    assert pending.process_pending(ged.ctx, batch=2) == 5

    assert statuses(ged) == [ExtractionStatus.DONE] * 5
    assert found(ged, "piscine") == ["deliberation 2026.txt"]
    assert pending.process_pending(ged.ctx) == 0


class Interrupted(Exception):
    pass


def interrupted_after(ctx: Context, calls: int) -> Context:
    """The context whose extraction stops the process (a crash) at call ``calls + 1``."""
    made = [0]

    def extract_many(files: Iterable[tuple[Path, str | None]]) -> list[ExtractedText]:
        jobs = list(files)
        made[0] += bool(jobs)
        if made[0] > calls:
            raise Interrupted
        return list(ctx.extract_many(jobs))

    return replace(ctx, extract_many=extract_many)


def test_an_interruption_between_batches_leaves_the_rest_pending_for_the_next_run(
    ged: Ged, tmp_path: Path
) -> None:
    importer.import_tree(ged.ctx, ged.admin, make_tree(tmp_path / "versement", 5), ged.service.id)

    with pytest.raises(Interrupted):
        pending.process_pending(interrupted_after(ged.ctx, 1), batch=2)

    assert sorted(statuses(ged)) == [ExtractionStatus.DONE] * 2 + [ExtractionStatus.PENDING] * 3
    assert pending.count_pending(ged.ctx) == 3
    assert pending.process_pending(ged.ctx, batch=2) == 3
    assert statuses(ged) == [ExtractionStatus.DONE] * 5
    assert sorted(found(ged, "voirie")) == [f"{name} 2026.txt" for name in NAMES]


def test_a_version_recorded_meanwhile_by_another_process_is_not_recorded_twice(
    ged: Ged, tmp_path: Path
) -> None:
    importer.import_tree(ged.ctx, ged.admin, make_tree(tmp_path / "versement", 2), ged.service.id)
    with ged.ctx.uow() as uow:
        keys = uow.repo.versions_pending_extraction(10)
    pending.process_many(ged.ctx, keys[:1])  # a server resuming the same version first

    pending.process_many(ged.ctx, keys)

    with ged.ctx.uow() as uow:
        texts = [uow.repo.get_text(doc_id, number) for doc_id, number in keys]
    assert all(texts) and pending.count_pending(ged.ctx) == 0


class Refused(Exception):
    pass


def test_a_batch_whose_transaction_fails_leaves_no_blob_behind(
    ged: Ged, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(tmp_path / "versement", 5)
    (tree / "dossier-0" / "copie.txt").write_bytes(
        (tree / "dossier-0" / "arrete 2026.txt").read_bytes()
    )
    monkeypatch.setattr(importer, "BATCH", 2)
    real_add_versions = SqlRepository.add_versions
    calls = [0]

    def add_versions(repo: SqlRepository, versions: list[Version]) -> None:
        calls[0] += 1
        if calls[0] == 2:  # the second batch's transaction fails (disk full, lock…)
            raise Refused
        real_add_versions(repo, versions)

    monkeypatch.setattr(SqlRepository, "add_versions", add_versions)

    with pytest.raises(Refused):
        importer.import_tree(ged.ctx, ged.admin, tree, ged.service.id)

    with ged.ctx.uow() as uow:
        stored = list(ged.ctx.blobs.iter_digests())
        assert stored and all(uow.repo.blob_referenced(sha256) for sha256 in stored)
    assert len(stored) == 2  # the first batch's; the second's and the third, stored meanwhile, gone


def test_a_batch_whose_storage_fails_in_part_leaves_no_blob_behind(
    ged: Ged, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third batch fails as a whole while made durable (a sync, a rename): its blobs that
    became visible, recorded nowhere, are removed; the batches before stay."""
    tree = make_tree(tmp_path / "versement", 5)
    monkeypatch.setattr(importer, "BATCH", 2)
    real_commit = BulkStorer.commit
    calls = [0]

    class Failing:
        def __init__(self, committing: Committing) -> None:
            self.committing = committing

        def result(self) -> list[Outcome]:
            done = [o for o in self.committing.result() if isinstance(o, ContentRef)]
            raise PartlyStored(Refused("stockage"), done)

    def commit(storer: BulkStorer, staged: Staged) -> Committing | Failing:
        calls[0] += 1
        committing = real_commit(storer, staged)
        return Failing(committing) if calls[0] == 3 else committing

    monkeypatch.setattr(BulkStorer, "commit", commit)

    with pytest.raises(Refused, match="stockage"):
        importer.import_tree(ged.ctx, ged.admin, tree, ged.service.id)

    with ged.ctx.uow() as uow:
        stored = list(ged.ctx.blobs.iter_digests())
        assert all(uow.repo.blob_referenced(sha256) for sha256 in stored)
    assert len(stored) == 4  # the first two batches'
    assert temp_files(ged.ctx.blobs.tmp_dir) == []


def test_an_import_that_does_not_go_ahead_leaves_no_file_of_what_it_staged(
    ged: Ged, tmp_path: Path
) -> None:
    """``gedsae import`` stages its first batches while it starts; the service is unknown."""
    tree = make_tree(tmp_path / "versement", 5)
    deposit = importer.Deposit(ged.ctx.blobs, tree, max_size=None)

    with pytest.raises(NotFoundError):
        importer.import_tree(ged.ctx, ged.admin, tree, "no-such-service", deposit=deposit)

    assert list(ged.ctx.blobs.iter_digests()) == []
    assert temp_files(ged.ctx.blobs.tmp_dir) == []


def test_warming_up_starts_each_helper_in_the_background_and_a_failure_stops_none() -> None:
    started: list[str] = []
    done = threading.Semaphore(0)

    def start(name: str) -> Callable[[], None]:
        def run() -> None:
            started.append(name)
            done.release()
            if name == "broken":
                raise OSError("no process")

        return run

    in_background([start("broken"), start("sandbox"), start("identification")])()

    assert all(done.acquire(timeout=30) for _ in range(3))
    assert sorted(started) == ["broken", "identification", "sandbox"]
