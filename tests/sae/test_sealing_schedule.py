"""The serving repository seals its log periodically, not only at acceptances."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from kernel.signing import generate_self_signed
from sae.api.app import create_app
from sae.bootstrap import Repository, build_config
from sae.config import load_settings, write_default_config
from sae.journal.verification import verify_with_checkpoints

DEADLINE_S = 20.0


def checkpoints(repository: Repository) -> int:
    with repository.db.reading("ARCH") as uow:
        return len(uow.checkpoints.recorded())


def test_a_serving_repository_seals_its_log_every_interval(tmp_path: Path) -> None:
    home = tmp_path / "sae"
    config_file = write_default_config(home, "ARCH")
    config_file.write_text(
        "seal_interval_s = 0.05\n" + config_file.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (home / "signing").mkdir()
    key_pem, certificate_pem = generate_self_signed("sae", "ARCH", 30)
    (home / "signing" / "key.pem").write_bytes(key_pem)
    (home / "signing" / "certificate.pem").write_bytes(certificate_pem)
    config = build_config(load_settings(home))
    assert config.sealing is not None and config.seal_interval_s == 0.05
    with TestClient(create_app(config)) as client:
        repository: Repository = client.app.state.repository  # type: ignore[attr-defined]
        deadline = time.monotonic() + DEADLINE_S
        while checkpoints(repository) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpoints(repository) >= 1
        offers = repository.storage.offers("ARCH")
        report = verify_with_checkpoints(repository.db, "ARCH", offers, config.sealing.anchors())
        assert report.ok, report.to_dict()
    time.sleep(0.2)  # one more tick: the stopped thread has had time to end
    assert not [t for t in threading.enumerate() if t.name == "sae-sealing"]
