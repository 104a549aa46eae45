"""Numbers that a workbook shows as dates, times or durations (ECMA-376 Part 1: §18.8.30
built-in number formats, §18.8.31 format codes, §18.17.4 date systems).

A serial date counts days from 1899-12-30 (the 1900 system, which keeps Lotus's fictitious
29 February 1900: serials below 61 are one day off) or from 1904-01-01; its fraction is the
time of day. The text given for each is what python-calamine gave before this reader replaced
it: an ISO date, time or date-time to the millisecond, or a duration as ``timedelta`` prints.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from ged.services.spreadsheets.bounds import number_text

FormatKind = Literal["number", "date", "duration"]

_BUILTIN_DATES = frozenset({*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)})
_BUILTIN_DURATIONS = frozenset({46})  # [h]:mm:ss
_ELAPSED = frozenset({"h", "hh", "m", "mm", "s", "ss"})  # [h], [mm]…: elapsed time
_DATE_LETTERS = frozenset("dmyhs")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_LAST_SERIAL = 2_958_465  # 9999-12-31 in the 1900 system
_LAST_DURATION = timedelta.max.days
_MS_PER_DAY = 86_400_000


def builtin_kind(number_format: int) -> FormatKind:
    if number_format in _BUILTIN_DATES:
        return "date"
    return "duration" if number_format in _BUILTIN_DURATIONS else "number"


def code_kind(code: str) -> FormatKind:
    """What a format code shows: quoted text, escaped characters and bracketed colours or
    locales are not date letters; a bracketed [h], [m] or [s] is an elapsed duration."""
    kind: FormatKind = "number"
    position = 0
    while position < len(code):
        char = code[position]
        if char in "\\_*":  # the next character is literal (or a fill/space width)
            position += 2
            continue
        closing = {'"': '"', "[": "]"}.get(char)
        if closing is not None:
            end = code.find(closing, position + 1)
            end = len(code) if end < 0 else end
            if char == "[" and code[position + 1 : end].lower() in _ELAPSED:
                return "duration"
            position = end + 1
            continue
        if char.lower() in _DATE_LETTERS:
            kind = "date"
        position += 1
    return kind


def serial_text(serial: float, kind: FormatKind, date1904: bool) -> str:
    """The text of a number shown in a date or duration format (see the module's docstring);
    a number no date can have stays a number."""
    if kind == "duration" and abs(serial) <= _LAST_DURATION:
        return str(timedelta(milliseconds=round(serial * _MS_PER_DAY)))
    if kind == "number" or not 0 <= serial <= _LAST_SERIAL:
        return number_text(repr(serial))
    milliseconds = round(serial * _MS_PER_DAY)
    if not date1904 and serial < 60:
        milliseconds += _MS_PER_DAY
    moment = (_EPOCH_1904 if date1904 else _EPOCH_1900) + timedelta(milliseconds=milliseconds)
    if serial < 1:
        return moment.time().isoformat()
    if moment.time() == datetime.min.time():
        return date.isoformat(moment.date())
    return moment.isoformat()
