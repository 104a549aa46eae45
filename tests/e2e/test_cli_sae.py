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


def logged_actions(home: Path, tenant: str = "ARCH") -> list[str]:
    db = open_database(sqlite_url(home / "repository.sqlite"), create=False)
    try:
        return [e.action for e in stored.entries(db, tenant)]
    finally:
        db.dispose()


def test_people_of_the_repository_are_managed_from_the_command_line(
    home: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("un mot de passe assez long\n", encoding="utf-8")
    created = sae("users", "create", "alice", "--role", "archivist", "--password-file", str(secret))
    assert "Compte « alice » créé (archiviste, avec mot de passe)" in created
    assert "changé" in sae("users", "set-password", "alice", "--password-file", str(secret))
    assert "désactivé" in sae("users", "disable", "alice")
    again = CliRunner().invoke(main, ["users", "disable", "alice"])
    assert again.exit_code == 4 and "déjà désactivé" in again.output, again.output
    actions = [a for a in logged_actions(home) if a.startswith("account.")]
    assert actions == ["account.create", "account.password", "account.disable"]


def test_a_login_is_unique_within_its_tenant_and_each_change_goes_to_its_tenants_log(
    home: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("un mot de passe assez long\n", encoding="utf-8")
    sae("tenants", "create", "FR_AD_29", "--name", "Archives du Finistère")
    for tenant in ("ARCH", "FR_AD_29"):
        made = sae("users", "create", "alice", "--tenant", tenant, "--role", "reader",
                   "--password-file", str(secret))  # fmt: skip
        assert "Compte « alice » créé (lecteur" in made
    taken = sae("users", "create", "alice", "--tenant", "FR_AD_29", "--role", "archivist",
                "--no-password", code=4)  # fmt: skip
    assert "L'identifiant alice est déjà utilisé" in taken
    assert "désactivé" in sae("users", "disable", "alice", "--tenant", "FR_AD_29")
    assert "changé" in sae("users", "set-password", "alice", "--password-file", str(secret))
    assert [a for a in logged_actions(home, "FR_AD_29") if a.startswith("account.")] == [
        "account.create",
        "account.disable",
    ]
    assert [a for a in logged_actions(home) if a.startswith("account.")] == [
        "account.create",
        "account.password",
    ]
    unknown = CliRunner().invoke(main, ["users", "disable", "alice", "--tenant", "INCONNU"])
    assert unknown.exit_code == 3 and "Compte « alice » introuvable" in unknown.output


def test_a_refused_person_says_every_issue_in_french_with_exit_code_1(
    home: Path, tmp_path: Path
) -> None:
    short = tmp_path / "password"
    short.write_text("court\n", encoding="utf-8")
    refused = CliRunner().invoke(
        main, ["users", "create", "é", "--role", "reader", "--password-file", str(short)]
    )
    assert refused.exit_code == 1, refused.output
    assert "Mot de passe trop court" in refused.output and "bad_login" in refused.output
    unknown = CliRunner().invoke(main, ["users", "disable", "bob"])
    assert unknown.exit_code == 3 and "Compte « bob » introuvable" in unknown.output


def test_archives_are_searched_shown_and_got_verified_from_the_command_line(
    home: Path, received: dict[str, str], tmp_path: Path
) -> None:
    alice = home / "alice.token"
    alice.write_text(issue_token("alice", "archivist") + "\n", encoding="utf-8")
    sae("review", "accept", received["OK-1"], "--token-file", str(alice))
    listed = sae("archives", "search", "courrier")
    assert "courrier.txt  (pièce" in listed and "1 archive(s) trouvée(s)" in listed
    [item] = json.loads(sae("archives", "search", "courrier", "--json"))["items"]
    shown = sae("archives", "show", item["archive_id"])
    assert "Niveau : pièce" in shown and "Versement : OK-1" in shown
    [obj] = json.loads(sae("archives", "show", item["archive_id"], "--json"))["objects"]
    copy = tmp_path / "courrier.txt"
    done = sae("archives", "get", item["archive_id"], obj["object_id"], "-o", str(copy))
    assert "vérifiée" in done and copy.read_text(encoding="utf-8") == "Courrier au préfet\n"
    for blob in (home / "offers").rglob(obj["sha256"]):
        blob.chmod(0o644)
        blob.write_bytes(b"Courrier au prefet!\n")
    damaged = tmp_path / "altere.txt"
    refused = CliRunner().invoke(
        main, ["archives", "get", item["archive_id"], obj["object_id"], "-o", str(damaged)]
    )
    assert refused.exit_code == 5 and "no_verified_copy" in refused.output, refused.output
    assert not damaged.exists() and not list(tmp_path.glob(".altere.txt*"))
    unknown = CliRunner().invoke(main, ["archives", "show", "AU-inconnue"])
    assert unknown.exit_code == 3
    sae("tenants", "create", "FR_AD_29", "--name", "Archives du Finistère")
    elsewhere = sae("archives", "search", "courrier", "--tenant", "FR_AD_29", "--json")
    assert json.loads(elsewhere)["items"] == []  # another tenant's catalogue: not this one
    hidden = CliRunner().invoke(
        main, ["archives", "show", item["archive_id"], "--tenant", "FR_AD_29"]
    )
    assert hidden.exit_code == 3 and "introuvable" in hidden.output, hidden.output


def test_an_unknown_key_in_sae_toml_is_refused_with_its_file_and_line(home: Path) -> None:
    config = home / "sae.toml"
    config.write_text(
        "max_package_byte = 10\n" + config.read_text(encoding="utf-8"), encoding="utf-8"
    )
    line = config.read_text(encoding="utf-8").splitlines().index("max_package_byte = 10") + 1
    refused = CliRunner().invoke(main, ["token", "list"])
    assert refused.exit_code == 1, refused.output
    assert f"{config}, ligne {line} : clé inconnue « max_package_byte »" in refused.output
    assert "vouliez-vous dire « max_package_bytes »" in refused.output


def test_init_without_network_names_schemas_from_and_leaves_no_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "hors-ligne"
    monkeypatch.setenv("GEDSAE_SAE_HOME", str(root))
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")  # nothing listens: as if offline
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    offline = CliRunner().invoke(main, ["init", "--organisation", "ARCH"])
    assert offline.exit_code == 5, offline.output
    assert "--schemas-from DOSSIER" in offline.output and "Traceback" not in offline.output
    assert not (root / "schemas" / "catalog.xml").exists()


def test_an_incomplete_oidc_table_in_sae_toml_is_refused_in_french(home: Path) -> None:
    config = home / "sae.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[oidc]\nissuer = "https://idp.example"\nclient_id = "gedsae-sae"\n',
        encoding="utf-8",
    )
    refused = CliRunner().invoke(main, ["archives", "search"])
    assert refused.exit_code == 1, refused.output
    assert "sae_misconfigured" in refused.output and "client_secret_file manquant" in refused.output
