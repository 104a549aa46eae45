"""``audit_blobs``: the GED's content re-hashed on its store and its replica against the digests
recorded at ingest, repaired from a verified copy, damage marked and logged. The main store and
the replica are a filesystem and an S3 endpoint (moto over HTTP), each way round."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from ged.adapters.fixity.audit import AuditCode, audit_blobs
from ged.domain.model import Damage, Metadata
from ged.services import documents, filing
from ged.services.ports import ContentCorrupted
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.blobstore.s3 import S3BlobStore
from tests.fixtures.ged import Ged, make_ged
from tests.fixtures.leftovers import TempWriter, temp_files
from tests.fixtures.s3 import S3Bucket, boto3_session

BODY = b"Arrete du maire portant reglement de voirie\n" * 500


@dataclass
class Store:
    """A backend, with what a test does to it behind the GED's back."""

    store: BlobStore
    corrupt: Callable[[str], None]  # flips a byte of the stored copy
    remove: Callable[[str], None]

    def read(self, sha256: str) -> bytes:
        with self.store.open(sha256) as stream:
            return stream.read()


def filesystem(root: Path, name: str) -> Store:
    store = FilesystemBlobStore(root, name=name)

    def corrupt(sha256: str) -> None:
        path = store.path_of(sha256)
        data = bytearray(path.read_bytes())
        data[7] ^= 0x01
        path.write_bytes(bytes(data))

    return Store(store, corrupt, lambda sha256: store.path_of(sha256).unlink())


def s3(bucket: S3Bucket, spool: Path, name: str) -> Store:
    spool.mkdir(exist_ok=True)
    store = S3BlobStore(
        bucket.name,
        endpoint_url=bucket.endpoint_url,
        region=bucket.region,
        access_key_id=bucket.access_key_id,
        secret_access_key=bucket.secret_access_key,
        name=name,
        spool_dir=spool,
        max_attempts=1,
        session=boto3_session(),
    )
    client = bucket.client()

    def corrupt(sha256: str) -> None:
        key = store.key_of(sha256)
        data = bytearray(client.get_object(Bucket=bucket.name, Key=key)["Body"].read())
        data[7] ^= 0x01
        client.put_object(Bucket=bucket.name, Key=key, Body=bytes(data))

    def remove(sha256: str) -> None:
        client.delete_object(Bucket=bucket.name, Key=store.key_of(sha256))

    return Store(store, corrupt, remove)


@dataclass
class Setup:
    ged: Ged
    main: Store
    replica: Store | None

    def audit(self, **options: bool) -> dict[str, object]:
        report = audit_blobs(self.ged.ctx, self.ged.settings.home / "spool", **options)
        result: dict[str, object] = json.loads(json.dumps(report.to_dict()))
        return result

    def file(self, body: bytes = BODY, title: str = "Arrêté") -> documents.Filed:
        dossier = filing.create_dossier(
            self.ged.ctx, self.ged.admin, service_id=self.ged.service.id, title="Voirie"
        )
        return documents.file_document(
            self.ged.ctx,
            self.ged.admin,
            dossier.id,
            io.BytesIO(body),
            filename=f"{title}.txt",
            metadata=Metadata(title=title),
        )

    def version(self, filed: documents.Filed) -> object:
        _, versions = documents.get_document(self.ged.ctx, self.ged.admin, filed.document.id)
        return versions[0].damage

    def download(self, filed: documents.Filed) -> bytes:
        from ged.adapters.fixity.verified_download import verified_blocks

        found, stream = documents.open_version(
            self.ged.ctx, self.ged.admin, filed.document.id, None
        )
        recorder = documents.damage_recorder(self.ged.ctx, self.ged.admin, found)
        return b"".join(verified_blocks(stream, found, recorder))

    def logged(self, action: str) -> list[dict[str, object]]:
        with self.ged.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT details FROM oplog WHERE action = :a ORDER BY seq"), {"a": action}
            )
            return [json.loads(row[0]) for row in rows]


def codes(report: dict[str, object]) -> list[tuple[str, str | None]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(f["code"], f["store"]) for f in findings]


def counts(report: dict[str, object]) -> dict[str, int]:
    found = report["counts"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(params=["filesystem-main", pytest.param("s3-main", marks=pytest.mark.s3)])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    """The main store on a filesystem or on S3, its replica on a filesystem (S3 replica:
    ``s3_replica``)."""
    replica = filesystem(tmp_path / "replica", "replica")
    if request.param == "s3-main":
        main = s3(request.getfixturevalue("s3_bucket"), tmp_path / "spool-s3", "s3")
    else:
        main = filesystem(tmp_path / "blobs", "filesystem")
    made = make_ged(tmp_path / "home", blobs=main.store, replica=replica.store)
    yield Setup(made, main, replica)
    made.engine.dispose()


@pytest.fixture
def s3_replica(tmp_path: Path, s3_bucket: S3Bucket) -> Iterator[Setup]:
    """A filesystem main store and an S3 replica."""
    main = filesystem(tmp_path / "blobs", "filesystem")
    replica = s3(s3_bucket, tmp_path / "spool-s3", "replica")
    made = make_ged(tmp_path / "home", blobs=main.store, replica=replica.store)
    yield Setup(made, main, replica)
    made.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def alone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    """No replica: damage can be found and marked, not repaired. On both databases."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    main = filesystem(tmp_path / "blobs", "filesystem")
    made = make_ged(tmp_path / "home", url, blobs=main.store)
    yield Setup(made, main, None)
    made.engine.dispose()


def test_first_audit_copies_every_blob_to_the_replica_and_is_clean(setup: Setup) -> None:
    filed = [setup.file(), setup.file(b"autre contenu", "Autre")]

    first = setup.audit()

    assert first["clean"] is True and first["blobs_checked"] == 2
    assert counts(first)["replica_copy_added"] == 2 and counts(first)["copy_ok"] == 2
    assert setup.replica is not None
    assert setup.replica.read(filed[0].version.sha256) == BODY
    second = setup.audit()
    assert counts(second)["copy_ok"] == 4 and codes(second) == []
    assert [d["clean"] for d in setup.logged("storage.audit")] == [True, True]


def test_flipped_byte_on_the_main_store_is_repaired_from_the_replica_and_logged(
    setup: Setup,
) -> None:
    filed = setup.file()
    setup.audit()
    setup.main.corrupt(filed.version.sha256)

    report = setup.audit()

    main = setup.main.store.name
    assert codes(report) == [("copy_altered", main), ("copy_repaired", main)]
    assert report["clean"] is True
    assert setup.main.read(filed.version.sha256) == BODY
    assert setup.download(filed) == BODY
    damaged, repaired = (
        setup.logged("document.content_damaged"),
        setup.logged("document.content_repaired"),
    )
    assert [(d["damage"], d["detected_by"]) for d in damaged] == [("altered", "audit")]
    assert [r["repaired_from"] for r in repaired] == ["replica"]


def test_missing_blob_on_the_main_store_is_repaired_from_the_replica(setup: Setup) -> None:
    filed = setup.file()
    setup.audit()
    setup.main.remove(filed.version.sha256)

    report = setup.audit()

    main = setup.main.store.name
    assert codes(report) == [("copy_missing", main), ("copy_repaired", main)]
    assert setup.main.read(filed.version.sha256) == BODY


def test_altered_replica_copy_is_repaired_from_the_main_store(setup: Setup) -> None:
    filed = setup.file()
    setup.audit()
    assert setup.replica is not None
    setup.replica.corrupt(filed.version.sha256)

    report = setup.audit()

    assert codes(report) == [("copy_altered", "replica"), ("copy_repaired", "replica")]
    assert setup.replica.read(filed.version.sha256) == BODY
    assert setup.logged("document.content_damaged") == []  # the served copy was never bad


def test_content_damaged_by_a_download_is_repaired_by_the_audit_and_served_again(
    setup: Setup,
) -> None:
    filed = setup.file()
    setup.audit()
    setup.main.corrupt(filed.version.sha256)
    with pytest.raises(ContentCorrupted):
        setup.download(filed)
    assert setup.version(filed) is Damage.ALTERED

    report = setup.audit()

    assert ("damage_cleared", setup.main.store.name) in codes(report)
    assert setup.version(filed) is None
    assert setup.download(filed) == BODY


@pytest.mark.s3
def test_s3_replica_is_filled_and_repairs_the_filesystem(s3_replica: Setup) -> None:
    filed = s3_replica.file()
    assert counts(s3_replica.audit())["replica_copy_added"] == 1
    s3_replica.main.corrupt(filed.version.sha256)

    report = s3_replica.audit()

    assert codes(report) == [("copy_altered", "filesystem"), ("copy_repaired", "filesystem")]
    assert s3_replica.main.read(filed.version.sha256) == BODY


def test_without_a_replica_damaged_content_is_marked_reported_and_refused(alone: Setup) -> None:
    filed = alone.file()
    alone.main.corrupt(filed.version.sha256)

    report = alone.audit()

    assert codes(report) == [("copy_altered", "filesystem"), ("content_damaged", "filesystem")]
    assert report["clean"] is False
    assert alone.version(filed) is Damage.ALTERED
    with pytest.raises(ContentCorrupted):
        alone.download(filed)
    again = alone.audit()  # still damaged: reported again, logged once
    assert ("content_damaged", "filesystem") in codes(again)
    assert len(alone.logged("document.content_damaged")) == 1


def test_sha512_is_checked_too(alone: Setup) -> None:
    filed = alone.file()
    with alone.ged.engine.begin() as conn:  # the recorded SHA-512 no longer matches the bytes
        conn.execute(
            text("UPDATE blobs SET sha512 = :bad WHERE sha256 = :d"),
            {"bad": "0" * 128, "d": filed.version.sha256},
        )

    report = alone.audit(repair=False)

    assert codes(report) == [("copy_altered", "filesystem"), ("content_damaged", "filesystem")]


def test_unreferenced_blobs_are_reported_and_kept(setup: Setup) -> None:
    setup.file()
    stray = setup.main.store.put(iter([b"jamais enregistre"]))

    report = setup.audit()

    assert ("unreferenced_blob", setup.main.store.name) in codes(report)
    assert report["clean"] is False
    assert setup.main.store.exists(stray.sha256)


def test_audit_removes_and_lists_the_temp_files_of_dead_processes_only(
    alone: Setup, writers: list[TempWriter]
) -> None:
    store = alone.main.store
    assert isinstance(store, FilesystemBlobStore)
    writers.append(killed := TempWriter(store.root))
    writers.append(live := TempWriter(store.root))
    killed.kill()

    report = alone.audit()

    assert codes(report) == [("temp_file_removed", None)]
    assert counts(report)[str(AuditCode.TEMP_FILE_REMOVED)] == 1
    assert report["clean"] is True
    assert temp_files(store.tmp_dir) == [live.path]


def test_audit_without_repair_only_reports(setup: Setup) -> None:
    filed = setup.file()
    setup.audit()
    setup.main.remove(filed.version.sha256)

    report = setup.audit(repair=False)

    assert codes(report) == [
        ("copy_missing", setup.main.store.name),
        ("content_damaged", setup.main.store.name),
    ]
    assert not setup.main.store.exists(filed.version.sha256)
