"""Transfers against a real ``gedsae serve`` process: only a reply the product verified makes a
dossier permanent or lets its content go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.fixtures.due_dossiers import file_due, lifecycle_phase
from tests.fixtures.processes import Service, gedsae_cli, new_port


@dataclass
class Instance:
    service: Service
    env: dict[str, str]
    home: Path
    admin: str  # the token `gedsae init` printed

    def client(self, token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.service.base_url, headers=headers, timeout=60)

    def token(self, name: str, *roles: str) -> str:
        options = [arg for role in roles for arg in ("--role", role)]
        return gedsae_cli(self.env, "tokens", "create", name, *options).strip()


def serve(tmp_path: Path, services: list[Service], config: str = "") -> Instance:
    """A fresh instance (scheduler off: the tests drive each step), started."""
    home, port = tmp_path / "ged", new_port()
    env = {"GEDSAE_HOME": str(home), "GEDSAE_EXTRACTION_WORKERS": "1"}
    admin = gedsae_cli(env, "init").strip().splitlines()[-1]
    (home / "config.toml").write_text(
        f"transfer_poll_interval_s = 0\nport = {port}\n\n{config}", encoding="utf-8"
    )
    service = Service("ged", ("serve",), env, port, "/healthz", tmp_path / "ged.log")
    services.append(service)
    service.start()
    return Instance(service, env, home, admin)


def test_hand_driven_routes_neither_make_a_dossier_permanent_nor_purge_its_content(
    tmp_path: Path, services: list[Service]
) -> None:
    ged = serve(tmp_path, services)
    service_id = gedsae_cli(ged.env, "services", "create", "Finances", "FR_DF").strip()
    officer = ged.token("greffier", "records_officer")
    with ged.client(officer) as client:
        (filed,) = file_due(client, service_id, ["Tables décennales 2001-2010"])
        dossier = f"/api/v1/dossiers/{filed.dossier}"
        started = client.post(f"{dossier}/transfer", json={"reference": "SIP-fictif"})
        replied = client.post(
            f"{dossier}/transfer-reply", json={"accepted": True, "verified": True}
        )
        purged = client.post(f"{dossier}/purge")
        assert (started.status_code, replied.status_code) == (404, 404)
        assert purged.status_code == 409 and purged.json()["code"] == "wrong_phase"
        assert lifecycle_phase(client, filed.dossier) == "due"
        content = client.get(f"/api/v1/documents/{filed.document}/content")
        assert content.status_code == 200 and content.content == filed.content
