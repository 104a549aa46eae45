"""Sealed checkpoints of the operation log: truncation and rewriting detected, found on offers."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kernel.oplog import GENESIS, LogSpec, entry_hash
from kernel.signing import SigningIdentity, cms, der, tsa, verify_content
from kernel.signing.keys import generate_self_signed, load_identity_from_pem
from sae.journal.checkpoints import Sealing, Timestamping, seal, timestamp_token
from sae.journal.log import record, verify
from sae.journal.verification import (
    CheckpointCode,
    CheckpointReport,
    discover,
    verify_with_checkpoints,
)
from sae.model import Checkpoint, SealedCheckpoint
from sae.ports import Database
from sae.storage.offers import StorageOffers
from tests.fixtures.sae import TestDatabase
from tests.sae import setup, stored
from tests.sae.test_catalogue import API, ARCHIVIST, accepted, open_sae

TSA_URL = "https://tsa.example.test/tsr"


def new_identity(name: str) -> SigningIdentity:
    key_pem, certificate_pem = generate_self_signed(name, "Archives de test", 30)
    return load_identity_from_pem(key_pem, certificate_pem)


@pytest.fixture(scope="module")
def identity() -> SigningIdentity:
    return new_identity("Dépôt d'archives")


@dataclass
class Repo:
    """The tenant ARCH, whose log starts with its creation (seq 1)."""

    db: Database
    database: TestDatabase
    offers: StorageOffers
    sealing: Sealing

    def log(self, count: int) -> None:
        for n in range(count):
            spec = LogSpec("test", "test.event", "thing", f"T-{n}", "ARCH", {"n": n})
            record(self.db, "ARCH", spec)

    def seal(self) -> SealedCheckpoint:
        return seal(self.db, "ARCH", self.offers, self.sealing)

    def verify(self, *, scan: bool = False) -> CheckpointReport:
        return verify_with_checkpoints(
            self.db, "ARCH", self.offers, self.sealing.anchors(), scan_offers=scan
        )

    def execute(self, sql: str, **params: object) -> None:
        self.database.tamper(sql, "ARCH", **params)


@pytest.fixture
def repo(
    tmp_path: Path, identity: SigningIdentity, sae_db: Database, sae_database: TestDatabase
) -> Repo:
    offers = setup.offers(sae_db, tmp_path, "ARCH")
    return Repo(sae_db, sae_database, offers, Sealing(identity))


def read(offers: StorageOffers, object_id: str) -> bytes:
    with offers.open(object_id) as stream:
        return stream.read()


def rewrite_and_rehash(repo: Repo, seq: int, details: dict[str, object]) -> None:
    """What an intruder with the owner's rights does: edit one entry, recompute every later
    hash."""
    prev = GENESIS
    for entry in stored.entries(repo.db):
        forged = replace(entry, details=details) if entry.seq == seq else entry
        fields = {k: v for k, v in forged.__dict__.items() if k != "hash"}
        fields["prev_hash"] = prev
        new_hash = entry_hash(**fields)  # type: ignore[arg-type]
        repo.execute(
            "UPDATE operation_log SET details = :details, prev_hash = :prev, hash = :hash "
            "WHERE seq = :seq",
            details=json.dumps(forged.details, sort_keys=True),
            prev=prev,
            hash=new_hash,
            seq=entry.seq,
        )
        prev = new_hash


def findings(report: CheckpointReport) -> set[tuple[str, str | None]]:
    return {(str(f.code), f.checkpoint_id) for f in report.findings}


# -- sealing ---------------------------------------------------------------------------------
def test_seal_signs_the_head_and_stores_both_objects_on_every_offer(
    repo: Repo, identity: SigningIdentity
) -> None:
    repo.log(3)
    with repo.db.reading("ARCH") as uow:
        _, head = uow.log.head()

    sealed = repo.seal()

    assert (sealed.checkpoint.seq, sealed.checkpoint.head) == (4, head)
    assert (sealed.checkpoint.scope, sealed.checkpoint.previous) == ("ARCH", None)
    for offer in repo.offers.offers:
        assert offer.exists(sealed.checkpoint_id)
        assert offer.exists(sealed.signature_id)
    data = read(repo.offers, sealed.checkpoint_id)
    assert Checkpoint.from_json(data) == sealed.checkpoint
    signature = read(repo.offers, sealed.signature_id)
    assert verify_content(signature, data, [identity.certificate]).valid
    assert timestamp_token(signature) is None
    last = stored.entries(repo.db)[-1]
    assert (last.seq, last.action, last.object_id) == (5, "log.sealed", sealed.checkpoint_id)
    report = repo.verify()
    assert report.ok, report.findings
    assert (report.checkpoints_checked, report.latest) == (1, sealed)


def test_nothing_new_since_the_last_seal_seals_nothing(repo: Repo) -> None:
    repo.log(2)
    first = repo.seal()
    assert repo.seal() == first

    repo.log(1)
    second = repo.seal()

    assert second.checkpoint.seq == 5  # creation, 2 entries, the first seal's entry, 1 more
    assert (second.checkpoint.previous, second.checkpoint.previous_signature) == (
        first.checkpoint_id,
        first.signature_id,
    )
    assert repo.verify().ok


def test_a_log_holding_only_the_tenants_creation_can_be_sealed(repo: Repo) -> None:
    (created,) = stored.entries(repo.db)
    sealed = repo.seal()
    assert (sealed.checkpoint.seq, sealed.checkpoint.head) == (1, created.hash)
    assert repo.verify().ok


# -- what checkpoints detect -----------------------------------------------------------------
def test_truncated_tail_verifies_as_a_chain_but_not_against_the_checkpoint(repo: Repo) -> None:
    repo.log(3)
    repo.seal()
    repo.log(2)
    latest = repo.seal()  # seals seq 7
    repo.execute("DELETE FROM operation_log WHERE seq > 6")

    assert verify(repo.db, "ARCH").ok
    report = repo.verify()

    assert not report.ok
    assert findings(report) == {("log_truncated", latest.checkpoint_id)}
    assert report.findings[0].seq == 7


def test_rewritten_and_rehashed_log_is_caught_by_the_checkpoint(repo: Repo) -> None:
    repo.log(3)
    sealed = repo.seal()
    repo.log(2)
    rewrite_and_rehash(repo, 3, {"n": "falsifié"})

    assert verify(repo.db, "ARCH").ok
    report = repo.verify()

    assert findings(report) == {("log_rewritten", sealed.checkpoint_id)}


def test_checkpoint_re_signed_by_another_key_is_invalid(repo: Repo, tmp_path: Path) -> None:
    repo.log(3)
    genuine = repo.seal()
    rewrite_and_rehash(repo, 3, {"n": "falsifié"})
    # The intruder seals the forged head with a key of their own and swaps the table row.
    intruder = Sealing(new_identity("Intrus"))
    repo.execute("DELETE FROM log_checkpoints")
    forged = seal(repo.db, "ARCH", repo.offers, intruder)

    report = repo.verify()

    assert findings(report) == {("checkpoint_signature_invalid", forged.checkpoint_id)}
    scanned = repo.verify(scan=True)
    assert findings(scanned) == {
        ("checkpoint_signature_invalid", forged.checkpoint_id),
        ("checkpoint_unrecorded", genuine.checkpoint_id),
        ("log_rewritten", genuine.checkpoint_id),
    }


def test_signature_of_another_checkpoint_does_not_verify(repo: Repo) -> None:
    repo.log(1)
    first = repo.seal()
    repo.log(1)
    second = repo.seal()
    repo.execute(
        "UPDATE log_checkpoints SET signature_id = :signature WHERE checkpoint_id = :checkpoint",
        signature=first.signature_id,
        checkpoint=second.checkpoint_id,
    )

    report = repo.verify()

    assert findings(report) == {("checkpoint_signature_invalid", second.checkpoint_id)}
    assert "content_mismatch" in report.findings[0].message


def test_checkpoint_json_edited_in_the_table_is_read_from_the_offers(repo: Repo) -> None:
    repo.log(3)
    sealed = repo.seal()
    repo.log(1)
    rewrite_and_rehash(repo, 2, {"n": "falsifié"})
    with repo.db.reading("ARCH") as uow:
        forged_head = uow.log.entry_at(4)
    assert forged_head is not None
    repo.execute("UPDATE log_checkpoints SET head = :head", head=forged_head.hash)

    assert findings(repo.verify()) == {("log_rewritten", sealed.checkpoint_id)}


def test_deleted_rows_are_found_again_through_the_offers(repo: Repo) -> None:
    repo.log(2)
    first = repo.seal()
    repo.log(2)
    second = repo.seal()
    repo.log(2)
    third = repo.seal()
    # A middle row deleted: the latest checkpoint's ``previous`` link still reaches it.
    repo.execute("DELETE FROM log_checkpoints WHERE checkpoint_id = :id", id=second.checkpoint_id)
    report = repo.verify()
    assert findings(report) == {
        ("checkpoint_unrecorded", second.checkpoint_id),
        ("checkpoint_chain_broken", third.checkpoint_id),  # the table skips from first to third
    }
    assert report.checkpoints_checked == 3
    # The tail deleted with the latest row: only a scan of the offers finds it.
    repo.execute("DELETE FROM log_checkpoints WHERE checkpoint_id = :id", id=third.checkpoint_id)
    repo.execute("DELETE FROM operation_log WHERE seq > :seq", seq=second.checkpoint.seq)
    assert repo.verify().ok  # the table alone cannot tell: its latest row went with the tail
    scanned = repo.verify(scan=True)
    assert ("log_truncated", third.checkpoint_id) in findings(scanned)
    assert [s.checkpoint_id for s in discover(repo.offers)] == [
        first.checkpoint_id,
        second.checkpoint_id,
        third.checkpoint_id,
    ]
    assert [s.signature_id for s in discover(repo.offers)] == [
        first.signature_id,
        second.signature_id,
        third.signature_id,
    ]


def test_checkpoint_missing_from_the_offers_is_reported(repo: Repo) -> None:
    repo.log(1)
    sealed = repo.seal()
    for offer in repo.offers.offers:
        offer.delete(sealed.signature_id)

    assert findings(repo.verify()) == {("checkpoint_unreadable", sealed.checkpoint_id)}


def test_broken_chain_is_reported_even_when_checkpoints_hold(repo: Repo) -> None:
    repo.log(3)
    repo.seal()
    repo.execute("UPDATE operation_log SET actor = 'mallory' WHERE seq = 3")

    report = repo.verify()

    assert CheckpointCode.LOG_CHAIN_BROKEN in report.codes
    assert report.log.first_break is not None
    assert report.log.first_break.seq == 3


# -- RFC 3161 --------------------------------------------------------------------------------
@dataclass
class FakeTsa:
    """Plays an RFC 3161 authority: a token over the requested imprint, signed by its key."""

    identity: SigningIdentity
    requests: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        fields = der.decode(request.content).children()
        tst_info = der.sequence(
            der.integer(1),
            der.oid("1.2.3.4.1"),
            fields[1].raw,
            der.integer(self.requests),
            der.generalized_time(datetime.now(UTC).replace(microsecond=0)),
            der.integer(der.read_integer(fields[2])),
        )
        token = cms.sign_encapsulated(tst_info, cms.ID_CT_TST_INFO, self.identity)
        body = der.sequence(der.sequence(der.integer(0)), token)
        return httpx.Response(200, content=body, headers={"Content-Type": tsa.REPLY_MEDIA_TYPE})


def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey]
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer[0])
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
    )


@pytest.fixture(scope="module")
def tsa_pki() -> tuple[x509.Certificate, SigningIdentity]:
    """A root and a time-stamping certificate it issued (EKU timeStamping, critical)."""
    root_key, tsa_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Racine horodatage")])
    root = (
        _certificate("Racine horodatage", root_key, (root_name, root_key))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    leaf = (
        _certificate("Horodatage", tsa_key, (root_name, root_key))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return root, SigningIdentity(tsa_key, leaf)


def test_checkpoint_is_time_stamped_when_a_tsa_is_configured(
    repo: Repo, tsa_pki: tuple[x509.Certificate, SigningIdentity]
) -> None:
    root, tsa_identity = tsa_pki
    fake = FakeTsa(tsa_identity)
    repo.log(2)
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as client:
        stamping = replace(repo.sealing, timestamping=Timestamping(TSA_URL, client))
        sealed = seal(repo.db, "ARCH", repo.offers, stamping)

    assert (sealed.timestamped, fake.requests) == (True, 1)
    signature = read(repo.offers, sealed.signature_id)
    token = timestamp_token(signature)
    assert token is not None
    assert tsa.verify_token(token, cms.signature_value(signature), [root]).valid
    trusted = verify_with_checkpoints(
        repo.db, "ARCH", repo.offers, repo.sealing.anchors(), tsa_anchors=[root]
    )
    assert trusted.ok, trusted.findings
    other_root = new_identity("Autre racine").certificate
    untrusted = verify_with_checkpoints(
        repo.db, "ARCH", repo.offers, repo.sealing.anchors(), tsa_anchors=[other_root]
    )
    assert findings(untrusted) == {("checkpoint_timestamp_invalid", sealed.checkpoint_id)}


# -- through the API -------------------------------------------------------------------------
def test_every_acceptance_seals_the_log_and_the_api_reports_truncation(
    tmp_path: Path, schema_dir: Path, identity: SigningIdentity, sae_database: TestDatabase
) -> None:
    with open_sae(tmp_path, sae_database, schema_dir, sealing=Sealing(identity)) as sae:
        accepted(sae, tmp_path, "TR-1")
        entries = stored.entries(sae.db)
        accept_seq = next(e.seq for e in entries if e.action == "transfer.accepted")
        assert entries[-1].action == "log.sealed"
        assert entries[-1].details["seq"] == accept_seq

        shown = sae.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()
        assert shown["ok"] is True
        assert (shown["checkpoints_checked"], shown["latest_checkpoint"]["seq"]) == (1, accept_seq)

        sae.database.tamper("DELETE FROM operation_log WHERE seq >= :seq", "ARCH", seq=accept_seq)
        shown = sae.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()
        assert shown["ok"] is False
        assert [(f["code"], f["seq"]) for f in shown["findings"]] == [("log_truncated", accept_seq)]


def test_failed_seal_does_not_undo_the_acceptance(
    tmp_path: Path, schema_dir: Path, identity: SigningIdentity, sae_database: TestDatabase
) -> None:
    down = httpx.MockTransport(lambda request: httpx.Response(503))
    with httpx.Client(transport=down) as client:
        sealing = Sealing(identity, Timestamping(TSA_URL, client))
        with open_sae(tmp_path, sae_database, schema_dir, sealing=sealing) as sae:
            one = accepted(sae, tmp_path, "TR-1")
            shown = sae.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()
            last = stored.entries(sae.db)[-1]

    assert one["state"] == "accepted"
    assert (shown["ok"], shown["checkpoints_checked"]) == (True, 0)
    assert last.action == "transfer.accepted"
