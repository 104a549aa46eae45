"""Who may give the visa of an elimination (Code du patrimoine R212-14: no destruction of public
records without a control distinct from the one who proposes it).

Two persons, really two: the visa comes from a user (never an application client) holding the
archivist role, other than the proposal's author, whose archivist role was neither granted by the
author nor granted after the proposal was made. Otherwise one administrator could propose,
create an archivist and approve with that new token. Each refusal has its own stable code, so
the operation log and the client both say why.
"""

from __future__ import annotations

from datetime import datetime

from ged.domain.access import Principal, RoleGrant
from ged.domain.model import PrincipalKind, Role
from kernel.errors import ForbiddenError


class ApprovalRefused(ForbiddenError):
    """Base of the refusals of a visa."""

    code = "approval_refused"
    title = "Visa refusé"


class ApproverNotArchivist(ApprovalRefused):
    code = "approver_not_archivist"
    title = "Seul un archiviste peut viser une élimination"


class ApprovalByApplication(ApprovalRefused):
    code = "approval_by_application"
    title = "Le visa doit être donné par une personne, jamais par un client applicatif"


class ApprovalByAuthor(ApprovalRefused):
    """R212-14 of the Code du patrimoine: the visa comes from someone other than the author."""

    code = "approval_by_author"
    title = "Le visa doit être donné par un autre archiviste que l'auteur"


class ApproverAppointedByAuthor(ApprovalRefused):
    code = "approver_appointed_by_author"
    title = "Le rôle d'archiviste du viseur a été accordé par l'auteur de la proposition"


class ApproverRoleTooRecent(ApprovalRefused):
    code = "approver_role_too_recent"
    title = "Le rôle d'archiviste du viseur est postérieur à la proposition"


def approval_refusal(
    author_id: str, proposed_at: datetime, approver: Principal, grant: RoleGrant | None
) -> ApprovalRefused | None:
    """The reason ``approver`` may not approve a proposal made by ``author_id`` at
    ``proposed_at``, given the grant of their archivist role; None when they may."""
    if not approver.has(Role.ARCHIVIST) or grant is None:
        return ApproverNotArchivist("Seul un archiviste peut viser une élimination")
    if approver.kind is not PrincipalKind.USER:
        return ApprovalByApplication("Un client applicatif ne peut pas viser une élimination")
    if approver.id == author_id:
        return ApprovalByAuthor("L'auteur d'une proposition d'élimination ne peut pas la viser")
    if grant.granted_by == author_id:
        return ApproverAppointedByAuthor(
            "Le rôle d'archiviste du viseur lui a été accordé par l'auteur de la proposition"
        )
    if grant.granted_at >= proposed_at:
        return ApproverRoleTooRecent(
            "Le rôle d'archiviste du viseur lui a été accordé après la proposition"
        )
    return None
