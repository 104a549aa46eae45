"""Benchmark: what S3 Object Lock costs an acceptance, against a moto server on the loopback.

The repository's offers as a deployment has them (a filesystem offer and an S3 offer, SQLite
registry): ``store_many`` of N small objects (default 500 of 4–64 KiB), then ``retain`` of the
same objects on the locking offer (one HEAD and one PutObjectRetention per object), compared with
``store_many`` alone. Moto is much slower than MinIO or AWS per request; the ratio and the
per-object cost are what to read. Not collected by pytest.

    .venv/bin/python bench/bench_object_lock.py [--count 500]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.s3 import S3BlobStore
from kernel.retention import Duration
from sae.adapters.db import open_database
from sae.storage.offers import StorageOffers
from sae.tenancy.tenants import ensure_tenant

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fixtures: moto server


def offers(root: Path, endpoint: str, *, lock: bool) -> StorageOffers:
    from tests.fixtures.s3 import S3Bucket, boto3_session

    bucket = S3Bucket(endpoint_url=endpoint, name=f"bench-{uuid.uuid4().hex[:16]}")
    bucket.client().create_bucket(Bucket=bucket.name, ObjectLockEnabledForBucket=lock)
    s3 = S3BlobStore(
        bucket.name,
        endpoint_url=endpoint,
        region=bucket.region,
        access_key_id=bucket.access_key_id,
        secret_access_key=bucket.secret_access_key,
        spool_dir=root,
        name="s3",
        session=boto3_session(),
        keep_minimum=Duration(years=10) if lock else None,
    )
    db = open_database(f"sqlite:///{root / 'registry.sqlite'}")
    ensure_tenant(db, "ARCH", actor="bench")
    return StorageOffers(
        [FilesystemBlobStore(root / "disque", name="disque"), s3], db.registry("ARCH")
    )


def contents(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randint(4, 64) * 1024) for _ in range(count)]


def run(endpoint: str, count: int, *, lock: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        stores = offers(Path(folder), endpoint, lock=lock)
        items = contents(count, seed=1 if lock else 2)
        start = time.perf_counter()
        stored = stores.store_many(iter([data]) for data in items)
        stored_at = time.perf_counter()
        if lock:
            stores.retain({s.sha256: [date(2100, 1, 1)] for s in stored}, date(2026, 1, 1))
        return stored_at - start, time.perf_counter() - stored_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    from tests.fixtures.s3 import S3Endpoint

    with tempfile.TemporaryDirectory() as logs:
        endpoint = S3Endpoint(log_path=Path(logs) / "moto.log")
        endpoint.start()
        try:
            plain, _ = run(endpoint.url, args.count, lock=False)
            stored, retained = run(endpoint.url, args.count, lock=True)
        finally:
            endpoint.stop()
    per = 1000 / args.count
    print(f"{args.count} objects, filesystem + S3 (moto on the loopback)")
    print(f"  store_many without lock : {plain:6.2f} s ({plain * per:5.1f} ms/object)")
    print(f"  store_many, lock bucket : {stored:6.2f} s ({stored * per:5.1f} ms/object)")
    print(f"  retain (HEAD + PUT ?retention) : {retained:6.2f} s ({retained * per:5.1f} ms/object)")
    print(f"  acceptance storage with lock / without : {(stored + retained) / plain:4.2f}")


if __name__ == "__main__":
    main()
