"""Secrets never sit in clear in a configuration file: ``s3_secret_key`` (and the signing key's
password) are read from ``NAME_file`` or ``NAME_env`` only, in the GED's ``config.toml`` as in the
repository's ``sae.toml`` and the connectors' tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from ged.config import load_settings
from kernel.errors import InvalidError
from tests.fixtures.processes import gedsae_cli


def test_a_clear_s3_secret_key_in_config_toml_is_refused_by_the_command_line(
    tmp_path: Path,
) -> None:
    home = tmp_path / "ged"
    home.mkdir()
    (home / "config.toml").write_text(
        'storage = "s3"\ns3_access_key = "gedsae"\ns3_secret_key = "en-clair"\n', encoding="utf-8"
    )
    out = gedsae_cli({"GEDSAE_HOME": str(home)}, "status", check=False, stderr=True)
    assert "secret_in_clear" in out and "s3_secret_key_file" in out
    assert "en-clair" not in out
    assert not (home / "gedsae.db").exists()


@pytest.mark.parametrize("key", ["s3_secret_key", "signing_key_password"])
def test_every_secret_of_config_toml_is_refused_in_clear(tmp_path: Path, key: str) -> None:
    (tmp_path / "config.toml").write_text(f'{key} = "en-clair"\n', encoding="utf-8")
    with pytest.raises(InvalidError) as refused:
        load_settings(tmp_path)
    assert refused.value.code == "secret_in_clear" and key in refused.value.detail


def test_a_secret_is_read_from_its_file_or_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "s3-secret").write_text("depuis-un-fichier\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f's3_secret_key_file = "{tmp_path / "s3-secret"}"\n', encoding="utf-8")
    assert load_settings(tmp_path).s3_secret_key == "depuis-un-fichier"
    monkeypatch.setenv("MY_S3_SECRET", "depuis-une-variable")
    config.write_text('s3_secret_key_env = "MY_S3_SECRET"\n', encoding="utf-8")
    assert load_settings(tmp_path).s3_secret_key == "depuis-une-variable"
