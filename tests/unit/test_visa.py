"""Who may give the visa of an elimination (R212-14): a person, not the author, whose archivist
role the author did not grant and which existed before the proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ged.domain.access import Principal, RoleGrant
from ged.domain.model import PrincipalKind, Role
from ged.domain.visa import (
    ApprovalByApplication,
    ApprovalByAuthor,
    ApprovalRefused,
    ApproverAppointedByAuthor,
    ApproverNotArchivist,
    ApproverRoleTooRecent,
    approval_refusal,
)

PROPOSED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BEFORE = PROPOSED_AT - timedelta(days=30)


def person(pid: str, *roles: Role, kind: PrincipalKind = PrincipalKind.USER) -> Principal:
    return Principal(pid, pid, "org", frozenset(roles), frozenset(), kind=kind)


def grant(pid: str, by: str = "admin-2", at: datetime = BEFORE) -> RoleGrant:
    return RoleGrant(pid, Role.ARCHIVIST, by, at)


def refusal(approver: Principal, given: RoleGrant | None) -> type[ApprovalRefused] | None:
    found = approval_refusal("author", PROPOSED_AT, approver, given)
    return None if found is None else type(found)


def test_an_archivist_appointed_before_the_proposal_by_someone_else_may_approve() -> None:
    assert refusal(person("alice", Role.ARCHIVIST), grant("alice")) is None


def test_the_author_may_not_approve_their_own_proposal() -> None:
    assert refusal(person("author", Role.ARCHIVIST), grant("author")) is ApprovalByAuthor


def test_an_archivist_appointed_by_the_author_may_not_approve() -> None:
    given = grant("bob", by="author")
    assert refusal(person("bob", Role.ARCHIVIST), given) is ApproverAppointedByAuthor


@pytest.mark.parametrize("at", [PROPOSED_AT, PROPOSED_AT + timedelta(seconds=1)])
def test_an_archivist_appointed_at_or_after_the_proposal_may_not_approve(at: datetime) -> None:
    given = grant("carol", at=at)
    assert refusal(person("carol", Role.ARCHIVIST), given) is ApproverRoleTooRecent


def test_an_application_client_may_not_approve_even_with_the_archivist_role() -> None:
    robot = person("robot", Role.ARCHIVIST, kind=PrincipalKind.APPLICATION)
    assert refusal(robot, grant("robot")) is ApprovalByApplication


def test_someone_without_the_archivist_role_may_not_approve() -> None:
    assert refusal(person("dan", Role.ADMIN, Role.RECORDS_OFFICER), None) is ApproverNotArchivist
