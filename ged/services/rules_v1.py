"""Our rules in SEDA 1.0 terms: SEDA 1.0 has no rules referential but two code lists, so a
dossier's access rule becomes a code AR038–AR062 with its start date, and an appraisal rule its
duration (``seda.v1.translation.RuleTranslation``).

The access code is the one the agreement's ``rules`` table gives the rule, else the one its
period designates in the 1.0 list (``seda.v1.codes.access_code``): its delay in whole years, the
event it counts from (the date of the document, the death or the birth of the person concerned:
the dossier events « date du décès » and « date de naissance »), and, among codes of the same
delay, the article of the Code du patrimoine its legal reference names. A period with the « 25
ans à compter du décès si ce délai est plus bref » alternative is, once the death is known, the
code of that alternative as the list words it (AR044–AR047: « 25 ans à compter du décès si ce
délai est plus court que 75 ans ») counted from the death; before, its main period's code.
1.0 requires a start date: a rule counting from an event the dossier has not recorded stops the
transfer, naming it (the writer would otherwise count from the closing). A rule no code fits, or
several with nothing to choose, stops the transfer naming it and the candidates; the table then
says which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from ged.domain.communicability import BIRTH_EVENT, DEATH_EVENT
from ged.domain.lifecycle import event_key, start_date
from ged.domain.retention import RetentionRule, StartEvent, StartEventKind
from ged.services.lifecycle import Evaluated
from ged.services.transfer_rule_map import RuleProblems
from kernel.retention import Duration, RuleCategory
from seda import model as m
from seda.v1.codes import ACCESS_RESTRICTIONS, UnknownAccessCode, access_code
from seda.v1.codes import StartEvent as Start
from seda.v1.translation import RuleTranslation

_STARTS = {event_key(DEATH_EVENT): Start.DEATH, event_key(BIRTH_EVENT): Start.BIRTH}
Table = Mapping[str, str] | None


def access_rule(
    rule: RetentionRule, ev: Evaluated, table: Table, problems: RuleProblems
) -> m.AccessRule | None:
    """The dossier's AccessRestrictionRule: its AR code (written as the rule: a code of the list
    needs no translation) and the date its period counts from."""
    duration, event = rule.duration or Duration(), rule.start_event
    alternative = rule.alternative
    if alternative is not None and start_date(alternative.start_event, ev.facts) is not None:
        duration, event = alternative.duration, alternative.start_event
    code = _code(rule, duration, event, table, problems)
    start = _start_date(rule, event, ev, problems)
    if code is None or start is None:
        return None
    return m.AccessRule((m.Rule(code, start),))


def appraisal_start(rule: RetentionRule, ev: Evaluated, problems: RuleProblems) -> date | None:
    return _start_date(rule, rule.start_event, ev, problems)


def _start_date(
    rule: RetentionRule, event: StartEvent | None, ev: Evaluated, problems: RuleProblems
) -> date | None:
    found = start_date(event, ev.facts)
    if found is None:
        what = event.to_french() if event else "la clôture du dossier"
        message = (
            f"dossier {ev.facts.dossier_id} : la règle {rule.identifier} compte à partir de "
            f"« {what} », date inconnue ; SEDA 1.0 exige une date de départ : enregistrez-la"
        )
        problems.add("start_date_unknown", message, f"{ev.facts.dossier_id}/{rule.identifier}")
    return found


def check_access(rule: RetentionRule, table: Table, problems: RuleProblems) -> None:
    """Whether every period of ``rule`` has its code (``connectors check``)."""
    _code(rule, rule.duration or Duration(), rule.start_event, table, problems)
    if rule.alternative is not None and (table or {}).get(rule.identifier) is None:
        alt = rule.alternative
        _code(rule, alt.duration, alt.start_event, table, problems)


def _code(
    rule: RetentionRule,
    duration: Duration,
    event: StartEvent | None,
    table: Table,
    problems: RuleProblems,
) -> str | None:
    given = (table or {}).get(rule.identifier)
    if given is not None:
        if given not in ACCESS_RESTRICTIONS:
            message = f"règle {rule.identifier} : {given} n'est pas un code AR038 à AR062"
            problems.add("access_code_unknown", message, rule.identifier)
            return None
        return given
    if duration.months or duration.days:
        message = (
            f"règle {rule.identifier} : délai de {duration.to_french()} ; les codes SEDA 1.0 "
            "comptent en années entières : donnez son code dans la table rules de l'accord"
        )
        problems.add("access_code_unknown", message, rule.identifier)
        return None
    years = None if duration.unlimited else duration.years
    try:
        return access_code(years, _start(event), rule.legal_reference)
    except UnknownAccessCode as exc:
        message = (
            f"règle {rule.identifier} : {exc} ; donnez son code dans la table rules de l'accord"
        )
        problems.add("access_code_unknown", message, rule.identifier)
        return None


def _start(event: StartEvent | None) -> Start:
    if event is None or event.kind is not StartEventKind.BUSINESS_EVENT:
        return Start.DOCUMENT
    return _STARTS.get(event_key(event.name or ""), Start.DOCUMENT)


def durations(rules: Iterable[RetentionRule], problems: RuleProblems) -> RuleTranslation:
    """The 1.0 duration of each appraisal rule of ``rules`` (the dossiers' effective ones)."""
    appraisal: dict[str, str] = {}
    for rule in rules:
        if rule.category is RuleCategory.APPRAISAL:
            iso = rule.duration.to_iso() if rule.duration else None
            if iso is None:
                message = (
                    f"règle {rule.identifier} : durée illimitée sans équivalent SEDA 1.0 (une "
                    "durée limitée est exigée)"
                )
                problems.add("duration_not_representable", message, rule.identifier)
            else:
                appraisal[rule.identifier] = iso
    return RuleTranslation(appraisal=appraisal)
