"""Forms of the web pages.

What a form shows when a service refuses its input: each issue's message beside the field it
names (``Issue.path``), the others above the form, so that none is lost (RGAA 11.10: errors are
tied to their field).

Small multipart forms with one bounded file (a tableau de gestion, a repository's reply) are read
as a stream: the CSRF field first (``check_csrf_first``), the other text fields whole, the file's
bytes up to a limit and refused past it (413) — never spooled to a temporary file. A form that
files documents of any size streams its files into the blob store instead
(``ged.web.views.upload``); both share the rule that the token comes before any file.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from fastapi import Request

from ged.presentation.labels import PARIS
from ged.web.multipart import StreamingForm
from ged.web.security import CSRF_FIELD, CsrfRefused, check_csrf
from kernel.errors import InvalidError, Issue, PayloadTooLargeError
from kernel.paging import MAX_LIMIT

FORM = ""  # the key of the messages that belong to no field of the form


def field_errors(
    exc: InvalidError, fields: Collection[str], renamed: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Messages by form field: ``fields`` are the form's field names, ``renamed`` maps a
    service's path to the field that carries it when they differ (``note`` → ``motif``)."""
    renamed = renamed or {}
    found: dict[str, list[str]] = {}
    for issue in exc.issues or [Issue(exc.code, exc.detail)]:
        name = renamed.get(issue.path or "", issue.path or FORM)
        found.setdefault(name if name in fields else FORM, []).append(issue.message)
    return found


def end_of_day(value: str, path: str) -> datetime | None:
    """The last second, in Paris, of the day a date field gives (``AAAA-MM-JJ``): what is
    « valable jusqu'au 31 janvier 2027 » ends then. None when the field is empty."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        message = "Date attendue sous la forme AAAA-MM-JJ"
        raise InvalidError(message, issues=[Issue("bad_date", message, path=path)]) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=PARIS)


@dataclass(frozen=True)
class SentFile:
    filename: str
    data: bytes


@dataclass
class BoundedForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, SentFile] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return self.fields.get(name, [""])[0].strip()


async def check_csrf_first(request: Request, form: StreamingForm) -> None:
    """The form's first part must be its CSRF token, checked before any other byte is used."""
    first = await form.next_part()
    if first is None or first.name != CSRF_FIELD or first.filename is not None:
        raise CsrfRefused("Ce formulaire a expiré : rechargez la page et recommencez")
    check_csrf(request, await form.read_field())


async def bounded_form(request: Request, limit: int) -> BoundedForm:
    """Every field of the form; each file at most ``limit`` bytes (an empty file input is
    left out). At most ``MAX_LIMIT`` parts are read."""
    form = StreamingForm(request)
    await check_csrf_first(request, form)
    found = BoundedForm()
    for _ in range(MAX_LIMIT):
        part = await form.next_part()
        if part is None:
            break
        if part.filename is None:
            found.fields.setdefault(part.name, []).append(await form.read_field())
        elif part.filename:
            found.files[part.name] = SentFile(part.filename, await _read(form, limit))
    return found


async def _read(form: StreamingForm, limit: int) -> bytes:
    data = bytearray()
    while block := await form.next_block():
        data += block
        if len(data) > limit:
            raise PayloadTooLargeError(f"Fichier de plus de {limit // (1024 * 1024)} Mio refusé")
    return bytes(data)


def by_field(exc: InvalidError, fields: dict[str | None, str]) -> dict[str, list[str]]:
    """Each issue next to the form field it is about; an issue of no known field goes with
    the field ``fields[None]`` names."""
    found: dict[str, list[str]] = {}
    for issue in exc.issues or [Issue("invalid", exc.detail)]:
        name = fields.get(issue.path, fields[None])
        found.setdefault(name, []).append(issue.message)
    return found


def parse_day(text: str, field: str) -> date | None:
    """The ISO date an ``<input type=date>`` sends; none when left empty."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        message = "Date attendue sous la forme jour/mois/année"
        raise InvalidError(message, issues=[Issue("bad_date", message, path=field)]) from None
