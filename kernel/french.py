"""French for people, shared by both services' pages, command lines and slips: dates
(« 6 décembre 2026 », « 1er mars 2027 », « 6 décembre 2026 à 14 h 05 » in Paris time), sizes
(« 512 octets », « 1,5 Ko », « 12 Mo »), counts (« 0 dossier », « 3 dossiers ») and the French
word of a code in a table (« inconnu » rather than the code itself).

Month names are ours (no locale installed on the server, no ``setlocale`` side effect on other
threads). Sizes count in powers of 1024 with the French units (octets, Ko, Mo, Go, To) and a
decimal comma. Each service keeps its own vocabulary (the GED's ``ged.presentation.labels``, the
repository's ``sae.presentation``) on top of this.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

UNKNOWN = "inconnu"
PARIS = ZoneInfo("Europe/Paris")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def label(table: Mapping[str, str], code: object) -> str:
    """The French word for ``code`` in ``table``; « inconnu » rather than the code itself."""
    if code is None:
        return ""
    return table.get(str(code), UNKNOWN)


def day(value: date | datetime | None) -> str:
    """« 6 décembre 2026 » (« 1er » for the first of the month); a moment is shown in Paris."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    first = "1er" if value.day == 1 else str(value.day)
    return f"{first} {MONTHS[value.month - 1]} {value.year}"


def month(value: str) -> str:
    """« décembre 2026 » for the ``YYYY-MM`` of a forecast row."""
    year, number = value.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def moment(value: datetime | None) -> str:
    """« 6 décembre 2026 à 14 h 05 », in Paris time."""
    if value is None:
        return ""
    local = value.astimezone(PARIS)
    return f"{day(local.date())} à {local.hour} h {local.minute:02d}"


def size(octets: int | None) -> str:
    """« 512 octets », « 1,5 Ko », « 12 Mo », « 1,1 Go » (powers of 1024, decimal comma)."""
    if octets is None:
        return ""
    if octets < 1024:
        return f"{octets} octet" + ("s" if octets > 1 else "")
    value, units = float(octets) / 1024, ["Ko", "Mo", "Go", "To"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    unit = units[0]
    text = f"{value:.1f}".replace(".", ",") if value < 10 else f"{value:.0f}"
    return f"{text.removesuffix(',0')} {unit}"


def count(number: int, singular: str, plural: str | None = None, none: str = "") -> str:
    """« 1 dossier », « 3 dossiers », « 0 dossier » (French: zero takes the singular), or
    ``none`` for zero when given (« aucun document déposé »)."""
    if number == 0 and none:
        return none
    word = singular if number < 2 else (plural or singular + "s")
    return f"{number} {word}"


def code_of(table: Mapping[str, str], text: str) -> str | None:
    """The code ``text`` names in ``table``: the code itself or its French word, compared
    without case or accents (« intermediaire », « DUA échue », ``due``); None when unknown."""
    wanted = _plain(text)
    for code, word in table.items():
        if wanted in (_plain(code), _plain(word)):
            return code
    return None


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# The template filters every page has: ``{{ transfer.received_at | moment }}``…
FILTERS: Mapping[str, Callable[..., str]] = {"day": day, "moment": moment, "size": size}
