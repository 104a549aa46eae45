"""Runs a creating request at most once per ``Idempotency-Key``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.services import idempotency
from ged.services.context import Context


async def fingerprint(request: Request, body_marker: str | None = None) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body_marker.encode() if body_marker is not None else await request.body())
    return digest.hexdigest()


async def run_once(
    request: Request,
    ctx: Context,
    caller: Principal,
    create: Callable[[], BaseModel],
    *,
    status_code: int = 201,
    body_marker: str | None = None,
) -> Response:
    key = request.headers.get("idempotency-key")
    if key is None:
        model = await run_in_threadpool(create)
        return Response(
            model.model_dump_json(), status_code=status_code, media_type="application/json"
        )
    marker = await fingerprint(request, body_marker)
    replay = await run_in_threadpool(idempotency.begin, ctx, caller.id, key, marker)
    if replay is not None:
        headers = {"Idempotent-Replayed": "true"}
        return Response(
            replay.body,
            status_code=replay.status_code,
            media_type="application/json",
            headers=headers,
        )
    try:
        model = await run_in_threadpool(create)
    except BaseException:
        await run_in_threadpool(idempotency.release, ctx, caller.id, key)
        raise
    body = model.model_dump_json()
    await run_in_threadpool(idempotency.complete, ctx, caller.id, key, status_code, body)
    return Response(body, status_code=status_code, media_type="application/json")
