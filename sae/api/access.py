"""Derogations to the communicability delays, given and withdrawn by archivists
(``/archives/{archive_id}/derogations``, ``/derogations``), and the access register as CSV
(``/access-register.csv``, days ``from`` to ``to`` included)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from kernel.openapi_problems import files
from kernel.paging import Page
from sae.access.derogations import (
    DerogationAsked,
    grant_derogation,
    list_derogations,
    revoke_derogation,
)
from sae.access.register import register_csv
from sae.api.deps import API, Archivist, Db, Opened
from sae.model import Derogation

router = APIRouter(prefix=API)


class DerogationBody(BaseModel):
    """Every field is checked by the use case, which lists every problem at once (an archive
    of another tenant is not found before anything else is said of it)."""

    requester: str | None = None
    reason: str | None = None
    until: date | None = None


@router.post("/archives/{archive_id}/derogations", status_code=201)
def grant(
    archive_id: str, body: DerogationBody, who: Archivist, opened: Opened, db: Db
) -> dict[str, Any]:
    asked = DerogationAsked(archive_id, body.requester, body.reason, body.until)
    found = grant_derogation(db, who.organisation, who.name, asked, opened.config.clock())
    return derogation_to_dict(found)


@router.get("/derogations")
def listing(
    who: Archivist,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    found = list_derogations(db, who.organisation, Page(limit, offset))
    return {"items": [derogation_to_dict(d) for d in found]}


@router.post("/derogations/{derogation_id}/revoke")
def revoke(derogation_id: str, who: Archivist, opened: Opened, db: Db) -> dict[str, Any]:
    found = revoke_derogation(db, who.organisation, who.name, derogation_id, opened.config.clock())
    return derogation_to_dict(found)


@router.get("/access-register.csv", response_class=StreamingResponse, responses=files("text/csv"))
def register(
    who: Archivist,
    db: Db,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> StreamingResponse:
    return StreamingResponse(
        register_csv(db, who.organisation, date_from, date_to),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="registre-des-acces.csv"'},
    )


def derogation_to_dict(derogation: Derogation) -> dict[str, Any]:
    revoked = derogation.revoked_at
    return {
        "derogation_id": derogation.id,
        "archive_id": derogation.archive_id,
        "requester": derogation.requester,
        "reason": derogation.reason,
        "until": derogation.until.isoformat(),
        "granted_by": derogation.granted_by,
        "granted_at": derogation.granted_at.isoformat(),
        "revoked_at": None if revoked is None else revoked.isoformat(),
    }
