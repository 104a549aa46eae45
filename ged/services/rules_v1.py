"""Our rules in SEDA 1.0 terms (``seda.v1.translation.RuleTranslation``): SEDA 1.0 has no rules
referential but two code lists, so an access rule becomes a code AR038–AR062 and an appraisal
rule its duration.

The access code is the one the agreement's ``rules`` table gives the rule, else the one its
period designates in the 1.0 list (``seda.v1.codes.access_code``): its delay in whole years, the
event it counts from (the date of the document, the death or the birth of the person concerned:
the dossier events « date du décès » and « date de naissance »), and, among codes of the same
delay, the article of the Code du patrimoine its legal reference names. A period with the « 25
ans à compter du décès si ce délai est plus bref » alternative is the code of that alternative,
as the list words it (AR044–AR047: « 25 ans à compter du décès si ce délai est plus court que 75
ans »). A rule no code fits, or several with nothing to choose, stops the transfer naming it and
the candidates; the table then says which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ged.domain.communicability import BIRTH_EVENT, DEATH_EVENT
from ged.domain.lifecycle import event_key
from ged.domain.retention import RetentionRule, StartEvent, StartEventKind
from ged.services.transfer_rules import RuleProblems
from kernel.retention import Duration, RuleCategory
from seda.v1.codes import ACCESS_RESTRICTIONS, UnknownAccessCode, access_code
from seda.v1.codes import StartEvent as Start
from seda.v1.translation import RuleTranslation

_STARTS = {event_key(DEATH_EVENT): Start.DEATH, event_key(BIRTH_EVENT): Start.BIRTH}


def translation(
    rules: Iterable[RetentionRule], table: Mapping[str, str] | None, problems: RuleProblems
) -> RuleTranslation:
    """The 1.0 codes and durations of ``rules`` (the effective ones of the dossiers sent)."""
    access: dict[str, str] = {}
    appraisal: dict[str, str] = {}
    for rule in rules:
        if rule.category is RuleCategory.ACCESS:
            code = _access_code(rule, table, problems)
            if code is not None:
                access[rule.identifier] = code
        elif rule.category is RuleCategory.APPRAISAL:
            duration = _duration(rule, problems)
            if duration is not None:
                appraisal[rule.identifier] = duration
    return RuleTranslation(access=access, appraisal=appraisal)


def _access_code(
    rule: RetentionRule, table: Mapping[str, str] | None, problems: RuleProblems
) -> str | None:
    given = (table or {}).get(rule.identifier)
    if given is not None:
        if given not in ACCESS_RESTRICTIONS:
            message = f"règle {rule.identifier} : {given} n'est pas un code AR038 à AR062"
            problems.add("access_code_unknown", message, rule.identifier)
            return None
        return given
    duration, start = _period(rule)
    if duration.months or duration.days:
        message = (
            f"règle {rule.identifier} : délai de {duration.to_french()} ; les codes SEDA 1.0 "
            "comptent en années entières : donnez son code dans la table rules de l'accord"
        )
        problems.add("access_code_unknown", message, rule.identifier)
        return None
    years = None if duration.unlimited else duration.years
    try:
        return access_code(years, start, rule.legal_reference)
    except UnknownAccessCode as exc:
        message = (
            f"règle {rule.identifier} : {exc} ; donnez son code dans la table rules de l'accord"
        )
        problems.add("access_code_unknown", message, rule.identifier)
        return None


def _period(rule: RetentionRule) -> tuple[Duration, Start]:
    """The delay and start of the period the 1.0 list names (the alternative's, when any)."""
    duration, event = rule.duration or Duration(), rule.start_event
    if rule.alternative is not None:
        duration, event = rule.alternative.duration, rule.alternative.start_event
    return duration, _start(event)


def _start(event: StartEvent | None) -> Start:
    if event is None or event.kind is not StartEventKind.BUSINESS_EVENT:
        return Start.DOCUMENT
    return _STARTS.get(event_key(event.name or ""), Start.DOCUMENT)


def _duration(rule: RetentionRule, problems: RuleProblems) -> str | None:
    iso = rule.duration.to_iso() if rule.duration else None
    if iso is None:
        message = (
            f"règle {rule.identifier} : durée {rule.duration.to_french() if rule.duration else ''} "
            "sans équivalent SEDA 1.0 (une durée limitée est exigée)"
        )
        problems.add("duration_not_representable", message, rule.identifier)
    return iso
