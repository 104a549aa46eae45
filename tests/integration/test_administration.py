"""What the administrator reads, on both databases: each person with their roles, who granted
each one and when, their services and their single sign-on link; the organisation's
application clients apart from its people; nothing of another organisation."""

from __future__ import annotations

from ged.domain.model import PrincipalKind, Role
from ged.services import accounts, administration, applications
from ged.services.login import people
from kernel.accounts import login
from kernel.accounts.model import SessionPolicy
from kernel.accounts.oidc import OidcIdentity
from tests.fixtures.ged import Ged

SESSION_POLICY = SessionPolicy()


def person(ged: Ged, name: str, *roles: Role) -> None:
    new = accounts.NewPerson(name, frozenset(roles), frozenset({ged.service.id}), f"{name}@a.fr")
    accounts.create_person(ged.ctx, ged.admin, new)


def test_each_person_is_read_with_who_granted_each_role_and_their_sso_link(ged: Ged) -> None:
    person(ged, "marie", Role.AGENT, Role.ARCHIVIST)
    person(ged, "paul", Role.RECORDS_OFFICER)
    identity = OidcIdentity("https://idp.example", "sub-1", "marie@a.fr", True, "marie")
    login.login_with_oidc(people(ged.ctx), SESSION_POLICY, identity, "10.0.0.1")
    other_admin, _, _ = ged.other_organisation()
    accounts.create_person(ged.ctx, other_admin, accounts.NewPerson("zoe", frozenset({Role.AGENT})))
    found = {p.account.login: p for p in administration.people(ged.ctx, ged.admin)}
    assert sorted(found) == ["marie", "paul"]
    marie = found["marie"]
    assert [g.role for g in marie.grants] == [Role.AGENT, Role.ARCHIVIST]
    assert {g.granted_by for g in marie.grants} == {ged.admin.name}
    assert {g.granted_at for g in marie.grants} == {ged.clock()}
    assert [s.id for s in marie.services] == [ged.service.id]
    assert marie.sso_linked and not found["paul"].sso_linked


def test_application_clients_are_listed_apart_from_people(ged: Ged) -> None:
    person(ged, "marie", Role.AGENT)
    applications.create_application(ged.ctx, ged.admin, "parapheur", [ged.service.id])
    ged.other_organisation()
    clients = applications.applications(ged.ctx, ged.admin)
    assert [c.name for c in clients] == ["parapheur"]
    assert all(c.kind is PrincipalKind.APPLICATION for c in clients)
