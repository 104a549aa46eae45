"""``gedsae-sae review|audit|seal|log verify`` on a repository home made by ``gedsae-sae init``;
the transfers arrive through the real app and the ``sae_http`` connector."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from connectors.sae_http import SaeHttpConnector
from sae.adapters.db import open_database
from sae.adapters.db.engine import sqlite_url
from sae.api.app import create_app
from sae.bootstrap import build_config
from sae.cli import main
from sae.config import load_settings
from tests.fixtures.sae import APPLICATION, OWNER, PostgresPlatform
from tests.fixtures.seda_corpus import shared_path
from tests.sae import stored
from tests.sae.test_ingest import build_sip, make_sip, manifest_sha256


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "sae"
    monkeypatch.setenv("GEDSAE_SAE_HOME", str(root))
    sae(
        "init", "--organisation", "ARCH", "--schemas-from", str(shared_path("official"))
    )  # fmt: skip
    sae("agreements", "put", "AGR-1", "--agency", "SERVICE-A", "--seda", "2.2")
    return root


def sae(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def issue_token(name: str, role: str) -> str:
    """A token of the default tenant, made as an operator makes it."""
    return sae("token", "create", name, "--role", role).strip()


@pytest.fixture
def received(home: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Two transfers received and checked: one sound, one with a forged file."""
    token = issue_token("ged", "transferring")
    with TestClient(create_app(build_config(load_settings(home)))) as client:
        connector = SaeHttpConnector(str(client.base_url), token, client, allow_insecure_http=True)
        ids = {}
        for mid, sip in (("OK-1", build_sip(tmp_path, "OK-1")), ("KO-1", make_sip(tmp_path, "KO-1", tamper=True))):  # fmt: skip
            submission = connector.submit(
                sip,
                message_identifier=mid,
                transferring_agency="SERVICE-A",
                manifest_digest=manifest_sha256(sip),
            )
            ids[mid] = submission.remote_reference
        yield ids


def test_a_decision_is_made_by_an_archivists_token_never_by_a_typed_name(
    home: Path, received: dict[str, str], tmp_path: Path
) -> None:
    typed = CliRunner().invoke(main, ["review", "accept", received["OK-1"], "--as", "x"])
    assert typed.exit_code == 2  # no such option: a name on the command line decides nothing
    sender = tmp_path / "sender.token"
    sender.write_text(issue_token("ged2", "transferring"), encoding="utf-8")
    forged = tmp_path / "forged.token"
    forged.write_text("not-a-token", encoding="utf-8")
    for token_file, code in ((sender, "forbidden"), (forged, "unauthenticated")):
        refused = CliRunner().invoke(
            main, ["review", "accept", received["OK-1"], "--token-file", str(token_file)]
        )
        assert refused.exit_code == 6 and code in refused.output, refused.output
    missing = CliRunner().invoke(main, ["review", "accept", received["OK-1"]])
    assert missing.exit_code == 6 and "GEDSAE_SAE_TOKEN" in missing.output
    pending = json.loads(sae("review", "list", "--json"))
    assert received["OK-1"] in {t["transfer_id"] for t in pending}  # nothing was decided


def test_review_accept_reject_audit_seal_and_verify(home: Path, received: dict[str, str]) -> None:
    listed = json.loads(sae("review", "list", "--json"))
    by_message = {t["message_identifier"]: t for t in listed}
    assert by_message["OK-1"]["checks_passed"] and not by_message["KO-1"]["checks_passed"]
    text = sae("review", "list")
    assert "package_digest_mismatch" in text

    alice = home / "alice.token"
    alice.write_text(issue_token("alice", "archivist") + "\n", encoding="utf-8")
    accepted = json.loads(sae("review", "accept", received["OK-1"], "--token-file", str(alice)))
    assert accepted["state"] == "accepted" and accepted["decided_by"] == "alice"
    assert accepted["archive_identifiers"]
    bob = issue_token("bob", "archivist")
    again = CliRunner().invoke(
        main, ["review", "accept", received["OK-1"]], env={"GEDSAE_SAE_TOKEN": bob}
    )
    assert again.exit_code == 4 and "transfer_already_decided" in again.output  # conflict
    rejected = json.loads(
        sae("review", "reject", received["KO-1"], "--token-file", str(alice),
            "--comment", "fichier altéré")
    )  # fmt: skip
    assert rejected["state"] == "rejected" and rejected["comment"] == "fichier altéré"

    assert "objets contrôlés" in sae("audit")
    copies = [p for p in (home / "offers" / "a" / "sha256").rglob("*") if p.is_file()]
    assert copies
    data = bytearray(copies[0].read_bytes())
    data[0] ^= 0xFF
    copies[0].chmod(0o644)
    copies[0].write_bytes(bytes(data))
    repaired = json.loads(sae("audit", "--json"))  # repaired from the other offer: clean
    assert repaired["counts"]["copy_repaired"] == 1
    assert copies[0].read_bytes() != bytes(data)

    sealed = json.loads(sae("seal"))
    assert sealed["seq"] >= 1
    assert "intègre" in sae("log", "verify")


def test_a_repository_token_revoked_from_the_command_line_is_refused_on_the_next_request(
    home: Path,
) -> None:
    token = issue_token("alice", "archivist")
    with TestClient(create_app(build_config(load_settings(home)))) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/sae/health", headers=bearer).status_code == 200
        (entry,) = json.loads(sae("token", "list"))
        assert entry["name"] == "alice" and entry["revoked_at"] is None
        sae("token", "revoke", entry["id"])
        assert client.get("/api/v1/sae/health", headers=bearer).status_code == 401
    assert "token_already_revoked" in sae("token", "revoke", entry["id"], code=4)
    db = open_database(sqlite_url(home / "repository.sqlite"), create=False)
    entries = stored.entries(db)
    db.dispose()
    revoked = [e for e in entries if e.action == "token.revoke"]
    assert [(e.object_id, e.details["name"]) for e in revoked] == [(entry["id"], "alice")]


def test_tenants_are_created_listed_and_set_up_from_the_command_line(home: Path) -> None:
    made = sae("tenants", "create", "FR_AD_29", "--name", "Archives du Finistère")
    assert "Locataire FR_AD_29 créé (offres : FR_AD_29/)" in made
    refused = sae("tenants", "create", "FR_AD_29", "--name", "Doublon", code=4)
    assert "tenant_already_exists" in refused
    listed = json.loads(sae("tenants", "list", "--json"))
    assert [t["identifier"] for t in listed] == ["ARCH", "FR_AD_29"]
    assert "ARCH  ARCH  (offres : racine)" in sae("tenants", "list")

    sae("agreements", "put", "AGR-9", "--tenant", "FR_AD_29", "--agency", "BREST")
    token = sae("token", "create", "bob", "--tenant", "FR_AD_29", "--role", "archivist").strip()
    shown = sae("tenants", "show", "FR_AD_29")
    assert "accord AGR-9 : BREST (SEDA 2.1, 2.2, 2.3)" in shown
    (entry,) = json.loads(sae("token", "list", "--tenant", "FR_AD_29"))
    assert (entry["name"], entry["tenant"]) == ("bob", "FR_AD_29")
    assert token not in sae("token", "list", "--tenant", "FR_AD_29")
    assert "tenant_not_found" in sae("tenants", "show", "INCONNU", code=3)


def test_a_sae_toml_still_naming_tenant_data_is_refused_until_imported(
    home: Path, tmp_path: Path
) -> None:
    agencies = tmp_path / "services.csv"
    agencies.write_text("Identifier,Name\nSERVICE-A,Services\n", encoding="utf-8")
    config = home / "sae.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(
        original + f'\n[referentials.ARCH]\nagencies = "{agencies}"\n'
        '\n[agreements.AGR-2]\ntransferring_agencies = ["SERVICE-B"]\n',
        encoding="utf-8",
    )
    refused = sae("tenants", "list", code=1)
    assert "gedsae-sae tenants import-config" in refused

    imported = sae("tenants", "import-config")
    assert "ARCH : accord AGR-2" in imported and "Retirez maintenant de sae.toml" in imported
    config.write_text(original, encoding="utf-8")
    shown = json.loads(sae("tenants", "show", "ARCH", "--json"))
    assert {a["identifier"] for a in shown["agreements"]} == {"AGR-1", "AGR-2"}
    assert [f["kind"] for f in shown["files"]] == ["agencies"]


@pytest.fixture
def empty_postgres(sae_postgres: PostgresPlatform) -> Iterator[tuple[str, str]]:
    """An empty database the owner's role owns: (the application's URL, the owner's URL)."""
    name = "sae_cli_" + uuid.uuid4().hex[:8]
    with sae_postgres.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" OWNER {OWNER} TEMPLATE template0')
    yield sae_postgres.url(APPLICATION, name), sae_postgres.url(OWNER, name)
    with sae_postgres.admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_repository_on_postgresql_is_migrated_by_its_owner_then_served_by_its_application_role(
    home: Path, tmp_path: Path, empty_postgres: tuple[str, str]
) -> None:
    application, owner = empty_postgres
    secret = tmp_path / "mot-de-passe"
    secret.write_text("secret-de-la-base\n", encoding="utf-8")
    config = home / "sae.toml"
    original = config.read_text(encoding="utf-8")
    database = f'\n[database]\nurl = "{application}"\npassword_file = "{secret}"\n'
    config.write_text(original + database, encoding="utf-8")
    assert "gedsae-sae db upgrade" in sae("tenants", "list", code=1)  # not migrated yet

    config.write_text(original + database + f'owner_url = "{owner}"\n', encoding="utf-8")
    assert "Base du dépôt à jour" in sae("db", "upgrade")
    config.write_text(original + database, encoding="utf-8")  # the application's role alone

    sae("tenants", "create", "FR_AD_29", "--name", "Archives du Finistère")
    listed = json.loads(sae("tenants", "list", "--json"))
    assert [t["identifier"] for t in listed] == ["ARCH", "FR_AD_29"]  # the default one made too
    in_clear = application.replace("@", ":en-clair@", 1)
    config.write_text(original + f'\n[database]\nurl = "{in_clear}"\n', encoding="utf-8")
    assert "password_file" in sae("tenants", "list", code=1)
