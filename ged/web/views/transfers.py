"""Transfers (versements) in the records officer's screens: the organisation's transfers with
their states in French, preparing one under an agreement (chosen dossiers, or every due dossier
that may leave — those that stay are named with their reason, as ``transfers send --due``
does), one transfer's page (dossiers, last error, the repository's reasons of a rejection, its
exchanges, the raw reply to download), sending or polling again now, and recording by hand a
reply received outside any connector (archivists only, as the API).

Preparing, sending and judging replies are the services' (``ged.services.transfer_runner``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.presentation import labels
from ged.services import lifecycle, transfer_loop, transfer_runner
from ged.services.context import Context
from ged.services.transfer_by_hand import MAX_REPLY_BYTES
from ged.services.transfer_setup import TransferSetup, configured
from ged.services.transfer_view import transfer_choice, transfer_page
from ged.web.forms import bounded_form
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_in_stream, csrf_protect
from kernel.errors import InvalidError, Issue
from kernel.paging import Page

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
SHOWN = 200
DOWNLOAD = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


def _setup(request: Request) -> TransferSetup | None:
    setup: TransferSetup | None = request.app.state.transfers
    return setup


@router.get("/versements")
async def transfers(request: Request, ctx: Ctx, user: User) -> Response:
    page = Page(SHOWN, max_limit=transfer_loop.MAX_TRANSFERS_PAGE)
    found = await run_in_threadpool(transfer_loop.list_transfers, ctx, user, None, page)
    return render(
        request,
        "versements.html",
        title="Versements",
        transfers=found,
        configured=_setup(request) is not None,
    )


@router.get("/versements/nouveau")
async def new_transfer(request: Request, ctx: Ctx, user: User, accord: str = "") -> Response:
    return await _form(request, ctx, user, accord)


async def _form(
    request: Request,
    ctx: Context,
    user: Principal,
    agreement: str,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    setup = configured(_setup(request))
    choice = await run_in_threadpool(transfer_choice, setup, ctx, user, agreement)
    return render(
        request,
        "versement_nouveau.html",
        status=422 if errors else 200,
        title="Préparer un versement",
        choice=choice,
        agreements=[
            (a.name, f"{a.name} — service d'archives {a.archival_agency}")
            for a in choice.agreements
        ],
        errors=errors or {},
    )


@router.post("/versements")
async def start(
    request: Request,
    ctx: Ctx,
    user: User,
    accord: str = Form(""),
    dossiers: Annotated[list[str] | None, Form()] = None,
    tous: str = Form(""),
) -> Response:
    setup = configured(_setup(request))
    try:
        if tous:
            due = await run_in_threadpool(transfer_runner.start_due, setup, ctx, user, accord)
            record, left = due.record, due.left
        else:
            chosen = dossiers or _nothing_chosen()
            record = await run_in_threadpool(
                transfer_runner.start, setup, ctx, user, accord, chosen
            )
            left = []
    except InvalidError as exc:
        return await _form(request, ctx, user, accord, _by_field(exc))
    state = labels.label(labels.TRANSFER_STATES, record.state.value)
    messages = [f"Versement de {labels.count(len(record.dossiers), 'dossier')} : {state}."]
    messages += [f"Reste ici : « {x.title} », {x.reason}." for x in left]
    return await redirect_with(request, f"/versements/{record.message_identifier}", *messages)


def _nothing_chosen() -> list[str]:
    message = "Cochez au moins un dossier, ou versez tous les dossiers échus qui peuvent partir"
    raise InvalidError(message, issues=[Issue("no_dossier", message, path="dossiers")])


def _by_field(exc: InvalidError) -> dict[str, list[str]]:
    """Every issue of a refused transfer, under the dossiers (one per dossier that stays)."""
    return {"dossiers": [i.message for i in exc.issues] or [exc.detail]}


@router.get("/versements/{message_identifier}")
async def transfer(request: Request, message_identifier: str, ctx: Ctx, user: User) -> Response:
    return await _page(request, ctx, user, message_identifier)


async def _page(
    request: Request,
    ctx: Context,
    user: Principal,
    message_identifier: str,
    errors: list[str] | None = None,
) -> Response:
    page = await run_in_threadpool(transfer_page, ctx, user, message_identifier)
    state = page.record.state
    return render(
        request,
        "versement.html",
        status=422 if errors else 200,
        title=f"Versement {message_identifier}",
        page=page,
        can_retry=_setup(request) is not None
        and (state in transfer_loop.TO_SEND or state in transfer_loop.AWAITING_REPLY),
        awaiting=state in transfer_loop.AWAITING_REPLY,
        archivist=user.has(Role.ARCHIVIST),
        errors=errors or [],
    )


@router.post("/versements/{message_identifier}/relance")
async def retry(request: Request, message_identifier: str, ctx: Ctx, user: User) -> Response:
    """Sends a transfer not yet sent, or asks the repository for its reply, now."""
    user.ensure_role(*lifecycle.RUNNERS)
    setup = configured(_setup(request))
    record = await run_in_threadpool(transfer_loop.get_transfer, ctx, user, message_identifier)
    done = await run_in_threadpool(transfer_runner.step, setup, ctx, user, record)
    state = labels.label(labels.TRANSFER_STATES, done.state.value)
    return await redirect_with(request, f"/versements/{message_identifier}", f"État : {state}.")


@router.get("/versements/{message_identifier}/reponse")
async def reply(message_identifier: str, ctx: Ctx, user: User) -> Response:
    """The repository's ArchiveTransferReply, byte for byte, as a download (never shown)."""
    data = await run_in_threadpool(transfer_loop.transfer_reply, ctx, user, message_identifier)
    name = f"reponse-{message_identifier}.xml"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **DOWNLOAD}
    return Response(data, media_type="application/xml", headers=headers)


@router.post("/versements/{message_identifier}/reponse")
@csrf_in_stream
async def record_reply(request: Request, message_identifier: str, ctx: Ctx, user: User) -> Response:
    """An archivist records a reply received outside any connector (paper, mail): its XML is
    checked as a polled reply is; a refused one is said beside the file field."""
    user.ensure_role(Role.ARCHIVIST)
    form = await bounded_form(request, MAX_REPLY_BYTES)
    sent = form.files.get("fichier")
    if sent is None:
        return await _page(request, ctx, user, message_identifier, ["Choisissez un fichier."])
    setup = _setup(request)
    try:
        done = await run_in_threadpool(
            transfer_runner.record_reply, setup, ctx, user, message_identifier, sent.data
        )
    except InvalidError as exc:
        problems = [i.message for i in exc.issues] or [exc.detail]
        return await _page(request, ctx, user, message_identifier, problems)
    state = labels.label(labels.TRANSFER_STATES, done.state.value)
    return await redirect_with(
        request, f"/versements/{message_identifier}", f"Réponse enregistrée. État : {state}."
    )
