"""People's accounts over the API (administrators): create, set a password, disable, list,
grant a role and take it back (each grant recorded with who gave it and when).

The same use cases as ``gedsae users``. A password travels only in a request body (TLS), is
hashed (argon2id) and never returned.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ged.api.deps import Caller, Ctx
from ged.domain.model import Role
from ged.services import accounts, roles

router = APIRouter(tags=["administration"])


class UserIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    service_ids: list[str] = Field(default_factory=list)
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(
        default=None, max_length=1024, description="Absent : connexion unique seulement"
    )
    organisation_id: str | None = None


class RoleIn(BaseModel):
    role: Role


class GrantOut(BaseModel):
    login: str
    role: Role
    granted_by: str
    granted_at: datetime


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class UserOut(BaseModel):
    principal_id: str
    login: str
    organisation_id: str
    roles: list[Role]
    service_ids: list[str]
    email: str | None
    has_password: bool
    disabled: bool

    @classmethod
    def of(cls, person: accounts.Person) -> UserOut:
        p, a = person.principal, person.account
        return cls(
            principal_id=p.id,
            login=a.login,
            organisation_id=p.organisation_id,
            roles=sorted(p.roles),
            service_ids=sorted(p.service_ids),
            email=a.email,
            has_password=a.password_hash is not None,
            disabled=a.disabled_at is not None,
        )


@router.post("/users", status_code=201, response_model=UserOut)
async def create_user(body: UserIn, ctx: Ctx, caller: Caller) -> UserOut:
    person = accounts.NewPerson(
        login=body.login,
        roles=frozenset(body.roles),
        service_ids=frozenset(body.service_ids),
        email=body.email,
        password=body.password,
    )
    created = await run_in_threadpool(
        accounts.create_person, ctx, caller, person, body.organisation_id
    )
    return UserOut.of(created)


@router.get("/users", response_model=list[UserOut])
async def list_users(ctx: Ctx, caller: Caller) -> list[UserOut]:
    return [UserOut.of(p) for p in await run_in_threadpool(accounts.list_people, ctx, caller)]


@router.put("/users/{login}/password", status_code=204)
async def set_password(login: str, body: PasswordIn, ctx: Ctx, caller: Caller) -> Response:
    await run_in_threadpool(accounts.set_password, ctx, caller, login, body.password)
    return Response(status_code=204)


@router.post("/users/{login}/disable", status_code=204)
async def disable(login: str, ctx: Ctx, caller: Caller) -> Response:
    """Sessions revoked and tokens refused from the next request on; logged."""
    await run_in_threadpool(accounts.disable_account, ctx, caller, login)
    return Response(status_code=204)


@router.post("/users/{login}/roles", status_code=201, response_model=GrantOut)
async def grant_role(login: str, body: RoleIn, ctx: Ctx, caller: Caller) -> GrantOut:
    """Logged; the grant (who, when) counts for the visa of an elimination."""
    grant = await run_in_threadpool(roles.grant_role, ctx, caller, login, body.role)
    return GrantOut(
        login=login, role=grant.role, granted_by=grant.granted_by, granted_at=grant.granted_at
    )


@router.delete("/users/{login}/roles/{role}", status_code=204)
async def revoke_role(login: str, role: Role, ctx: Ctx, caller: Caller) -> Response:
    """Logged; a later grant of the same role is a new one (new author, new date)."""
    await run_in_threadpool(roles.revoke_role, ctx, caller, login, role)
    return Response(status_code=204)
