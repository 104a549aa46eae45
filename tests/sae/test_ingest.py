"""Ingest and archivist review of the repository, driven over HTTP and through the connector,
on both databases."""

from __future__ import annotations

import hashlib
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.base import Acknowledged, NotReady, Replied, Submission, SubmissionRefused
from connectors.sae_http import SaeHttpConnector
from kernel.sandbox.preview import PageRenderer
from kernel.web.setup import WebSetup
from sae.api.app import create_app
from sae.bootstrap import Repository as Opened
from sae.ingest.settings import IngestSettings
from sae.model import ArchivalAgreement, FileKind
from sae.ports import Database
from sae.storage.offers import StorageOffers
from sae.tenancy.setup import import_file
from seda.disk_import import transfer_from_directory
from seda.model import ArchiveTransfer
from seda.replies import Outcome
from seda.sip import ManifestSigner, write_sip
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae import setup

API = "/api/v1/sae"
SENDER = {"Authorization": "Bearer ged-token"}
ARCHIVIST = {"Authorization": "Bearer archivist-token"}
OTHER_ARCHIVIST = {"Authorization": "Bearer other-archivist-token"}
TOKENS: setup.Tokens = {
    "ged-token": ("ARCH", "transferring", "ged"),
    "archivist-token": ("ARCH", "archivist", "alice"),
    "other-archivist-token": ("OTHER", "archivist", "oscar"),
}


@dataclass
class Repository:
    client: TestClient
    offers: StorageOffers  # ARCH's view of the offers
    connector: SaeHttpConnector
    settings: IngestSettings
    db: Database
    opened: Opened


AGREEMENTS = {
    "AGR-1": ArchivalAgreement("ARCH", frozenset({"SERVICE-A"}), frozenset({SedaVersion.V2_2})),
    "AGR-OTHER": ArchivalAgreement("OTHER", frozenset({"SERVICE-Z"}), frozenset()),
}


@contextmanager
def open_repository(
    tmp_path: Path,
    database: TestDatabase,
    schema_dir: Path,
    agreements: Mapping[str, ArchivalAgreement],
    *,
    files: Sequence[tuple[FileKind, bytes, str]] = (),
    web: WebSetup | None = None,
    render_page: PageRenderer | None = None,
    clock: Callable[[], datetime] | None = None,
    **settings: Any,
) -> Iterator[Repository]:
    """The repository app on its own data directory, its tenants ARCH and OTHER set up as an
    operator would (``files``: ARCH's imported files, kind, content and name, before its
    agreements), with its pages when ``web`` is given; ``settings`` go to IngestSettings."""
    config = setup.make_config(
        tmp_path, database, schema_dir, web=web, render_page=render_page, clock=clock, **settings
    )
    db = database.open()
    try:
        setup.tenant(db, "ARCH")
        for kind, content, name in files:
            import_file(db, "ARCH", kind, content, actor="test", name=name)
        setup.agreements(db, agreements)
        setup.tokens(db, TOKENS)
    finally:
        db.dispose()
    with TestClient(create_app(config)) as client:
        opened: Opened = client.app.state.repository  # type: ignore[attr-defined]
        connector = SaeHttpConnector(
            str(client.base_url), "ged-token", client, poll_interval=1.0, allow_insecure_http=True
        )
        offers = opened.storage.offers("ARCH")
        yield Repository(client, offers, connector, config.settings, opened.db, opened)


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Repository]:
    with open_repository(tmp_path, sae_database, schema_dir, AGREEMENTS) as repository:
        yield repository


Members = list[tuple[str, Path]]  # (member name in the SIP, source file)


def build_sip(
    tmp_path: Path,
    message_id: str,
    *,
    version: SedaVersion = SedaVersion.V2_2,
    agreement: str | None = "AGR-1",
    edit: Callable[[ArchiveTransfer], ArchiveTransfer] | None = None,
    members: Callable[[Members], Members] | None = None,
    signer: ManifestSigner | None = None,
) -> Path:
    """A SIP of a small folder tree (root unit AU_0, a folder, two files); ``edit`` changes the
    manifest before it is written, ``members`` the files put in the package."""
    root = tmp_path / f"tree-{message_id}"
    (root / "dossier").mkdir(parents=True)
    (root / "dossier" / "deliberation.txt").write_text(f"Délibération {message_id}\n")
    (root / "courrier.txt").write_text("Courrier au préfet\n")
    built = transfer_from_directory(
        root,
        version,
        message_identifier=message_id,
        archival_agency="ARCH",
        transferring_agency="SERVICE-A",
        archival_agreement=agreement,
    )
    sip = tmp_path / f"{message_id}.zip"
    transfer = built.transfer if edit is None else edit(built.transfer)
    files = built.members if members is None else members(built.members)
    write_sip(sip, transfer, files, signer=signer)
    return sip


def make_sip(tmp_path: Path, message_id: str, *, tamper: bool = False) -> Path:
    def forge(members: Members) -> Members:
        # Same member name, other bytes: the declared digest no longer matches the file.
        forged = tmp_path / f"forged-{message_id}.txt"
        forged.write_text("Courrier au préfet, modifié\n")
        return [(name, forged if i == 0 else src) for i, (name, src) in enumerate(members)]

    return build_sip(tmp_path, message_id, members=forge if tamper else None)


def manifest_sha256(sip: Path) -> tuple[str, str]:
    with zipfile.ZipFile(sip) as archive:
        return "SHA-256", hashlib.sha256(archive.read("manifest.xml")).hexdigest()


def submit(repo: Repository, sip: Path, message_id: str, agency: str = "SERVICE-A") -> Submission:
    return repo.connector.submit(
        sip,
        message_identifier=message_id,
        transferring_agency=agency,
        manifest_digest=manifest_sha256(sip),
    )


def pending(repo: Repository) -> dict[str, dict[str, Any]]:
    response = repo.client.get(f"{API}/review/transfers", headers=ARCHIVIST)
    assert response.status_code == 200
    return {t["message_identifier"]: t for t in response.json()}


def decide(
    repo: Repository, transfer_id: str, verb: str, comment: str | None = None
) -> httpx.Response:
    response: httpx.Response = repo.client.post(
        f"{API}/review/transfers/{transfer_id}/{verb}",
        json={"comment": comment},
        headers=ARCHIVIST,
    )
    return response


def test_accepted_transfer_comes_back_with_archive_identifiers(
    repo: Repository, tmp_path: Path
) -> None:
    sip = make_sip(tmp_path, "TR-1")
    submission = submit(repo, sip, "TR-1")
    assert not submission.duplicate
    first = repo.connector.poll(submission)
    assert isinstance(first, Acknowledged)
    assert first.acknowledgement is not None
    assert first.acknowledgement.transfer_identifier == "TR-1"
    acknowledged = submission.with_acknowledgement()
    assert isinstance(repo.connector.poll(acknowledged), NotReady)
    listed = pending(repo)["TR-1"]
    assert (listed["state"], listed["checks_passed"], listed["issues"]) == (
        "awaiting_review",
        True,
        [],
    )

    accepted = decide(repo, submission.remote_reference, "accept", "Conforme")
    assert accepted.status_code == 200, accepted.json()
    reply = repo.connector.poll(acknowledged)
    assert isinstance(reply, Replied)
    assert reply.outcome.outcome is Outcome.ACCEPTED
    assert reply.outcome.transfer_identifier == "TR-1"
    # The root unit, the folder, and one unit per file.
    assert len(reply.outcome.archive_identifiers) == 4
    assert {a["archive_identifier"] for a in accepted.json()["archive_identifiers"]} == set(
        reply.outcome.archive_identifiers
    )
    assert "TR-1" not in pending(repo)


def test_accepted_objects_are_on_every_offer_with_their_digests(
    repo: Repository, tmp_path: Path
) -> None:
    sip = make_sip(tmp_path, "TR-2")
    submission = submit(repo, sip, "TR-2")
    assert decide(repo, submission.remote_reference, "accept").status_code == 200
    shown = repo.client.get(
        f"{API}/review/transfers/{submission.remote_reference}", headers=ARCHIVIST
    )
    objects = shown.json()["objects"]
    with zipfile.ZipFile(sip) as archive:
        expected = {o["uri"]: hashlib.sha512(archive.read(o["uri"])).hexdigest() for o in objects}
    assert len(objects) == 2
    for stored in objects:
        assert stored["sha512"] == expected[stored["uri"]]
        assert repo.offers.registry.find(stored["sha256"]) is not None
        for offer in repo.offers.offers:
            assert offer.exists(stored["sha256"])
        with repo.offers.open(stored["sha256"]) as copy:
            assert hashlib.sha512(copy.read()).hexdigest() == stored["sha512"]


def test_rejected_transfer_replies_with_the_archivists_reason(
    repo: Repository, tmp_path: Path
) -> None:
    submission = submit(repo, make_sip(tmp_path, "TR-3"), "TR-3")
    rejected = decide(repo, submission.remote_reference, "reject", "Dossier incomplet")
    assert rejected.status_code == 200
    reply = repo.connector.poll(submission.with_acknowledgement())
    assert isinstance(reply, Replied)
    assert reply.outcome.outcome is Outcome.REJECTED
    assert ("archivist_rejection", "KO", "Dossier incomplet") in reply.outcome.events
    assert reply.outcome.archive_identifiers == ()


def test_wrong_digest_fails_the_checks_and_can_only_be_rejected(
    repo: Repository, tmp_path: Path
) -> None:
    submission = submit(repo, make_sip(tmp_path, "TR-4", tamper=True), "TR-4")
    listed = pending(repo)["TR-4"]
    assert listed["checks_passed"] is False
    codes = {i["code"] for i in listed["issues"]}
    digest_codes = {c for c in codes if "digest" in c}
    assert digest_codes, codes

    refused = decide(repo, submission.remote_reference, "accept")
    assert (refused.status_code, refused.json()["code"]) == (409, "transfer_checks_failed")
    assert decide(repo, submission.remote_reference, "reject", "Empreinte fausse").is_success
    reply = repo.connector.poll(submission.with_acknowledgement())
    assert isinstance(reply, Replied)
    assert reply.outcome.outcome is Outcome.REJECTED
    assert digest_codes <= {code for code, _, _ in reply.outcome.events}
    assert list(repo.offers.registry.iter_objects()) == []


def test_announced_manifest_digest_is_checked(repo: Repository, tmp_path: Path) -> None:
    sip = make_sip(tmp_path, "TR-5")
    submission = repo.connector.submit(
        sip,
        message_identifier="TR-5",
        transferring_agency="SERVICE-A",
        manifest_digest=("SHA-256", "ab" * 32),
    )
    issues = pending(repo)["TR-5"]["issues"]
    assert [i["code"] for i in issues] == ["manifest_digest_mismatch"]
    assert submission.remote_reference


def test_same_sip_twice_is_the_same_transfer(repo: Repository, tmp_path: Path) -> None:
    sip = make_sip(tmp_path, "TR-6")
    first = submit(repo, sip, "TR-6")
    again = submit(repo, sip, "TR-6")
    assert (again.duplicate, again.remote_reference) == (True, first.remote_reference)
    assert list(pending(repo)) == ["TR-6"]


def test_same_message_identifier_with_another_package_conflicts(
    repo: Repository, tmp_path: Path
) -> None:
    submit(repo, make_sip(tmp_path, "TR-7"), "TR-7")
    (tmp_path / "other").mkdir()
    other = make_sip(tmp_path / "other", "TR-7", tamper=True)
    with pytest.raises(SubmissionRefused) as refused:
        submit(repo, other, "TR-7")
    assert refused.value.code == "idempotency_conflict"


def test_two_archivists_accepting_at_once_one_wins(repo: Repository, tmp_path: Path) -> None:
    submission = submit(repo, make_sip(tmp_path, "TR-8"), "TR-8")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def accept() -> None:
        barrier.wait()
        statuses.append(decide(repo, submission.remote_reference, "accept").status_code)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    shown = repo.client.get(
        f"{API}/review/transfers/{submission.remote_reference}", headers=ARCHIVIST
    )
    assert shown.json()["state"] == "accepted"
    assert len(shown.json()["objects"]) == 2


def test_unknown_transferring_agency_is_refused(repo: Repository, tmp_path: Path) -> None:
    with pytest.raises(SubmissionRefused) as refused:
        repo.connector.submit(
            make_sip(tmp_path, "TR-9"),
            message_identifier="TR-9",
            transferring_agency="SERVICE-INCONNU",
            manifest_digest=None,
        )
    assert refused.value.code == "agency_not_allowed"
    assert "TR-9" not in pending(repo)


def test_another_organisation_cannot_see_the_transfer(repo: Repository, tmp_path: Path) -> None:
    submission = submit(repo, make_sip(tmp_path, "TR-10"), "TR-10")
    for path in (
        f"{API}/transfers/{submission.remote_reference}/acknowledgement",
        f"{API}/review/transfers/{submission.remote_reference}",
    ):
        response = repo.client.get(path, headers=OTHER_ARCHIVIST)
        assert (response.status_code, response.json()["code"]) == (404, "transfer_not_found")
    refused = repo.client.post(
        f"{API}/review/transfers/{submission.remote_reference}/accept",
        json={},
        headers=OTHER_ARCHIVIST,
    )
    assert refused.status_code == 404


def test_tokens_and_roles_are_enforced(repo: Repository, tmp_path: Path) -> None:
    assert (
        repo.client.get(f"{API}/health", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    assert repo.client.get(f"{API}/review/transfers", headers=SENDER).status_code == 403
    response = repo.client.post(
        f"{API}/transfers",
        content=make_sip(tmp_path, "TR-11").read_bytes(),
        headers={
            **ARCHIVIST,
            "Content-Type": "application/zip",
            "Idempotency-Key": "TR-11",
            "X-Transferring-Agency": "SERVICE-A",
        },
    )
    assert response.status_code == 403
    assert repo.connector.check().ok


def test_a_package_altered_in_quarantine_after_its_checks_is_never_archived(
    repo: Repository, tmp_path: Path
) -> None:
    sip = make_sip(tmp_path, "TR-ALT")
    transfer_id = submit(repo, sip, "TR-ALT").remote_reference
    assert pending(repo)["TR-ALT"]["checks_passed"]
    quarantined = next(p for p in repo.settings.quarantine_dir.iterdir() if p.is_file())
    with quarantined.open("ab") as package:  # still a readable zip, every member unchanged
        package.write(b"appended after the checks")
    refused = decide(repo, transfer_id, "accept")
    assert refused.status_code == 409
    assert refused.json()["code"] == "package_altered_in_quarantine"
    assert pending(repo)["TR-ALT"]["state"] == "awaiting_review"  # still to be rejected
    assert not any(repo.offers.registry.iter_objects())
    assert decide(repo, transfer_id, "reject", "paquet altéré").status_code == 200
