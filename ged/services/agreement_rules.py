"""An agreement's ``rules`` table checked against the organisation's referential, before any
transfer (``gedsae connectors check``): the same refusals a transfer would meet, found first.

SEDA 2.x with a table: each rule in use (bound to the plan, a document type or a dossier, or
holding a dossier) must have the repository's identifier, and every code of the table must be
a rule of ours (a misspelt code would never apply). SEDA 1.0: each access rule in use must get
a code AR038–AR062 (the table's, or the one its period designates) and each appraisal rule a
duration (``ged.services.rules_v1``).
"""

from __future__ import annotations

from ged.domain.access import Principal
from ged.services import rules_v1
from ged.services.agreements import Agreement
from ged.services.context import Context
from ged.services.transfer_rule_map import RuleProblems
from kernel.errors import Issue
from kernel.retention import RuleCategory
from seda.versions import Seda1Version


def rule_table_issues(ctx: Context, actor: Principal, agreement: Agreement) -> list[Issue]:
    """What a transfer under ``agreement`` would refuse in the rules of its organisation."""
    with ctx.uow() as uow:
        in_use = uow.lifecycle.rules_in_use(actor.organisation_id)
        current = uow.lifecycle.current_rules(actor.organisation_id)
    problems = RuleProblems([])
    if isinstance(agreement.seda_version, Seda1Version):
        used = [current[r] for r in sorted(in_use) if r in current]
        for rule in used:
            if rule.category is RuleCategory.ACCESS:
                rules_v1.check_access(rule, agreement.rules, problems)
        rules_v1.durations(used, problems)
        return problems.issues
    table = agreement.rules
    if table is None:
        return []
    for rule_id in sorted(in_use - table.keys()):
        message = (
            f"règle {rule_id} (en usage) absente de la table rules : un versement qui la porte "
            "serait refusé"
        )
        problems.add("rule_unmapped", message, rule_id)
    for rule_id in sorted(table.keys() - current.keys()):
        message = f"la table rules nomme {rule_id}, qui n'est pas une règle en vigueur de la GED"
        problems.add("rule_unknown", message, rule_id)
    return problems.issues
