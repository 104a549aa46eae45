"""S3 Object Lock in compliance mode, over HTTP against the S3 endpoint process (moto server):
a filesystem offer and a locked S3 offer, the object refused deletion and overwrite before its
retention date by the endpoint itself, reported as a clear conflict, eliminated once the date
is past, and audited across both offers."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from connectors.sae_http import SaeHttpConnector
from kernel import problems
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore, ObjectRetained
from kernel.blobstore.s3 import S3BlobStore
from kernel.cli import exit_code
from kernel.retention import Duration, end_date
from sae.adapters.db import SqlDatabase
from sae.adapters.db.registry import SqlDigestRegistry
from sae.api.app import create_app
from sae.bootstrap import Repository as Opened
from sae.journal.checkpoints import Sealing, seal
from sae.model import Decision, FileKind
from sae.review import decisions
from sae.storage.audit import AuditCode, audit
from sae.storage.offers import StorageOffers
from sae.tenancy.setup import import_file
from seda.model import AppraisalRule, ArchiveTransfer, Management, Rule
from tests.fixtures.s3 import S3Bucket, boto3_session
from tests.fixtures.sae import TestDatabase
from tests.sae import setup
from tests.sae.test_checkpoints import new_identity
from tests.sae.test_ingest import AGREEMENTS, TOKENS, build_sip, manifest_sha256

pytestmark = pytest.mark.s3

CONTENT = b"Registre des deliberations 1998\n" * 500
FAR = date(2125, 1, 1)  # a retention date no run of the suite reaches
PAST_FOR_THE_ENDPOINT = date(2021, 1, 1)  # future for a clock stopped in 2020, past for moto
TEN_YEARS = Duration(years=10)


def locked_bucket(endpoint_url: str) -> S3Bucket:
    """A bucket created with Object Lock (and so with versioning), as a deployment makes it."""
    bucket = S3Bucket(endpoint_url=endpoint_url, name=f"lock-{uuid.uuid4().hex[:20]}")
    bucket.client().create_bucket(Bucket=bucket.name, ObjectLockEnabledForBucket=True)
    return bucket


def locking_offer(
    bucket: S3Bucket, spool: Path, clock: Callable[[], datetime] | None = None
) -> S3BlobStore:
    """The offer as a deployment configures it; our side's clock stopped on 1 January 2026 (the
    endpoint keeps its own, which only has to be before the dates it is asked to hold)."""
    spool.mkdir(exist_ok=True)
    return S3BlobStore(
        bucket.name,
        endpoint_url=bucket.endpoint_url,
        region=bucket.region,
        access_key_id=bucket.access_key_id,
        secret_access_key=bucket.secret_access_key,
        spool_dir=spool,
        name="s3-verrouille",
        max_attempts=1,
        session=boto3_session(),
        keep_minimum=TEN_YEARS,
        clock=clock or (lambda: midnight(date(2026, 1, 1))),
    )


@pytest.fixture
def registry(sae_db: SqlDatabase) -> SqlDigestRegistry:
    setup.tenant(sae_db, "ARCH")
    return sae_db.registry("ARCH")


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[S3Bucket]:
    # Locked objects outlive the test: the bucket stays in the endpoint's memory until it stops.
    yield locked_bucket(s3_endpoint)


def offers_with(
    tmp_path: Path, registry: SqlDigestRegistry, s3: S3BlobStore
) -> tuple[StorageOffers, FilesystemBlobStore]:
    disk = FilesystemBlobStore(tmp_path / "disque", name="disque")
    return StorageOffers([disk, s3], registry, spool_dir=tmp_path), disk


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def versions(bucket: S3Bucket, key: str) -> list[str]:
    listed = bucket.client().list_object_versions(Bucket=bucket.name, Prefix=key)
    return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == key]


def test_a_retained_object_is_locked_in_compliance_mode_until_its_date(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))

    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))

    head = bucket.client().head_object(Bucket=bucket.name, Key=s3.key_of(stored.sha256))
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == midnight(FAR)


def test_the_endpoint_refuses_to_delete_or_overwrite_a_locked_object_before_its_date(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))
    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))
    client, key = bucket.client(), s3.key_of(stored.sha256)
    [locked] = versions(bucket, key)

    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket.name, Key=key, VersionId=locked)
    client.put_object(Bucket=bucket.name, Key=key, Body=b"autre contenu")  # a new version only

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    kept = client.get_object(Bucket=bucket.name, Key=key, VersionId=locked)["Body"].read()
    assert kept == CONTENT


def test_eliminating_a_locked_object_is_refused_with_its_date_and_every_copy_stays(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))
    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))

    with pytest.raises(ObjectRetained) as refused:
        offers.eliminate(stored.sha256)

    assert "verrouillé (mode conformité) jusqu'au 01/01/2125" in refused.value.detail
    assert refused.value.extra["offer"] == "s3-verrouille"
    assert disk.exists(stored.sha256) and s3.exists(stored.sha256)
    assert registry.find(stored.sha256) == stored


def test_the_refusal_reaches_the_api_as_a_conflict_and_the_command_line_as_exit_code_4(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))
    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))
    app = FastAPI()
    problems.install(app)

    @app.delete("/objects/{object_id}")
    def eliminate(object_id: str) -> None:
        offers.eliminate(object_id)

    response = TestClient(app).delete(f"/objects/{stored.sha256}")

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "object_retained"
    assert body["title"] == "Objet protégé contre la suppression jusqu'à sa date de conservation"
    assert "jusqu'au 01/01/2125" in body["detail"]
    assert exit_code(ObjectRetained()) == 4


def test_an_object_whose_date_has_passed_is_eliminated_from_every_offer(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    # Our side's clock is stopped in 2020, so 2021 is a date to lock until; the endpoint's own
    # clock has passed it, as it will have for every archive whose DUA has run out.
    s3 = locking_offer(bucket, tmp_path / "spool-s3", clock=lambda: midnight(date(2020, 6, 1)))
    offers, disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))
    offers.retain({stored.sha256: [PAST_FOR_THE_ENDPOINT]}, today=date(2020, 6, 1))
    assert s3.retained_until(stored.sha256) == midnight(PAST_FOR_THE_ENDPOINT)

    offers.eliminate(stored.sha256)

    assert not disk.exists(stored.sha256) and not s3.exists(stored.sha256)
    assert versions(bucket, s3.key_of(stored.sha256)) == []
    assert registry.find(stored.sha256) is None


def test_a_retention_is_extended_by_a_later_archive_and_never_shortened(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))

    offers.retain({stored.sha256: [date(2100, 1, 1)]}, today=date(2026, 1, 1))
    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))
    offers.retain({stored.sha256: [date(2090, 1, 1)]}, today=date(2026, 1, 1))

    assert s3.retained_until(stored.sha256) == midnight(FAR)


def test_an_archive_with_no_end_is_locked_for_the_offers_minimum(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))

    offers.retain({stored.sha256: [None]}, today=date(2026, 3, 15))

    assert s3.retained_until(stored.sha256) == midnight(date(2036, 3, 15))


def test_a_copy_altered_in_the_locked_bucket_is_found_by_the_audit_and_repaired(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))
    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))
    altered = bytearray(CONTENT)
    altered[10] ^= 0x01
    key = s3.key_of(stored.sha256)
    bucket.client().put_object(Bucket=bucket.name, Key=key, Body=bytes(altered))

    report = audit(offers.offers, registry)

    found = [(f.code, f.offer) for f in report.findings]
    assert found == [
        (AuditCode.COPY_ALTERED, "s3-verrouille"),
        (AuditCode.COPY_REPAIRED, "s3-verrouille"),
    ]
    assert report.clean
    with s3.open(stored.sha256) as stream:
        assert stream.read() == CONTENT
    assert s3.retained_until(stored.sha256) == midnight(FAR)


# -- an acceptance locks what it stores ------------------------------------------------------
RULES_CSV = b"""RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement
APP-00001,AppraisalRule,Dossier individuel d'agent,,80,YEAR
"""


def courrier_kept(transfer: ArchiveTransfer) -> ArchiveTransfer:
    """The bordereau's DUA (80 years from 1 January 2020, then destroyed), and the courrier
    kept for good (its own rule)."""
    destroy = AppraisalRule((Rule("APP-00001", date(2020, 1, 1)),), final_action="Destroy")
    keep = Management(
        appraisal=AppraisalRule((Rule("APP-00001", date(2020, 1, 1)),), final_action="Keep")
    )
    metadata = dataclasses.replace(
        transfer.management_metadata, rules=Management(appraisal=destroy)
    )
    [root] = list(transfer.units)
    children = tuple(
        dataclasses.replace(c, management=keep) if c.content.titles == ("courrier.txt",) else c
        for c in root.children
    )
    units = [dataclasses.replace(root, children=children)]
    return dataclasses.replace(transfer, management_metadata=metadata, units=units)


def test_an_accepted_transfer_is_locked_until_each_archives_dua_or_the_minimum_if_kept(
    tmp_path: Path,
    schema_dir: Path,
    sae_database: TestDatabase,
    bucket: S3Bucket,
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    disk = tmp_path / "disque"

    def under(prefix: str) -> list[BlobStore]:
        return [FilesystemBlobStore(disk / prefix, name="disque"), s3.within(prefix)]

    config = setup.make_config(tmp_path, sae_database, schema_dir, offers_under=under)
    db = sae_database.open()
    try:
        setup.tenant(db, "ARCH")
        import_file(db, "ARCH", FileKind.RULES, RULES_CSV, actor="test")
        setup.agreements(db, AGREEMENTS)
        setup.tokens(db, TOKENS)
    finally:
        db.dispose()
    with TestClient(create_app(config)) as client:
        opened: Opened = client.app.state.repository  # type: ignore[attr-defined]
        connector = SaeHttpConnector(
            str(client.base_url), "ged-token", client, allow_insecure_http=True
        )
        sip = build_sip(tmp_path, "TR-LOCK", edit=courrier_kept)
        submission = connector.submit(
            sip,
            message_identifier="TR-LOCK",
            transferring_agency="SERVICE-A",
            manifest_digest=manifest_sha256(sip),
        )
        offers = opened.storage.offers("ARCH")
        transfer_id = submission.remote_reference
        assert transfer_id is not None

        decisions.accept(
            opened.db,
            offers,
            "ARCH",
            transfer_id,
            Decision("alice"),
            clock=lambda: datetime(2026, 3, 15, 10, 0, tzinfo=UTC),
        )

        archived = decisions.archived_objects(opened.db, "ARCH", transfer_id)
        tenant_s3 = offers.offers[1]
        assert isinstance(tenant_s3, S3BlobStore)
        until = {o.sha256: tenant_s3.retained_until(o.sha256) for o in archived}
    assert until == {
        sha256("Délibération TR-LOCK\n"): midnight(date(2100, 1, 1)),  # the end of its DUA
        sha256("Courrier au préfet\n"): midnight(date(2036, 3, 15)),  # kept: ten years from now
    }


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_sealed_checkpoint_is_locked_for_the_offers_minimum_from_its_time(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket, sae_db: SqlDatabase
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, _disk = offers_with(tmp_path, registry, s3)

    sealed = seal(sae_db, "ARCH", offers, Sealing(new_identity("Dépôt d'archives")))

    ten_years_on = end_date(sealed.checkpoint.at.date(), TEN_YEARS)
    assert ten_years_on is not None
    assert s3.retained_until(sealed.checkpoint_id) == midnight(ten_years_on)
    assert s3.retained_until(sealed.signature_id) == midnight(ten_years_on)


def test_a_copy_altered_on_the_filesystem_is_found_and_repaired_from_the_locked_bucket(
    tmp_path: Path, registry: SqlDigestRegistry, bucket: S3Bucket
) -> None:
    s3 = locking_offer(bucket, tmp_path / "spool-s3")
    offers, disk = offers_with(tmp_path, registry, s3)
    stored = offers.store(iter([CONTENT]))
    offers.retain({stored.sha256: [FAR]}, today=date(2026, 1, 1))
    path = disk.path_of(stored.sha256)
    altered = bytearray(path.read_bytes())
    altered[10] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(bytes(altered))

    report = audit(offers.offers, registry)

    found = [(f.code, f.offer) for f in report.findings]
    assert found == [(AuditCode.COPY_ALTERED, "disque"), (AuditCode.COPY_REPAIRED, "disque")]
    assert disk.path_of(stored.sha256).read_bytes() == CONTENT
