"""The forecast chart's geometry: one bar per month of the window, stacked by final action,
on a round scale, with a description that says what the bars show."""

from __future__ import annotations

from datetime import date

from ged.domain.lifecycle import ForecastRow
from ged.presentation.chart import forecast_chart, forecast_table, month_keys


def test_the_window_has_every_month_from_today_to_the_last_one() -> None:
    keys = month_keys(date(2026, 1, 15), 24)
    assert keys[0] == "2026-01" and keys[-1] == "2028-01" and len(keys) == 25


def test_bars_stack_the_final_actions_of_a_month_on_a_round_scale() -> None:
    rows = [
        ForecastRow("2026-03", "Keep", "s1", 3, 0),
        ForecastRow("2026-03", "Destroy", "s2", 4, 1),
        ForecastRow("2026-05", "Sort", "s1", 1, 0),
    ]
    chart = forecast_chart(rows, date(2026, 1, 15), 24)
    march = next(c for c in chart.columns if c.key == "2026-03")
    assert [s.action for s in march.segments] == ["Keep", "Destroy"]
    assert march.total == 7 and chart.total == 8
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8, 10]
    keep, destroy = march.segments
    assert keep.y + keep.height == chart.plot_bottom  # the first segment sits on the axis
    assert abs(destroy.y + destroy.height - keep.y) < 1e-9  # the next one on top of it
    assert destroy.label == "mars 2026 : 4 dossiers, destruction"
    assert chart.description == (
        "8 dossiers arrivent à échéance dans les 24 prochains mois : 3 dossiers en conservation "
        "définitive, 4 dossiers en destruction, 1 dossier en tri. Le mois le plus chargé est "
        "mars 2026 (7 dossiers)."
    )


def test_an_empty_forecast_says_so() -> None:
    chart = forecast_chart([], date(2026, 1, 15), 24)
    assert chart.total == 0 and all(not c.segments for c in chart.columns)
    assert chart.description == "Aucun dossier n'arrive à échéance dans les 24 prochains mois."


def test_the_table_has_one_line_per_month_and_service() -> None:
    rows = [
        ForecastRow("2026-03", "Keep", "s1", 3, 0),
        ForecastRow("2026-03", "Destroy", "s1", 4, 1),
        ForecastRow("2026-03", "Destroy", "s2", 2, 0),
    ]
    table = forecast_table(rows, {"s1": "Finances", "s2": "Ressources humaines"})
    assert [(r.month, r.service, r.counts["Keep"], r.counts["Destroy"], r.held) for r in table] == [
        ("mars 2026", "Finances", 3, 4, 1),
        ("mars 2026", "Ressources humaines", 0, 2, 0),
    ]


def test_one_dossier_arrives_in_the_singular() -> None:
    chart = forecast_chart([ForecastRow("2026-03", "Keep", "s1", 1, 0)], date(2026, 1, 15), 24)
    assert chart.description.startswith(
        "1 dossier arrive à échéance dans les 24 prochains mois : 1 dossier en conservation"
    )
