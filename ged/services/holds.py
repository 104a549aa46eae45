"""Legal holds (gels): placing, lifting, listing. Every change is logged.

A hold is manual (a reason, an author, an optional end date) or comes from a HoldRule of the
referential, whose duration sets the end and whose version is recorded. Placing a hold first
records the dossier's phase as of that day, then freezes it: the engine will not move it, and
no transfer, elimination or purge happens while the hold is active.

Race with an elimination: both take the dossier's row lock before reading (``lock_dossier``).
A hold committed first is seen by the elimination, which skips the dossier; a hold arriving
after the dossier was eliminated is refused (``dossier_eliminated``), never silently accepted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ged.domain.access import Principal
from ged.domain.lifecycle import Hold, Phase, hold_end, require_reason
from ged.services.context import Context, new_id
from ged.services.filing import load_dossier
from ged.services.lifecycle import RUNNERS, lock_for_action, refresh
from ged.services.rules import MANAGERS, RuleNotFound
from kernel.errors import ConflictError, NotFoundError


class DossierEliminated(ConflictError):
    code = "dossier_eliminated"
    title = "Le dossier a été éliminé"


class HoldAlreadyLifted(ConflictError):
    code = "hold_already_lifted"
    title = "Le gel a déjà été levé"


def place_hold(
    ctx: Context,
    actor: Principal,
    dossier_id: str,
    reason: str,
    *,
    ends_on: date | None = None,
    rule_id: str | None = None,
) -> Hold:
    actor.ensure_role(*MANAGERS)
    require_reason(reason, "Gel")
    now = ctx.clock()
    with ctx.uow() as uow:
        dossier = lock_for_action(uow, actor, dossier_id)
        rule = uow.lifecycle.get_rule(actor.organisation_id, rule_id) if rule_id else None
        if rule_id and rule is None:
            raise RuleNotFound(f"Règle « {rule_id} » introuvable")
        end = hold_end(rule, now.date(), ends_on)
        state, _ = refresh(uow, actor, dossier, now.date())
        if state.phase is Phase.ELIMINATED:
            raise DossierEliminated(f"Le dossier {dossier.id} a déjà été éliminé")
        hold = Hold(
            id=new_id(),
            organisation_id=dossier.organisation_id,
            dossier_id=dossier.id,
            reason=reason.strip(),
            placed_by=actor.id,
            placed_at=now,
            starts_on=now.date(),
            ends_on=end,
            rule_id=rule.identifier if rule else None,
            rule_version=rule.version if rule else None,
        )
        uow.lifecycle.add_hold(hold)
        details = {
            "dossier_id": dossier.id,
            "reason": hold.reason,
            "ends_on": end.isoformat() if end else None,
            "rule_id": hold.rule_id,
            "rule_version": hold.rule_version,
            "phase": state.phase.value,
        }
        uow.log(actor.id, "hold.place", "hold", hold.id, hold.organisation_id, details)
        uow.commit()
    return hold


def lift_hold(ctx: Context, actor: Principal, hold_id: str, reason: str) -> Hold:
    actor.ensure_role(*MANAGERS)
    require_reason(reason, "Levée de gel")
    now = ctx.clock()
    with ctx.uow() as uow:
        hold = uow.lifecycle.get_hold(actor.organisation_id, hold_id)
        if hold is None:
            raise NotFoundError("Gel introuvable")
        if not uow.lifecycle.lift_hold(hold.id, now, actor.id, reason.strip()):
            raise HoldAlreadyLifted(f"Le gel {hold.id} a déjà été levé")
        details = {"dossier_id": hold.dossier_id, "reason": reason.strip()}
        uow.log(actor.id, "hold.lift", "hold", hold.id, hold.organisation_id, details)
        uow.commit()
    return replace(hold, lifted_at=now, lifted_by=actor.id, lift_reason=reason.strip())


def list_holds(
    ctx: Context, actor: Principal, dossier_id: str | None = None, include_lifted: bool = False
) -> list[Hold]:
    """Holds of the organisation, or of one dossier (readable by whoever may read it)."""
    with ctx.uow() as uow:
        if dossier_id is None:
            actor.ensure_role(*RUNNERS)
        else:
            load_dossier(uow, actor, dossier_id)
        return uow.lifecycle.list_holds(actor.organisation_id, dossier_id, include_lifted)
