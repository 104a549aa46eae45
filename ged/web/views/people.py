"""The people of the organisation and their roles: the list, a new account (a login, an
e-mail address that also links a first single sign-on, an optional password), a person's page
with each role and who granted it when (``role_grants``), a role granted or taken back, the
account disabled. The rules are the services' (``accounts``, ``roles``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.model import Role
from ged.services import accounts, administration
from ged.services.admin import PrincipalExists
from ged.services.roles import grant_role, revoke_role
from ged.web.forms import field_errors
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.accounts.model import LoginExists
from kernel.errors import ConflictError, InvalidError

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Text = Annotated[str, Form(max_length=1024)]
Choices = Annotated[list[str] | None, Form()]
RoleChoices = Annotated[list[Role] | None, Form()]  # an unknown code: the 422 page
PEOPLE = "/administration/comptes"
ACCOUNT_FIELDS = {"login", "email", "roles", "services", "password", "password_again"}
PERSON_ROLES = [r for r in Role if r is not Role.APPLICATION]


@router.get(PEOPLE)
async def people(request: Request, ctx: Ctx, user: User) -> Response:
    return await people_page(request, ctx, user)


async def people_page(
    request: Request,
    ctx: Ctx,
    user: User,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    entered: dict[str, object] | None = None,
) -> Response:
    found = await run_in_threadpool(administration.people, ctx, user)
    services = await run_in_threadpool(administration.services_of, ctx, user)
    return render(
        request,
        "comptes.html",
        status=status,
        title="Comptes et rôles",
        people=found,
        services=services,
        roles=PERSON_ROLES,
        errors=errors or {},
        entered=entered or {"roles": [], "services": []},
    )


@router.post(PEOPLE)
async def create(
    request: Request,
    ctx: Ctx,
    user: User,
    login: Text = "",
    email: Text = "",
    password: Text = "",
    password_again: Text = "",
    roles: RoleChoices = None,
    services: Choices = None,
) -> Response:
    roles, services = roles or [], services or []
    entered: dict[str, object] = {"login": login, "email": email, "roles": roles}
    entered["services"] = services
    if password != password_again:
        errors = {"password_again": ["Les deux mots de passe diffèrent"]}
        return await people_page(request, ctx, user, status=422, errors=errors, entered=entered)
    person = accounts.NewPerson(
        login=login.strip(),
        roles=frozenset(roles),
        service_ids=frozenset(services),
        email=email.strip() or None,
        password=password or None,
    )
    try:
        await run_in_threadpool(accounts.create_person, ctx, user, person)
    except (InvalidError, LoginExists, PrincipalExists) as exc:
        errors = _account_errors(exc)
        return await people_page(
            request, ctx, user, status=exc.status, errors=errors, entered=entered
        )
    how = "avec un mot de passe" if password else "pour la connexion unique"
    done = f"Compte « {person.login} » créé {how}."
    return await redirect_with(request, f"{PEOPLE}/{person.login}", done)


def _account_errors(exc: InvalidError | ConflictError) -> dict[str, list[str]]:
    if isinstance(exc, InvalidError):
        return field_errors(exc, ACCOUNT_FIELDS)
    return {"login": [exc.detail]}


@router.get(PEOPLE + "/{login}")
async def person(request: Request, login: str, ctx: Ctx, user: User) -> Response:
    return await person_page(request, ctx, user, login)


async def person_page(
    request: Request, ctx: Ctx, user: User, login: str, *, status: int = 200, refused: str = ""
) -> Response:
    found = await run_in_threadpool(administration.person, ctx, user, login)
    held = {g.role for g in found.grants}
    return render(
        request,
        "compte.html",
        status=status,
        title=f"Compte {found.account.login}",
        person=found,
        grantable=[r for r in PERSON_ROLES if r not in held],
        me=user.id,
        refused=refused,
    )


@router.post(PEOPLE + "/{login}/roles")
async def grant(
    request: Request, login: str, role: Annotated[Role, Form()], ctx: Ctx, user: User
) -> Response:
    try:
        await run_in_threadpool(grant_role, ctx, user, login, role)
    except (InvalidError, ConflictError) as exc:
        return await person_page(request, ctx, user, login, status=exc.status, refused=exc.detail)
    return await redirect_with(request, f"{PEOPLE}/{login}", "Rôle accordé.")


@router.post(PEOPLE + "/{login}/roles/{role}/retirer")
async def revoke(request: Request, login: str, role: Role, ctx: Ctx, user: User) -> Response:
    try:
        await run_in_threadpool(revoke_role, ctx, user, login, role)
    except ConflictError as exc:
        return await person_page(request, ctx, user, login, status=exc.status, refused=exc.detail)
    return await redirect_with(request, f"{PEOPLE}/{login}", "Rôle retiré.")


@router.post(PEOPLE + "/{login}/desactiver")
async def disable(request: Request, login: str, ctx: Ctx, user: User) -> Response:
    try:
        await run_in_threadpool(accounts.disable_account, ctx, user, login)
    except ConflictError as exc:
        return await person_page(request, ctx, user, login, status=exc.status, refused=exc.detail)
    done = "Compte désactivé : ses sessions sont fermées et ses jetons refusés."
    return await redirect_with(request, f"{PEOPLE}/{login}", done)
