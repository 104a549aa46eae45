"""The platform administrator's API (``/api/v1/sae/platform/tenants``): tenants created and
listed, and each tenant's tokens, agreements and files, every refusal listing every problem and
keeping nothing, every change in the tenant's own log (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kernel.blobstore.filesystem import FilesystemBlobStore
from sae.tokens import issue_token
from tests.fixtures.sae import TestDatabase
from tests.sae import stored
from tests.sae.test_catalogue import ARCHIVIST, Sae, open_sae
from tests.sae.test_ingest_checks import PROFILE_REQUIRING_A_COMMENT

TENANTS = "/api/v1/sae/platform/tenants"


@pytest.fixture
def platform(
    tmp_path: Path, schema_dir: Path, sae_database: TestDatabase
) -> Iterator[tuple[Sae, dict[str, str]]]:
    with open_sae(tmp_path, sae_database, schema_dir) as sae:
        token, _ = issue_token(sae.db, None, "platform_admin", "plateforme", actor="test")
        yield sae, {"Authorization": f"Bearer {token}"}


def create(client: TestClient, admin: dict[str, str], **body: Any) -> Any:
    return client.post(TENANTS, json=body, headers=admin)


def test_a_tenant_is_created_listed_and_shown_and_its_creation_logged(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    sae, admin = platform
    made = create(sae.client, admin, identifier="FR_AD_29", name="Archives du Finistère")

    assert made.status_code == 201, made.text
    assert made.json()["storage_prefix"] == "FR_AD_29/"
    listed = sae.client.get(TENANTS, headers=admin).json()
    assert [t["identifier"] for t in listed] == ["ARCH", "FR_AD_29", "OTHER"]
    shown = sae.client.get(f"{TENANTS}/FR_AD_29", headers=admin).json()
    assert (shown["name"], shown["agreements"], shown["files"]) == ("Archives du Finistère", [], [])
    (created,) = stored.entries(sae.db, "FR_AD_29")
    assert (created.action, created.actor) == ("tenant.created", "plateforme")
    offers = sae.client.app.state.repository.storage.offers("FR_AD_29")  # type: ignore[attr-defined]
    roots = [offer.root for offer in offers.offers if isinstance(offer, FilesystemBlobStore)]
    assert roots and all(root.name == "FR_AD_29" for root in roots)


def test_a_bad_tenant_is_refused_with_every_problem_and_a_taken_one_is_a_conflict(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    sae, admin = platform
    bad = create(sae.client, admin, identifier="a b", name=" ", storage_prefix="sha256/")
    assert bad.status_code == 422
    assert {i["code"] for i in bad.json()["issues"]} == {
        "bad_identifier",
        "missing_name",
        "bad_storage_prefix",
    }
    again = create(sae.client, admin, identifier="ARCH", name="Doublon")
    assert (again.status_code, again.json()["code"]) == (409, "tenant_already_exists")
    prefix = create(sae.client, admin, identifier="FR_AD_29", name="X", storage_prefix="ARCH/")
    assert (prefix.status_code, prefix.json()["code"]) == (409, "storage_prefix_taken")
    assert [t["identifier"] for t in sae.client.get(TENANTS, headers=admin).json()] == [
        "ARCH",
        "OTHER",
    ]
    unknown = sae.client.get(f"{TENANTS}/INCONNU", headers=admin)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "tenant_not_found")


def test_a_tenants_agreement_names_only_a_profile_it_imported(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    sae, admin = platform
    create(sae.client, admin, identifier="FR_AD_29", name="Archives du Finistère")
    agreement = {"transferring_agencies": ["BREST"], "profile": "deliberations"}
    url = f"{TENANTS}/FR_AD_29/agreements/AGR-1"

    refused = sae.client.put(url, json=agreement, headers=admin)
    assert [i["code"] for i in refused.json()["issues"]] == ["unknown_profile"]
    profile = PROFILE_REQUIRING_A_COMMENT.encode()
    put = sae.client.put(
        f"{TENANTS}/FR_AD_29/profiles/deliberations", content=profile, headers=admin
    )
    assert put.status_code == 200, put.text
    kept = sae.client.put(url, json=agreement, headers=admin)

    assert kept.status_code == 200, kept.text
    shown = sae.client.get(f"{TENANTS}/FR_AD_29", headers=admin).json()
    assert [a["identifier"] for a in shown["agreements"]] == ["AGR-1"]
    actions = [e.action for e in stored.entries(sae.db, "FR_AD_29")]
    assert actions == ["tenant.created", "setup.file_imported", "agreement.put"]


def test_a_refused_referential_lists_every_problem_and_keeps_nothing(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    sae, admin = platform
    csv = "Identifier,Name\nAG-1,Archives\nAG-1,Doublon\n,Sans identifiant\n"
    refused = sae.client.put(f"{TENANTS}/ARCH/files/agencies", content=csv, headers=admin)

    assert refused.status_code == 422
    assert [i["code"] for i in refused.json()["issues"]] == ["duplicate_id", "missing_value"]
    assert sae.client.get(f"{TENANTS}/ARCH", headers=admin).json()["files"] == []


def test_the_roots_of_document_signatures_are_a_tenant_file_of_their_own(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    from kernel.signing import generate_self_signed

    sae, admin = platform
    _key, certificate = generate_self_signed("Autorité racine de test", "Test", 30)
    url = f"{TENANTS}/ARCH/files/signature-anchors"

    kept = sae.client.put(url, content=certificate, headers=admin)
    refused = sae.client.put(url, content=b"pas un PEM", headers=admin)

    assert kept.status_code == 200, kept.text
    assert refused.status_code == 422
    files = sae.client.get(f"{TENANTS}/ARCH", headers=admin).json()["files"]
    assert [f["kind"] for f in files] == ["signature_anchors"]


def test_a_token_issued_by_the_platform_works_for_its_tenant_until_revoked(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    sae, admin = platform
    issued = sae.client.post(
        f"{TENANTS}/ARCH/tokens", json={"name": "bob", "role": "archivist"}, headers=admin
    ).json()
    bob = {"Authorization": f"Bearer {issued['token']}"}
    assert sae.client.get("/api/v1/sae/review/transfers", headers=bob).status_code == 200

    revoked = sae.client.delete(f"{TENANTS}/ARCH/tokens/{issued['id']}", headers=admin)

    assert revoked.status_code == 204
    assert sae.client.get("/api/v1/sae/review/transfers", headers=bob).status_code == 401
    listed = sae.client.get(f"{TENANTS}/ARCH/tokens", headers=admin).json()
    assert issued["token"] not in str(listed)
    assert [t["revoked_at"] is not None for t in listed if t["name"] == "bob"] == [True]


def test_the_platform_administrator_reads_no_tenants_archives_or_log(
    platform: tuple[Sae, dict[str, str]],
) -> None:
    sae, admin = platform
    for path in ("/api/v1/sae/archives", "/api/v1/sae/review/transfers", "/api/v1/sae/log/verify"):
        assert sae.client.get(path, headers=admin).status_code == 403, path
    assert sae.client.get(TENANTS, headers=ARCHIVIST).status_code == 403
