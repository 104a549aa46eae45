"""Retention rules (règles de gestion) of the GED, at their versions.

A rule is one row of an organisation's referential: the SEDA 2.x management-rule model
(``seda-2.x-management.xsd``: the seven categories and their durations, ``kernel.retention``;
``FinalActionAppraisalCodeType`` Keep/Destroy and ``FinalActionStorageCodeType``
RestrictAccess/Transfer/Copy) as Vitam's rules referential carries it, plus what a French tableau
de gestion adds: the start event (point de départ), the sort final "tri" and the legal reference.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass

from kernel.errors import InvalidError
from kernel.retention import Duration, RuleCategory, fold


class InvalidRule(InvalidError):
    """A rule whose fields contradict each other (e.g. a storage action on an appraisal rule)."""


class StartEventKind(enum.StrEnum):
    DOSSIER_CLOSING = "dossier_closing"
    LAST_DOCUMENT = "last_document"
    BUSINESS_EVENT = "business_event"


@dataclass(frozen=True)
class StartEvent:
    """What a duration counts from: the dossier's closing, its latest document, or a named
    business event whose date is given later (e.g. 'date de naissance de l'agent')."""

    kind: StartEventKind
    name: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is StartEventKind.BUSINESS_EVENT) != bool(self.name):
            raise InvalidRule("Seul un événement métier porte un nom, et il en faut un")

    @classmethod
    def dossier_closing(cls) -> StartEvent:
        return cls(StartEventKind.DOSSIER_CLOSING)

    @classmethod
    def last_document(cls) -> StartEvent:
        return cls(StartEventKind.LAST_DOCUMENT)

    @classmethod
    def business_event(cls, name: str) -> StartEvent:
        return cls(StartEventKind.BUSINESS_EVENT, " ".join(name.split()))

    @classmethod
    def parse(cls, text: str) -> StartEvent:
        """French wording of a tableau de gestion; anything unrecognised is a business event."""
        folded = re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()
        folded = re.sub(
            r"^(a compter (de la |du |de l )?|a partir (de la |du |de l )?)", "", folded
        )
        if folded in _CLOSING_WORDS:
            return cls.dossier_closing()
        if folded in _LAST_DOCUMENT_WORDS:
            return cls.last_document()
        return cls.business_event(text)

    def to_french(self) -> str:
        if self.kind is StartEventKind.DOSSIER_CLOSING:
            return "clôture du dossier"
        if self.kind is StartEventKind.LAST_DOCUMENT:
            return "date du document le plus récent"
        return self.name or ""


_CLOSING_WORDS = {
    "cloture",
    "cloture du dossier",
    "date de cloture",
    "date de cloture du dossier",
    "cloture dossier",
    "closing",
}
_LAST_DOCUMENT_WORDS = {
    "date du document",
    "date du document le plus recent",
    "document le plus recent",
    "date du dernier document",
    "dernier document",
    "derniere piece",
    "date de la derniere piece",
    "last document",
}


class FinalAction(enum.StrEnum):
    """SEDA final actions, plus ``Sort`` (tri): an archivist decides item by item.

    SEDA 2.x has no code for tri: before a SEDA message is built each item must be resolved to
    Keep or Destroy.
    """

    KEEP = "Keep"
    DESTROY = "Destroy"
    SORT = "Sort"
    RESTRICT_ACCESS = "RestrictAccess"
    TRANSFER = "Transfer"
    COPY = "Copy"

    @property
    def category(self) -> RuleCategory:
        if self in (FinalAction.KEEP, FinalAction.DESTROY, FinalAction.SORT):
            return RuleCategory.APPRAISAL
        return RuleCategory.STORAGE

    @property
    def french_code(self) -> str | None:
        """The letter of a tableau de gestion (C, D, T); None for storage actions."""
        return {FinalAction.KEEP: "C", FinalAction.DESTROY: "D", FinalAction.SORT: "T"}.get(self)

    @classmethod
    def parse(cls, text: str) -> FinalAction | None:
        """SEDA code, or French letter/word (C, D, T, conservation, destruction, tri…)."""
        value = text.strip()
        for action in cls:
            if value.casefold() == action.value.casefold():
                return action
        return _FRENCH_ACTIONS.get(re.sub(r"[^a-z ]+", "", fold(value)).strip())


_FRENCH_ACTIONS = {
    **dict.fromkeys(["c", "conservation", "conserver", "conservation integrale"], FinalAction.KEEP),
    **dict.fromkeys(
        ["d", "destruction", "detruire", "elimination", "eliminer"], FinalAction.DESTROY
    ),
    **dict.fromkeys(["t", "tri", "trier", "tri selectif", "echantillonnage"], FinalAction.SORT),
}


@dataclass(frozen=True)
class RuleAlternative:
    """A second way a rule ends, taken when it ends first: « 75 ans, ou 25 ans à compter du
    décès de l'intéressé si ce dernier délai est plus bref » (Code du patrimoine, art. L213-2,
    I, 4°). The rule then ends at the earlier of its two ends."""

    duration: Duration
    start_event: StartEvent


@dataclass(frozen=True)
class RetentionRule:
    """One rule of an organisation's referential, at one version.

    ``duration`` is None only for a HoldRule without a set length (held until lifted), as Vitam
    allows. ``start_event`` is None when the rule does not say (Vitam's referential never does:
    the start date comes with each archive unit). ``final_action`` belongs to appraisal and
    storage rules only.
    """

    identifier: str
    category: RuleCategory
    label: str
    duration: Duration | None
    start_event: StartEvent | None = None
    final_action: FinalAction | None = None
    legal_reference: str = ""
    notes: str = ""
    version: int = 1
    alternative: RuleAlternative | None = None

    def __post_init__(self) -> None:
        if not self.identifier.strip():
            raise InvalidRule("Une règle doit avoir un identifiant")
        if self.duration is None and self.category is not RuleCategory.HOLD:
            raise InvalidRule(f"La règle {self.identifier} doit avoir une durée")
        if self.final_action is not None and self.final_action.category is not self.category:
            raise InvalidRule(
                f"Le sort final {self.final_action} ne s'applique pas à une {self.category}"
            )
        if self.version < 1:
            raise InvalidRule("Une version de règle commence à 1")
        alternative = self.alternative
        if alternative is not None and (self.duration is None or alternative.duration.unlimited):
            raise InvalidRule(
                f"La règle {self.identifier} : une alternative suppose deux durées limitées"
            )


def revise(rule: RetentionRule, **changes: object) -> RetentionRule:
    """A new version of ``rule`` with ``changes``; the same rule when nothing actually changes
    (re-importing an unchanged table must not create versions). The identifier and the version
    number are not changeable here."""
    forbidden = {"identifier", "version"} & changes.keys()
    if forbidden:
        raise InvalidRule(f"Champ non modifiable par une révision : {', '.join(sorted(forbidden))}")
    revised = dataclasses.replace(rule, **changes)  # type: ignore[arg-type]
    if revised == rule:
        return rule
    return dataclasses.replace(revised, version=rule.version + 1)
