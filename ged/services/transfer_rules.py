"""The rules a dossier's unit carries in the bordereau (SEDA 2.x ``Management``), as the GED
computes them (``GET /dossiers/{id}/lifecycle``: ``ged.services.lifecycle``), and their
identifiers in the repository's referential.

Each category bound to the dossier gives its block: ``AppraisalRule`` (Rule, StartDate,
FinalAction), ``AccessRule`` (Rule, StartDate), and ``StorageRule``, ``DisseminationRule``,
``ReuseRule`` where bound; a hold not yet ended gives ``HoldRule`` (SEDA 2.2 and later: refused
for 2.1, naming the dossier). Start dates are those the lifecycle shows: the date of the rule's
start event for this dossier (left out while unknown). A rule with an alternative (« 75 ans, ou
25 ans à compter du décès si ce délai est plus bref ») carries the start of its main period: the
repository counts its own rule's duration from it.

Inheritance: the GED resolves rules per dossier (a dossier override, else the nearest plan node,
else the most conservative of its document types), so the dossier's unit is the highest unit
they apply to; its documents inherit them and carry no Management.

The sort final « tri » (``Sort``) has no SEDA code: the unit carries the archivist's decision
(``Keep`` or ``Destroy``, recorded by ``lifecycle.sort_dossier``); an undecided one stops the
transfer. A ``ClassificationRule`` needs a level and an owner the GED does not hold: refused.

Identifiers: without a ``rules`` table in the agreement, our codes are sent as they are (the
repository shares our referential, as our own repository does when it imports the same
tableau); with one, every rule a transfer carries must be in it, and one that is not stops the
transfer before anything is written, naming it. SEDA 1.0 has no referential but code lists
(``rules_v1``): the access rule is written as its AR code, the appraisal rule under our code
with its duration, each with the start date 1.0 requires.
"""

from __future__ import annotations

from datetime import date

from ged.domain.lifecycle import EffectiveRule, Hold, LifecycleState, start_date
from ged.domain.retention import FinalAction, RetentionRule
from ged.services import rules_v1
from ged.services.lifecycle import Evaluated
from ged.services.transfer_rule_map import RuleMap, RuleProblems
from kernel.retention import RuleCategory
from seda import model as m
from seda.versions import AnyVersion, Seda1Version, SedaVersion


def dossier_management(
    ev: Evaluated,
    day: date,
    version: AnyVersion,
    rules: RuleMap,
    problems: RuleProblems,
) -> m.Management:
    """The Management of a dossier's unit on ``day``: each effective rule, then the holds not
    lifted nor ended (``ev.holds`` are those active on ``day``; a hold to come counts too)."""
    holds = ev.unlifted
    blocks: dict[str, object] = {}
    for category, effective in sorted(ev.effective.items()):
        if isinstance(version, Seda1Version):
            block = _seda1_block(category, effective.rule, ev, rules, problems)
        else:
            block = _block(category, effective, ev, rules, problems)
        if block is not None:
            blocks[_FIELDS[category]] = block
    if isinstance(version, Seda1Version) and RuleCategory.ACCESS not in ev.effective:
        message = (
            f"dossier {ev.facts.dossier_id} sans règle de communicabilité : SEDA 1.0 en exige "
            "une pour chaque archive ; liez-en une au dossier ou à son plan de classement"
        )
        problems.add("seda1_access_rule_missing", message, ev.facts.dossier_id)
    ongoing = [h for h in holds if h.ends_on is None or h.ends_on > day]
    if ongoing:
        blocks["hold"] = _hold(ev, ongoing, version, rules, problems)
    return m.Management(**blocks)  # type: ignore[arg-type]


def _seda1_block(
    category: RuleCategory,
    rule: RetentionRule,
    ev: Evaluated,
    rules: RuleMap,
    problems: RuleProblems,
) -> m.RuleCategory | None:
    """SEDA 1.0: the access rule as its AR code, the appraisal rule under our code (its
    duration is translated by the writer), both with the start date 1.0 requires."""
    if category is RuleCategory.ACCESS:
        return rules_v1.access_rule(rule, ev, rules.table, problems)
    if category is not RuleCategory.APPRAISAL:
        message = (
            f"dossier {ev.facts.dossier_id} : la règle {rule.identifier} "
            f"({category.label_fr.lower()}) n'a pas d'équivalent en SEDA 1.0, qui ne porte que "
            "la DUA et la communicabilité"
        )
        problems.add("seda1_rule_unsupported", message, rule.identifier)
        return None
    start = rules_v1.appraisal_start(rule, ev, problems)
    action = _appraisal_action_or_problem(rule, ev, problems)
    return m.AppraisalRule((m.Rule(rule.identifier, start),), final_action=action.value)


_FIELDS = {
    RuleCategory.APPRAISAL: "appraisal",
    RuleCategory.ACCESS: "access",
    RuleCategory.STORAGE: "storage",
    RuleCategory.DISSEMINATION: "dissemination",
    RuleCategory.REUSE: "reuse",
    RuleCategory.CLASSIFICATION: "classification",
}


def _block(
    category: RuleCategory,
    effective: EffectiveRule,
    ev: Evaluated,
    rules: RuleMap,
    problems: RuleProblems,
) -> m.RuleCategory | None:
    rule = effective.rule
    rule_id = _mapped(rule.identifier, rules, problems)
    items = (m.Rule(rule_id or rule.identifier, start_date(rule.start_event, ev.facts)),)
    if category is RuleCategory.APPRAISAL:
        action = _appraisal_action_or_problem(rule, ev, problems)
        return m.AppraisalRule(items, final_action=action.value)
    if category is RuleCategory.STORAGE:
        return _storage(rule, items, ev, problems)
    if category is RuleCategory.CLASSIFICATION:
        message = (
            f"dossier {ev.facts.dossier_id} : la règle de classification {rule.identifier} "
            "n'a ni niveau ni propriétaire de classification dans la GED"
        )
        problems.add("classification_unsupported", message, rule.identifier)
        return None
    plain = {
        RuleCategory.ACCESS: m.AccessRule,
        RuleCategory.DISSEMINATION: m.DisseminationRule,
        RuleCategory.REUSE: m.ReuseRule,
    }
    return plain[category](items)


def appraisal_action(rule: RetentionRule, state: LifecycleState | None) -> FinalAction | None:
    """Keep or Destroy: the rule's, or for « tri » the archivist's decision on this rule."""
    if rule.final_action is not FinalAction.SORT:
        return rule.final_action
    if state is None or state.rule_id != rule.identifier or state.sort_decision is None:
        return None
    return state.resolved_action


def _appraisal_action_or_problem(
    rule: RetentionRule, ev: Evaluated, problems: RuleProblems
) -> FinalAction:
    """The unit's final action; an undecided « tri » is a problem (Keep stands in meanwhile)."""
    action = appraisal_action(rule, ev.previous)
    if action is None:
        message = (
            f"dossier {ev.facts.dossier_id} : sort final « tri » de la règle {rule.identifier} "
            "que l'archiviste n'a pas encore décidé (conservation ou destruction)"
        )
        problems.add("sort_undecided", message, ev.facts.dossier_id)
    return action or FinalAction.KEEP


def _storage(
    rule: RetentionRule, items: tuple[m.Rule, ...], ev: Evaluated, problems: RuleProblems
) -> m.StorageRule | None:
    action = rule.final_action
    if action is None or action.category is not RuleCategory.STORAGE:
        message = (
            f"dossier {ev.facts.dossier_id} : la règle de durée d'utilité courante "
            f"{rule.identifier} n'a pas de sort final (RestrictAccess, Transfer ou Copy), "
            "que le bordereau exige"
        )
        problems.add("storage_final_action_missing", message, rule.identifier)
        return None
    return m.StorageRule(items, final_action=action.value)


def _hold(
    ev: Evaluated,
    holds: list[Hold] | tuple[Hold, ...],
    version: AnyVersion,
    rules: RuleMap,
    problems: RuleProblems,
) -> m.HoldRule | None:
    dossier = ev.facts.dossier_id
    if version not in (SedaVersion.V2_2, SedaVersion.V2_3):
        message = (
            f"dossier {dossier} gelé : le gel (HoldRule) n'existe qu'à partir du SEDA 2.2 ; "
            f"un bordereau SEDA {version.value} le perdrait"
        )
        problems.add("hold_needs_seda_2_2", message, dossier)
        return None
    items = []
    for hold in holds:
        if hold.rule_id is None:
            message = (
                f"dossier {dossier} : gel « {hold.reason} » posé sans règle de gel ; le "
                "bordereau ne porte que les règles du référentiel (HoldRule/Rule)"
            )
            problems.add("hold_without_rule", message, hold.id)
            continue
        rule_id = _mapped(hold.rule_id, rules, problems) or hold.rule_id
        items.append(_hold_item(rule_id, hold))
    return m.HoldRule(tuple(items)) if items else None


def _hold_item(rule_id: str, hold: Hold) -> m.HoldRuleItem:
    return m.HoldRuleItem(
        rule_id, start_date=hold.starts_on, hold_end_date=hold.ends_on, hold_reason=hold.reason
    )


def _mapped(rule_id: str, rules: RuleMap, problems: RuleProblems) -> str | None:
    found = rules.identifier(rule_id)
    if found is None:
        message = (
            f"règle {rule_id} absente de la table rules de l'accord : le service d'archives "
            "ne la connaîtrait pas"
        )
        problems.add("rule_unmapped", message, rule_id)
    return found
