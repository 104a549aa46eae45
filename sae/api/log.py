"""``/log/verify``: an archivist verifies the operation log against its sealed checkpoints
(``scan=true`` also looks for checkpoints on the offers that the index lost)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sae.api.deps import API, Archivist, Db, Repository
from sae.journal.verification import verify_with_checkpoints

router = APIRouter(prefix=f"{API}/log")


@router.get("/verify")
def verify(who: Archivist, config: Repository, db: Db, scan: bool = False) -> dict[str, Any]:
    sealing = config.sealing
    report = verify_with_checkpoints(
        db,
        config.offers,
        sealing.anchors() if sealing else (),
        intermediates=sealing.intermediates if sealing else (),
        tsa_anchors=sealing.tsa_anchors if sealing else (),
        scan_offers=scan,
    )
    return report.to_dict()
