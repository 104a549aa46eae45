"""Our Vitam connector pointed at our repository's Vitam-compatible ingest, over mutual TLS,
two real processes on loopback: the GED sends a transfer as to Vitam (client certificate,
X-Tenant-Id, X-Context-Id), an archivist accepts it on the repository's own API, and the GED's
scheduler follows the operation (HEAD) and collects the reply. Then what Vitam refuses is
refused the same way: an unknown tenant or a certificate the tenant does not list (401), a
missing tenant (412), another context (503 with a KO reply), a certificate from another
authority (no handshake), and the main listener, which has no client certificate (401)."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from connectors.base import CredentialsRefused, Misconfiguration, NotReady
from connectors.config import ConnectorSettings
from connectors.vitam import VitamConnector, from_settings
from tests.e2e.test_two_processes import Pair as TwoProcesses
from tests.e2e.test_two_processes import (
    decide,
    file_due_dossiers,
    final_state,
    setup_pair,
    wait_for,
)
from tests.fixtures.due_dossiers import lifecycle_phase
from tests.fixtures.processes import Service, new_port, sae_cli
from tests.fixtures.tls import TlsPki
from tests.sae.test_ingest import build_sip


def vitam_section(sae_home: Path, pki: TlsPki, port: int) -> str:
    tls = sae_home / "tls"
    tls.mkdir(parents=True)
    for source, name in (
        (pki.server.certificate, "server.pem"),
        (pki.server.key, "server.key"),
        (pki.ca, "clients-ca.pem"),
        (pki.client.certificate, "ged.pem"),
    ):
        shutil.copy(source, tls / name)
    return (
        f'\n[vitam]\nport = {port}\ncertificate = "tls/server.pem"\nkey = "tls/server.key"\n'
        'client_ca = "tls/clients-ca.pem"\n\n'
        '[vitam.tenants.1]\ntenant = "ARCH"\nclients = ["tls/ged.pem"]\n\n'
        '[vitam.tenants.2]\ntenant = "OTHER"\nclients = []\n'
    )


def setup_vitam_pair(
    tmp_path: Path, services: list[Service], pki: TlsPki
) -> tuple[TwoProcesses, int]:
    vitam_port = new_port()

    def vitam(_: Path, __: int) -> str:
        return (
            f'kind = "vitam"\nbase_url = "https://127.0.0.1:{vitam_port}"\ntenant = 1\n'
            f'client_certificate = "{pki.client.certificate}"\n'
            f'client_key = "{pki.client.key}"\nca_bundle = "{pki.ca}"\npoll_interval = 1\n'
        )

    sae_extra = vitam_section(tmp_path / "sae", pki, vitam_port)
    pair = setup_pair(tmp_path, services, connector=vitam, signed=False, sae_extra=sae_extra)
    sae_cli(pair.sae_env, "tenants", "create", "OTHER", "--name", "Autre service d'archives")
    return pair, vitam_port


@pytest.fixture(scope="module")
def vitam_pair(
    tmp_path_factory: pytest.TempPathFactory, tls_pki: TlsPki
) -> Iterator[tuple[TwoProcesses, int, Path]]:
    """One GED and one repository for the module: starting them is most of each test's time."""
    tmp_path, started = tmp_path_factory.mktemp("vitam"), list[Service]()
    try:
        pair, port = setup_vitam_pair(tmp_path, started, tls_pki)
        yield pair, port, tmp_path
    finally:
        for service in started:
            service.stop()


@pytest.mark.slow
def test_the_geds_vitam_connector_transfers_to_our_repository(
    vitam_pair: tuple[TwoProcesses, int, Path],
) -> None:
    pair, _, _ = vitam_pair
    (dossier,) = file_due_dossiers(pair, ["Permis de construire 1998"])
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with ged, sae:
        started = ged.post(
            "/api/v1/transfers", json={"agreement": "ad35", "dossier_ids": [dossier]}
        )
        assert started.status_code == 201, started.text
        assert started.json()["state"] == "sent", started.json()
        mid = started.json()["message_identifier"]
        decision = decide(sae, mid, "accept", "Conforme au bordereau")
        accepted = wait_for(final_state(ged, mid), "réponse de l'entrée Vitam collectée")
        assert accepted["state"] == "accepted", accepted
        expected = sorted(a["archive_identifier"] for a in decision["archive_identifiers"])
        assert sorted(accepted["outcome"]["archive_identifiers"]) == expected
        assert lifecycle_phase(ged, dossier) == "permanent"


def connector(
    pki: TlsPki, port: int, tenant: int, *, client: Path | None = None, context: str | None = None
) -> VitamConnector:
    """Our Vitam connector as ``from_settings`` builds it (``client``: another certificate
    stem beside the PKI's files, e.g. the foreign authority's)."""
    certificate = pki.client if client is None else pki.foreign_client
    table = {
        "kind": "vitam",
        "base_url": f"https://127.0.0.1:{port}",
        "tenant": tenant,
        "client_certificate": str(certificate.certificate),
        "client_key": str(certificate.key),
        "ca_bundle": str(pki.ca),
        "poll_interval": 0.5,
        **({"context_id": context} if context else {}),
    }
    return from_settings(ConnectorSettings.from_table("vitam", table), [])


@pytest.mark.slow
def test_what_vitam_refuses_is_refused_the_same_way(
    vitam_pair: tuple[TwoProcesses, int, Path], tls_pki: TlsPki
) -> None:
    pair, port, tmp_path = vitam_pair
    sip = build_sip(tmp_path, "TR-VITAM-1")
    sent = {"transferring_agency": "SERVICE-A", "manifest_digest": None}
    with closing(connector(tls_pki, port, 1)) as ours:
        submission = ours.submit(sip, message_identifier="TR-VITAM-1", **sent)  # type: ignore[arg-type]
        assert isinstance(ours.poll(submission), NotReady)  # HEAD answers 202 until decided
        assert ours.check().ok
    with closing(connector(tls_pki, port, 2)) as other, pytest.raises(CredentialsRefused):
        other.submit(sip, message_identifier="TR-VITAM-2", **sent)  # type: ignore[arg-type]
    with closing(connector(tls_pki, port, 99)) as unknown, pytest.raises(CredentialsRefused):
        unknown.poll(submission)
    dry = connector(tls_pki, port, 1, context="BLANK_TEST")
    with closing(dry), pytest.raises(Misconfiguration):  # a context with no workflow here
        dry.submit(sip, message_identifier="TR-VITAM-3", **sent)  # type: ignore[arg-type]
    foreign = connector(tls_pki, port, 1, client=tls_pki.foreign_client.certificate)
    with closing(foreign):
        report = foreign.check()  # another authority's certificate: no handshake
        # in TLS 1.3 the server refuses the certificate after the client's last flight: the
        # client sees the connection closed rather than a handshake alert
        assert not report.ok and report.code in ("tls_refused", "remote_unavailable"), report
    context = ssl.create_default_context(cafile=str(tls_pki.ca))
    context.load_cert_chain(tls_pki.client.certificate, tls_pki.client.key)
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context) as raw:
        missing = raw.head(f"/admin-external/v1/operations/{submission.remote_reference}")
        assert missing.status_code == 412
    # the main listener serves no Vitam route: no client certificate there
    main = httpx.post(
        f"{pair.sae.base_url}/ingest-external/v1/ingests",
        headers={"X-Tenant-Id": "1", "Content-Type": "application/octet-stream"},
        content=b"PK",
    )
    assert main.status_code == 401
