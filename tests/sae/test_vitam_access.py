"""``[vitam]`` of sae.toml read into who may send into which tenant: every mistake names its
option, and a sender's certificate is known by its fingerprint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kernel.config_keys import UnknownConfigKey
from sae.config import SaeMisconfigured, read_config
from sae.vitam_access import fingerprint, vitam_access
from tests.fixtures.tls import TlsPki


@pytest.fixture
def home(tmp_path: Path, tls_pki: TlsPki) -> Path:
    (tmp_path / "tls").mkdir()
    for source, name in (
        (tls_pki.server.certificate, "server.pem"),
        (tls_pki.server.key, "server.key"),
        (tls_pki.ca, "ca.pem"),
        (tls_pki.client.certificate, "ged.pem"),
    ):
        shutil.copy(source, tmp_path / "tls" / name)
    return tmp_path


def table(**changed: object) -> dict[str, object]:
    base: dict[str, object] = {
        "port": 8443,
        "certificate": "tls/server.pem",
        "key": "tls/server.key",
        "client_ca": "tls/ca.pem",
        "tenants": {"1": {"tenant": "ARCH", "clients": ["tls/ged.pem"]}},
    }
    return {**base, **changed}


def test_a_tenants_listed_certificates_are_known_by_their_fingerprint(
    home: Path, tls_pki: TlsPki
) -> None:
    access = vitam_access(home, table())
    assert access is not None and access.port == 8443
    expected = fingerprint(tls_pki.client.certificate.read_text())
    assert access.tenants[1].tenant == "ARCH"
    assert access.tenants[1].clients == frozenset({expected})
    assert vitam_access(home, {}) is None  # no [vitam]: no listener


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"port": "8443"}, "port"),
        ({"certificate": "tls/absent.pem"}, "certificate"),
        ({"tenants": {}}, "[vitam.tenants.N]"),
        ({"tenants": {"un": {"tenant": "ARCH"}}}, "vitam.tenants.un"),
        ({"tenants": {"1": {"clients": []}}}, "tenant"),
        ({"tenants": {"1": {"tenant": "ARCH", "clients": ["tls/server.key"]}}}, "server.key"),
    ],
)
def test_every_mistake_names_its_option(home: Path, changed: dict[str, object], named: str) -> None:
    with pytest.raises(SaeMisconfigured) as refused:
        vitam_access(home, table(**changed))
    assert named in str(refused.value)


def test_a_misspelt_key_of_the_vitam_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sae.toml"
    path.write_text('[vitam]\nport = 8443\n\n[vitam.tenants.1]\ntenant = "A"\nclient = []\n')
    with pytest.raises(UnknownConfigKey) as refused:
        read_config(path)
    assert "vitam.tenants.1.client" in str(refused.value)
