"""``/``: the first page of the menu the person's role opens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from kernel.errors import ForbiddenError
from kernel.web.security import csrf_protect
from sae.web.security import Someone
from sae.web.setup import navigation

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/")
async def home(request: Request, person: Someone) -> Response:
    menu = navigation(person, request.url.path)
    if not menu:
        raise ForbiddenError("Aucune page du dépôt n'est ouverte à votre rôle")
    return RedirectResponse(menu[0].href, status_code=303)
