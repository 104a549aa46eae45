"""``/journal``: the archivist's view of the repository's integrity: the last seal, the last
audit of the copies, the latest operations, and « Vérifier maintenant », which verifies the
whole chain and every sealed checkpoint (``sae.journal.verification``, as ``gedsae-sae log
verify`` does) and shows the result on the page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from kernel.web.render import render
from kernel.web.security import csrf_protect
from sae.bootstrap import Repository as Opened
from sae.journal.overview import overview
from sae.journal.verification import CheckpointReport, verify_with_checkpoints
from sae.ports import Database
from sae.web.security import Archivist, Db, Repository

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/journal")
async def journal(request: Request, person: Archivist, db: Db) -> Response:
    return await _page(request, db, person.organisation, None)


@router.post("/journal/verifier")
async def verify_now(request: Request, person: Archivist, opened: Repository) -> Response:
    report = await run_in_threadpool(_verify, opened, person.organisation)
    return await _page(request, opened.db, person.organisation, report)


def _verify(opened: Opened, tenant: str) -> CheckpointReport:
    """The tenant's chain and checkpoints, as ``GET …/log/verify`` verifies them."""
    sealing = opened.config.sealing
    return verify_with_checkpoints(
        opened.db,
        tenant,
        opened.storage.offers(tenant),
        sealing.anchors() if sealing else (),
        intermediates=sealing.intermediates if sealing else (),
        tsa_anchors=sealing.tsa_anchors if sealing else (),
    )


async def _page(
    request: Request, db: Database, organisation: str, report: CheckpointReport | None
) -> Response:
    seen = await run_in_threadpool(overview, db, organisation)
    return render(request, "journal.html", title="Journal et audits", seen=seen, report=report)
