"""The deployment runs the GED and the repository as two services: each from its own image
target, the repository with its own configuration (``deploy/sae.toml``), which loads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sae.bootstrap import build_config
from sae.config import load_settings

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


def test_each_service_is_built_from_its_own_image_target(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["gedsae"]["build"]["target"] == "ged"
    assert services["sae"]["build"]["target"] == "sae"
    assert {"ged", "sae"} <= targets().keys()
    assert "gedsae-sae serve" in services["sae"]["entrypoint"]
    assert "gedsae-sae" not in services["gedsae"]["entrypoint"]


def test_only_the_repository_is_given_the_repository_configuration(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert any("deploy/sae.toml" in volume for volume in services["sae"]["volumes"])
    assert not any("sae.toml" in volume for volume in services["gedsae"].get("volumes", []))
    assert "GEDSAE_SAE_HOME" in services["sae"]["environment"]
    assert "GEDSAE_HOME" not in services["sae"]["environment"]


def test_the_repository_configuration_loads_with_the_secrets_compose_grants_it(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    text = (ROOT / "deploy" / "sae.toml").read_text(encoding="utf-8")
    named = set(re.findall(re.escape(SECRETS) + r"([\w-]+)", text))
    granted = set(compose["services"]["sae"]["secrets"])
    assert named and named <= granted <= compose["secrets"].keys()
    # The secrets as compose mounts them, here under the test's folder.
    for name in named:
        (tmp_path / name).write_text(f"valeur-de-{name}\n", encoding="utf-8")
    (tmp_path / "sae.toml").write_text(text.replace(SECRETS, f"{tmp_path}/"), encoding="utf-8")

    config = build_config(load_settings(tmp_path))

    assert [offer.name for offer in config.offers_under("")] == ["disque", "minio"]
    assert config.settings.schema_dir == tmp_path / "schemas"
