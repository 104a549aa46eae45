"""Communicability periods as records officers write them (Code du patrimoine, art. L213-1 and
L213-2), read into a duration and the event it counts from.

The law states its periods from different start points: communicable at once (L213-1); 25 years
from the date of the document, or from the death of the person concerned (medical secrecy);
50 years; 75 years, or 25 years from the death if that ends first; 100 years; 120 years from the
birth. Tableaux de gestion write them in words, and each wording is read here:

* « communicable immédiatement », « immédiat », « libre » → no delay;
* « incommunicable », « non communicable » (L213-2, II) → never;
* « 50 ans », « délai de 50 ans », « 25 ans à compter de la date du document » → from the date
  of the most recent document of the dossier (L213-2: « à compter de la date du document ou du
  document le plus récent inclus dans le dossier »);
* « 25 ans après le décès », « 25 ans à compter du décès de l'intéressé » → from the dossier's
  event « date du décès »; « 120 ans à compter de la naissance » → « date de naissance »;
* « 75 ans à compter de la clôture du dossier » → from the closing; « à compter de » any other
  event → that business event of the dossier (« 50 ans à compter de la fin de l'exercice »);
* « 75 ans ou 25 ans à compter du décès si ce délai est plus bref » → 75 years from the
  document, or 25 from the death when that ends first (L213-2, I, 4°).

Only what cannot be read one way is refused: no duration (« quelques années »), two durations
without the event of the second (« 25 ou 50 ans »), a condition other than « plus bref »
(« selon le cas »). The refusal names the wording and lists the accepted ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ged.domain.retention import RuleAlternative, StartEvent, StartEventKind
from kernel.errors import InvalidError, Issue
from kernel.retention import Duration, InvalidDuration, fold

DEATH_EVENT = "date du décès"
BIRTH_EVENT = "date de naissance"
ACCEPTED_WORDINGS = (
    "communicable immédiatement",
    "50 ans",
    "délai de 50 ans",
    "25 ans à compter de la date du document",
    "25 ans après le décès",
    "120 ans à compter de la naissance",
    "75 ans à compter de la clôture du dossier",
    "75 ans ou 25 ans à compter du décès si ce délai est plus bref",
    "incommunicable",
)
_IMMEDIATE = {
    "0",
    "0 an",
    "0 ans",
    "immediat",
    "immediate",
    "immediatement",
    "libre",
    "communicable",
    "librement communicable",
    "immediatement communicable",
    "communicable immediatement",
    "communicable de plein droit",
    "sans delai",
    "aucun delai",
}
_NEVER = {"incommunicable", "non communicable", "jamais communicable", "communication interdite"}
_DURATION = re.compile(
    r"(?:d[ée]lai\s+(?:de\s+)?)?(?P<duration>\d+\s*[^\s\d]+(?:\s+(?:et\s+)?\d+\s*[^\s\d]+)*)"
    r"(?:\s+(?P<rest>.+))?",
    re.IGNORECASE,
)
_FROM = re.compile(
    r"(?:[àa]\s+compter|[àa]\s+partir|apr[èe]s|suivant|depuis)\s+(?P<event>.+)", re.IGNORECASE
)
_ARTICLE = re.compile(r"^(?:de\s+la|de\s+l['’]|du|des|de|d['’]|la|le|l['’])\s*", re.IGNORECASE)
_SHORTER = re.compile(r"\s+si\s+ce\s+(?:dernier\s+)?d[ée]lai\s+est\s+plus\s+(?:bref|court)$", re.I)
_PERSON = r"(?: de l interesse| de la personne concernee| de la personne| de l agent)?"
_DEATH = re.compile(rf"(?:date (?:du |de )?)?deces{_PERSON}")
_BIRTH = re.compile(rf"(?:date (?:de )?(?:la )?)?naissance{_PERSON}")


class AmbiguousAccessPeriod(InvalidError):
    code = "ambiguous_access"
    title = "Délai de communicabilité ambigu"


@dataclass(frozen=True)
class AccessPeriod:
    """A communicability period: its duration, the event it counts from, and the shorter
    alternative the law gives some periods."""

    duration: Duration
    start: StartEvent
    alternative: RuleAlternative | None = None


def parse_access_period(wording: str) -> AccessPeriod:
    """The period a tableau de gestion's wording states; ``AmbiguousAccessPeriod`` (or
    ``InvalidDuration`` for a duration that cannot be read) otherwise."""
    text = " ".join(wording.replace("(", " ").replace(")", " ").split()).rstrip(" .;,")
    plain = _plain(text)
    if plain in _IMMEDIATE or plain.startswith("communicable immediatement"):
        return AccessPeriod(Duration(), StartEvent.last_document())
    if plain in _NEVER:
        return AccessPeriod(Duration.unlimited_duration(), StartEvent.last_document())
    parts = re.split(r"\s+ou\s+", text, flags=re.IGNORECASE)
    if len(parts) > 2:
        raise _ambiguous(wording, "plus de deux délais")
    duration, start = _period(parts[0], wording, alternative=False, alone=len(parts) == 1)
    if len(parts) == 1:
        return AccessPeriod(duration, start)
    other, other_start = _period(_SHORTER.sub("", parts[1]), wording, alternative=True)
    if other_start == start:
        raise _ambiguous(wording, "les deux délais courent du même événement")
    return AccessPeriod(duration, start, RuleAlternative(other, other_start))


def _period(
    text: str, wording: str, *, alternative: bool, alone: bool = False
) -> tuple[Duration, StartEvent]:
    """One duration and its start; ``alone``: the wording has no second period (a missing
    duration is then unreadable, not ambiguous)."""
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        code = "bad_duration" if alone else "ambiguous_access"
        raise _ambiguous(wording, f"aucune durée lisible dans « {text} »", code)
    duration = Duration.parse(found["duration"], bare_number_unit="year")
    rest = found["rest"]
    if rest is None:
        if alternative:
            raise _ambiguous(wording, "le second délai ne dit pas à compter de quoi il court")
        return duration, StartEvent.last_document()
    start = _FROM.fullmatch(rest)
    if start is None:
        raise _ambiguous(wording, f"« {rest} » n'est pas un point de départ")
    if re.search(r"\b(?:si|selon|sauf)\b", _plain(start["event"])):
        raise _ambiguous(wording, f"condition « {start['event']} » sans délai à comparer")
    return duration, start_event(start["event"])


def start_event(text: str) -> StartEvent:
    """The event a wording names after « à compter de », « après »…: death and birth of the
    person concerned, the closing, the most recent document, or a business event."""
    event = _ARTICLE.sub("", text.strip())
    plain = _plain(event)
    if _DEATH.fullmatch(plain):
        return StartEvent.business_event(DEATH_EVENT)
    if _BIRTH.fullmatch(plain):
        return StartEvent.business_event(BIRTH_EVENT)
    return StartEvent.parse(event)


def access_wording(
    duration: Duration, start: StartEvent | None, alt: RuleAlternative | None
) -> str:
    """The French wording of a period, as ``parse_access_period`` reads it back."""
    if duration == Duration():
        return "immédiat"
    if duration.unlimited:
        return "incommunicable"
    text = _from(duration, start)
    if alt is not None:
        text += f" ou {_from(alt.duration, alt.start_event)} si ce délai est plus bref"
    return text


def _from(duration: Duration, start: StartEvent | None) -> str:
    words = duration.to_french()
    if start is None or start.kind is StartEventKind.LAST_DOCUMENT:
        return words
    name = start.to_french()
    article = "l'" if _plain(name)[:1] in tuple("aeiouh") else "la "
    return f"{words} à compter de {article}{name}"


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def _ambiguous(wording: str, why: str, code: str = "ambiguous_access") -> AmbiguousAccessPeriod:
    accepted = " ; ".join(f"« {w} »" for w in ACCEPTED_WORDINGS)
    message = (
        f"Délai de communicabilité ambigu « {wording} » ({why}) : formulations acceptées : "
        f"{accepted}"
    )
    return AmbiguousAccessPeriod(message, issues=[Issue(code, message)])


__all__ = [
    "ACCEPTED_WORDINGS",
    "BIRTH_EVENT",
    "DEATH_EVENT",
    "AccessPeriod",
    "AmbiguousAccessPeriod",
    "InvalidDuration",
    "access_wording",
    "parse_access_period",
    "start_event",
]
