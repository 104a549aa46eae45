"""The lifecycle forecast as a bar chart drawn on the server (SVG 1.1, no script, no chart
library): one stacked bar per month, one colour per final action, with the numbers beside it
in a table for those who cannot see it (WCAG 1.1.1: the chart has a title and a description,
and the same data is in a data table).

``forecast_chart`` turns forecast rows into geometry (months, stacked segments, axis ticks);
the template only draws it. Pure: the rows come from ``ged.services.lifecycle.forecast_due``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ged.domain.lifecycle import ForecastRow, add_months
from ged.presentation.labels import MONTHS, count, final_action, month

# drawing order from the axis up, and the colour of each (contrast ≥ 3:1 on white, WCAG 1.4.11)
ACTIONS = ("Keep", "Destroy", "Sort", "none")
COLOURS = {"Keep": "#1a4a87", "Destroy": "#a4001d", "Sort": "#8a5a00", "none": "#4a4f57"}
WIDTH, HEIGHT = 960, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


@dataclass(frozen=True)
class Segment:
    action: str
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Column:
    key: str  # YYYY-MM
    label: str  # « mars 2027 »
    short: str  # « mars 27 », under every third bar
    total: int
    segments: list[Segment]
    x: float  # the middle of the bar


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_bottom: float
    columns: list[Column]
    ticks: list[Tick]
    legend: list[tuple[str, str, int]]  # (French action, colour, total)
    total: int
    description: str


def month_keys(as_of: date, months: int) -> list[str]:
    """Every month of the forecast window, from ``as_of``'s month to ``months`` later."""
    keys: list[str] = []
    for offset in range(months + 1):
        key = add_months(as_of.replace(day=1), offset).strftime("%Y-%m")
        if key not in keys:
            keys.append(key)
    return keys


def forecast_chart(rows: Iterable[ForecastRow], as_of: date, months: int) -> Chart:
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.month, row.final_action if row.final_action in ACTIONS else "none")
        counts[key] = counts.get(key, 0) + row.count
    keys = month_keys(as_of, months)
    top = _scale_top(max((sum(counts.get((k, a), 0) for a in ACTIONS) for k in keys), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(keys)
    columns = [_column(k, i, step, plot_h, top, counts) for i, k in enumerate(keys)]
    totals = {a: sum(counts.get((k, a), 0) for k in keys) for a in ACTIONS}
    legend = [(final_action(a), COLOURS[a], totals[a]) for a in ACTIONS if a != "none" or totals[a]]
    ticks = [Tick(v, TOP + plot_h - plot_h * v / top) for v in _tick_values(top)]
    total = sum(totals.values())
    description = _describe(columns, legend, total, months)
    return Chart(WIDTH, HEIGHT, LEFT, TOP + plot_h, columns, ticks, legend, total, description)


def _column(
    key: str, index: int, step: float, plot_h: float, top: int, counts: dict[tuple[str, str], int]
) -> Column:
    x, y = LEFT + index * step, TOP + plot_h
    segments = []
    for action in ACTIONS:
        n = counts.get((key, action), 0)
        if n:
            height = plot_h * n / top
            y -= height
            label = f"{month(key)} : {count(n, 'dossier')}, {final_action(action)}"
            segments.append(
                Segment(action, label, n, x + step * 0.15, y, step * 0.7, height, COLOURS[action])
            )
    year, number = key.split("-")
    short = f"{MONTHS[int(number) - 1][:4].rstrip('.')} {year[2:]}" if index % 3 == 0 else ""
    total = sum(s.count for s in segments)
    return Column(key, month(key), short, total, segments, x + step / 2)


def _scale_top(highest: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50… at least the highest bar."""
    top = 1
    while top < highest:
        top = _next_round(top)
    return top


def _next_round(value: int) -> int:
    digits = str(value)
    lead, zeros = int(digits[0]), len(digits) - 1
    following: int = {1: 2, 2: 5, 5: 10}[lead]
    return following * int(10**zeros)


def _tick_values(top: int) -> list[int]:
    if top <= 5:
        return list(range(top + 1))
    return [top * i // 5 for i in range(6)]


def _describe(
    columns: Sequence[Column], legend: Sequence[tuple[str, str, int]], total: int, months: int
) -> str:
    if not total:
        return f"Aucun dossier n'arrive à échéance dans les {months} prochains mois."
    parts = ", ".join(f"{count(n, 'dossier')} en {word}" for word, _, n in legend if n)
    peak = max(columns, key=lambda c: c.total)
    verb = "arrive" if total == 1 else "arrivent"
    return (
        f"{count(total, 'dossier')} {verb} à échéance dans les {months} prochains mois : {parts}. "
        f"Le mois le plus chargé est {peak.label} ({count(peak.total, 'dossier')})."
    )


@dataclass(frozen=True)
class TableRow:
    month: str  # « mars 2027 »
    service: str
    counts: dict[str, int]  # action -> dossiers
    held: int


def forecast_table(rows: Iterable[ForecastRow], services: dict[str, str]) -> list[TableRow]:
    """The chart's numbers by month and service, one column per final action."""
    found: dict[tuple[str, str], TableRow] = {}
    for row in sorted(rows, key=lambda r: (r.month, services.get(r.service_id, ""))):
        key = (row.month, row.service_id)
        if key not in found:
            name = services.get(row.service_id, "service inconnu")
            found[key] = TableRow(month(row.month), name, dict.fromkeys(ACTIONS, 0), 0)
        action = row.final_action if row.final_action in ACTIONS else "none"
        found[key].counts[action] += row.count
        found[key] = TableRow(
            found[key].month, found[key].service, found[key].counts, found[key].held + row.held
        )
    return list(found.values())
