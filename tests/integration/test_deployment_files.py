"""The platform's deployment (``docker-compose.yml`` and ``deploy/``), checked without Docker:
every service, volume, secret and config the compose file names is declared and every file it
names exists or is made by ``deploy/make-secrets.sh``; each service is built from its own image
target; the configuration files load with the real loaders of the GED (``ged.config``) and the
repository (``sae.config``, ``sae.bootstrap``) and the secrets compose grants each service; and
the repository's first start, as its entrypoint runs it, works on a PostgreSQL cluster prepared by
``deploy/postgres/init-roles.sh`` and on an S3 bucket with Object Lock."""

from __future__ import annotations

import os
import re
import shlex
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cryptography import x509

from connectors.config import ConnectorSettings, build
from connectors.sae_http import SaeHttpConnector
from ged.config import load_settings as load_ged_settings
from kernel.blobstore.s3 import S3BlobStore
from kernel.retention import Duration
from sae.bootstrap import build_config
from sae.cli import main as sae_cli
from sae.config import load_settings as load_sae_settings
from tests.fixtures.postgres import find_bin_dir, temporary_cluster
from tests.fixtures.s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY, S3Bucket
from tests.fixtures.seda_corpus import shared_path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = "/run/secrets/"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def targets() -> dict[str, str]:
    """Each build stage of the Dockerfile and the stage it starts from."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return dict((name, parent) for parent, name in re.findall(r"^FROM (\S+) AS (\S+)$", text, re.M))


def stage(name: str) -> str:
    """The Dockerfile's lines of one stage."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return text.split(f" AS {name}\n", 1)[1].split("\nFROM ", 1)[0]


def names(entries: list[Any]) -> set[str]:
    """Secrets or configs of a service, short (``name``) or long (``source: name``) syntax."""
    return {entry if isinstance(entry, str) else entry["source"] for entry in entries}


def config_target(compose: dict[str, Any], service: str, config: str) -> str:
    [target] = [
        entry["target"]
        for entry in compose["services"][service]["configs"]
        if isinstance(entry, dict) and entry["source"] == config
    ]
    return str(target)


def config_file(compose: dict[str, Any], config: str) -> Path:
    return ROOT / compose["configs"][config]["file"]


def made_secrets(folder: Path) -> Path:
    subprocess.run(["sh", str(ROOT / "deploy" / "make-secrets.sh"), str(folder)], check=True)
    return folder


def granted_copy(text: str, named: set[str], secrets: Path) -> str:
    """The configuration as the container reads it, its secrets under ``secrets``."""
    assert named, "the configuration names no secret"
    return text.replace(SECRETS, f"{secrets}/")


# -- the compose file ----------------------------------------------------------------------------
def test_every_service_volume_secret_and_config_a_service_names_is_declared(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", [])) <= services.keys(), name
        assert names(service.get("secrets", [])) <= compose["secrets"].keys(), name
        assert names(service.get("configs", [])) <= compose["configs"].keys(), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(".") or source in compose["volumes"], (name, volume)


def test_the_whole_platform_runs_from_the_compose_file(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "minio", "createbuckets", "gedsae", "sae"} <= services.keys()
    assert services["gedsae"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["sae"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["sae"]["depends_on"]["createbuckets"] == {
        "condition": "service_completed_successfully"
    }


def test_every_file_the_compose_file_names_exists_or_is_made_by_make_secrets(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    for config in compose["configs"].values():
        assert (ROOT / config["file"]).is_file(), config
    made = made_secrets(tmp_path / "secrets")
    for name, secret in compose["secrets"].items():
        assert secret["file"] == f"./secrets/{name}"
        assert (made / name).read_text(encoding="utf-8").strip(), name
    for service in compose["services"].values():
        if "build" in service:
            assert (ROOT / service["build"]["context"] / "Dockerfile").is_file()
            assert service["build"]["target"] in targets()


def test_make_secrets_never_replaces_a_secret(tmp_path: Path) -> None:
    made = made_secrets(tmp_path / "secrets")
    (made / "pg_password").write_text("choisi par l'exploitant", encoding="utf-8")
    made_secrets(made)
    assert (made / "pg_password").read_text(encoding="utf-8") == "choisi par l'exploitant"


def test_each_service_is_built_from_its_own_image_target(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["gedsae"]["build"]["target"] == "ged"
    assert services["sae"]["build"]["target"] == "sae"
    assert {"ged", "sae"} <= targets().keys()
    assert "gedsae-sae serve" in services["sae"]["entrypoint"]
    assert "gedsae-sae" not in services["gedsae"]["entrypoint"]


def test_each_service_home_is_made_in_its_image_for_its_user(compose: dict[str, Any]) -> None:
    """An empty named volume takes the owner of the image's folder it is mounted on."""
    for service, image, variable in (
        ("sae", "sae", "GEDSAE_SAE_HOME"),
        ("gedsae", "ged", "GEDSAE_HOME"),
    ):
        [mount] = compose["services"][service]["volumes"]
        home = mount.split(":", 1)[1]
        lines = stage(image)
        assert f"install -d -o gedsae -g gedsae {home}" in lines, service
        assert f"ENV {variable}={home}" in lines, service


# -- the repository ------------------------------------------------------------------------------
def test_the_repository_configuration_is_where_its_home_is(compose: dict[str, Any]) -> None:
    sae = compose["services"]["sae"]
    home = sae["environment"]["GEDSAE_SAE_HOME"]
    assert config_target(compose, "sae", "sae_toml") == f"{home}/sae.toml"
    assert "GEDSAE_HOME" not in sae["environment"]
    assert "sae_toml" not in names(compose["services"]["gedsae"].get("configs", []))


def test_the_repository_starts_without_a_placeholder_tenant(compose: dict[str, Any]) -> None:
    sae = compose["services"]["sae"]
    assert "placeholder" not in sae["entrypoint"]
    assert '--organisation "$GEDSAE_SAE_OPERATOR"' in sae["entrypoint"].replace("$$", "$").replace(
        '\\"', '"'
    )
    assert "GEDSAE_SAE_OPERATOR" in sae["environment"]
    # a shared platform has no default tenant: each command names its --tenant
    text = config_file(compose, "sae_toml").read_text(encoding="utf-8")
    assert not re.search(r"^organisation\s*=", text, re.M)


def test_the_repository_configuration_loads_with_the_secrets_compose_grants_it(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    text = config_file(compose, "sae_toml").read_text(encoding="utf-8")
    named = set(re.findall(re.escape(SECRETS) + r"([\w-]+)", text))
    assert named <= names(compose["services"]["sae"]["secrets"])
    secrets = made_secrets(tmp_path / "secrets")
    home = tmp_path / "sae"
    home.mkdir()
    (home / "sae.toml").write_text(granted_copy(text, named, secrets), encoding="utf-8")

    settings = load_sae_settings(home)
    config = build_config(settings)

    assert settings.require_two_backends
    assert settings.organisation is None
    offers = list(config.offers_under(""))
    assert [offer.name for offer in offers] == ["disque", "minio"]
    assert isinstance(offers[1], S3BlobStore) and offers[1].keep_minimum == Duration(years=10)
    app_password = (secrets / "sae_db_app_password").read_text(encoding="utf-8")
    owner_password = (secrets / "sae_db_owner_password").read_text(encoding="utf-8")
    assert config.database.url == (f"postgresql+psycopg://sae_app:{app_password}@postgres:5432/sae")
    assert config.database.owner_url == (
        f"postgresql+psycopg://sae_owner:{owner_password}@postgres:5432/sae"
    )
    assert config.jobs.queue == "postgresql"  # the workers share the queue in that database


def test_the_repositorys_workers_share_its_configuration_volume_and_secrets(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    sae, worker = services["sae"], services["sae-worker"]
    assert worker["entrypoint"] == ["gedsae-sae", "worker"]
    assert worker["depends_on"]["sae"] == {"condition": "service_healthy"}  # schema migrated
    assert "healthcheck" in sae
    assert worker["build"] == sae["build"] and worker["volumes"] == sae["volumes"]
    assert worker["configs"] == sae["configs"] and set(worker["secrets"]) == set(sae["secrets"])
    assert worker["environment"]["GEDSAE_SAE_HOME"] == sae["environment"]["GEDSAE_SAE_HOME"]
    assert worker["deploy"]["replicas"] >= 2


def test_the_locked_offers_bucket_is_created_with_object_lock(compose: dict[str, Any]) -> None:
    text = config_file(compose, "sae_toml").read_text(encoding="utf-8")
    bucket = re.search(r'\[offers\.minio\][^\[]*bucket = "([^"]+)"', text)
    assert bucket and "object_lock = true" in text
    assert (
        f"mc mb --ignore-existing --with-lock local/{bucket.group(1)}"
        in (compose["services"]["createbuckets"]["entrypoint"])
    )


def test_the_database_roles_the_repository_uses_are_the_ones_postgres_creates(
    compose: dict[str, Any],
) -> None:
    script = config_file(compose, "postgres_init_roles").read_text(encoding="utf-8")
    text = config_file(compose, "sae_toml").read_text(encoding="utf-8")
    assert re.search(r'^url = "postgresql\+psycopg://sae_app@postgres:5432/sae"', text, re.M)
    assert re.search(
        r'^owner_url = "postgresql\+psycopg://sae_owner@postgres:5432/sae"', text, re.M
    )
    assert "CREATE ROLE sae_app LOGIN NOSUPERUSER NOBYPASSRLS" in script
    assert "CREATE DATABASE sae OWNER sae_owner" in script
    postgres = compose["services"]["postgres"]
    assert {"sae_db_owner_password", "sae_db_app_password"} <= names(postgres["secrets"])
    [init] = postgres["configs"]
    assert init["target"].startswith("/docker-entrypoint-initdb.d/")


# -- the GED -------------------------------------------------------------------------------------
def test_the_ged_configuration_loads_with_the_secrets_compose_grants_it(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in [v for v in os.environ if v.startswith("GEDSAE_")]:
        monkeypatch.delenv(variable)
    ged = compose["services"]["gedsae"]
    assert config_target(compose, "gedsae", "ged_toml") == "/home/gedsae/instance/config.toml"
    assert "ENV GEDSAE_HOME=/home/gedsae/instance" in stage("ged")
    text = config_file(compose, "ged_toml").read_text(encoding="utf-8")
    named = set(re.findall(re.escape(SECRETS) + r"([\w-]+)", text))
    assert named <= names(ged["secrets"])
    secrets = made_secrets(tmp_path / "secrets")
    home = tmp_path / "instance"
    home.mkdir()
    (home / "config.toml").write_text(granted_copy(text, named, secrets), encoding="utf-8")

    settings = load_ged_settings(home)
    connector = ConnectorSettings.from_table("depot", settings.connectors["depot"])

    assert (settings.storage, settings.s3_endpoint_url, settings.s3_bucket) == (
        "s3",
        "http://minio:9000",
        "gedsae",
    )
    assert settings.s3_secret_key == (secrets / "s3_secret_key").read_text(encoding="utf-8")
    assert connector.kind == "sae_http"
    # the connector reaches the repository over HTTPS, by the proxy's service name
    assert connector.options["base_url"] == "https://depot"
    assert "depot" in compose["services"]
    assert isinstance(build(connector), SaeHttpConnector)  # its token and CA read from secrets


def test_the_repository_certificate_is_for_its_service_name_and_signed_by_the_platform_ca(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    made = made_secrets(tmp_path / "secrets")
    ca = x509.load_pem_x509_certificate((made / "platform_ca").read_bytes())
    served = x509.load_pem_x509_certificate((made / "depot_tls_certificate").read_bytes())

    served.verify_directly_issued_by(ca)
    names_ = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "depot" in names_.get_values_for_type(x509.DNSName)
    assert ssl.create_default_context(cafile=str(made / "platform_ca"))
    caddyfile = config_file(compose, "caddyfile").read_text(encoding="utf-8")
    assert "tls /run/secrets/depot_tls_certificate /run/secrets/depot_tls_key" in caddyfile
    assert "reverse_proxy sae:8100" in caddyfile
    assert "ports" not in compose["services"]["sae"]  # plain HTTP never leaves compose


# -- the repository's first start ----------------------------------------------------------------
@pytest.fixture
def fresh_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of its own, as the postgres image's first start makes it."""
    bindir = find_bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed")
    with temporary_cluster(bindir) as url:
        yield url


@pytest.mark.postgres
@pytest.mark.s3
def test_the_repository_first_start_works_on_the_roles_postgres_creates_and_a_locked_bucket(
    compose: dict[str, Any], tmp_path: Path, fresh_cluster: str, s3_endpoint: str
) -> None:
    secrets = made_secrets(tmp_path / "secrets")
    (secrets / "s3_access_key").write_text(ACCESS_KEY_ID, encoding="utf-8")
    (secrets / "s3_secret_key").write_text(SECRET_ACCESS_KEY, encoding="utf-8")
    host_port = fresh_cluster.rsplit("@", 1)[1]
    host, port = host_port.split(":")
    bindir = find_bin_dir()
    assert bindir is not None
    script = config_file(compose, "postgres_init_roles")
    env = {
        **os.environ,
        "POSTGRES_USER": "gedsae",
        "PGHOST": host,
        "PGPORT": port,
        "SECRETS_DIR": str(secrets),
        "PATH": f"{bindir}:{os.environ['PATH']}",
    }
    subprocess.run(["sh", str(script)], check=True, env=env, capture_output=True)
    bucket = S3Bucket(endpoint_url=s3_endpoint, name=f"archives-{uuid.uuid4().hex[:12]}")
    bucket.client().create_bucket(Bucket=bucket.name, ObjectLockEnabledForBucket=True)
    text = (
        config_file(compose, "sae_toml")
        .read_text(encoding="utf-8")
        .replace(SECRETS, f"{secrets}/")
        .replace("@postgres:5432/", f"@{host_port}/")
        .replace('endpoint_url = "http://minio:9000"', f'endpoint_url = "{s3_endpoint}"')
        .replace('bucket = "archives"', f'bucket = "{bucket.name}"')
    )
    home = tmp_path / "sae"
    home.mkdir()
    (home / "sae.toml").write_text(text, encoding="utf-8")
    entrypoint = shlex.split(compose["services"]["sae"]["entrypoint"])[2]
    init = entrypoint.split(" && ", 1)[0]
    assert init.startswith("gedsae-sae init --organisation")

    def sae(*args: str) -> str:
        result = CliRunner().invoke(sae_cli, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
        return result.output

    # The entrypoint's init, with the schemas copied rather than downloaded (no network here).
    sae("init", "--organisation", "FR_SYNDICAT_35", "--schemas-from", str(shared_path("official")))
    sae("init", "--organisation", "FR_SYNDICAT_35")  # the next start: nothing to redo
    sae("tenants", "create", "FR_AD_35", "--name", "Archives d'Ille-et-Vilaine")
    token = sae(
        "token", "create", "ged-saint-malo", "--tenant", "FR_AD_35", "--role", "transferring"
    )

    assert token.strip()
    assert "FR_AD_35" in sae("tenants", "list")
