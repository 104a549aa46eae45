"""Dependencies: the wired context and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.services.admin import authenticate
from ged.services.context import Context
from kernel.errors import AuthenticationError


def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


async def principal(request: Request, ctx: Annotated[Context, Depends(context)]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("En-tête Authorization: Bearer <jeton> requis")
    return await run_in_threadpool(authenticate, ctx, token.strip())


Ctx = Annotated[Context, Depends(context)]
Caller = Annotated[Principal, Depends(principal)]
