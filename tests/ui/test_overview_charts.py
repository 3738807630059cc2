"""Overview's Vega-Lite trend charts: valid specs that read only the trend's columns."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import pytest

from dashboard.analytics.overview import compute_trend
from dashboard.store import Store
from dashboard.store.overview import load_daily
from dashboard.ui.overview_charts import vega_bad_rate_maturity, vega_volume_approval

SPECS = [(vega_volume_approval, "W", "applications", "approval_rate"),
         (vega_bad_rate_maturity, "M", "label_maturity", "realized_bad_rate")]


def _fields(spec: Any) -> set[str]:
    """Every field an encoding names, anywhere in the spec."""
    if isinstance(spec, dict):
        own = {spec["field"]} if isinstance(spec.get("field"), str) else set()
        return own.union(*(_fields(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(_fields(v) for v in spec))
    return set()


@pytest.mark.parametrize(("build", "freq", "bars", "line"), SPECS)
def test_spec_is_valid_vega_lite_over_the_trend(small_store: Store, build: Any, freq: str, bars: str,
                                                line: str) -> None:
    trend = compute_trend(load_daily(small_store, "gbm_champion"), freq)
    spec = build(freq)
    derived = {t["as"] for t in spec["transform"]}
    assert _fields(spec) <= set(trend.columns) | derived
    # Altair validates the whole spec against the Vega-Lite schema Streamlit renders with.
    chart = alt.LayerChart.from_dict({**spec, "data": {"values": trend.assign(
        period=trend["period"].dt.strftime("%Y-%m-%d")).to_dict("records")}})
    assert isinstance(chart, alt.LayerChart)
    bar, trend_line = spec["layer"]
    assert (bar["mark"]["type"], bar["encoding"]["y"]["field"]) == ("bar", bars)
    assert (trend_line["mark"]["type"], trend_line["encoding"]["y"]["field"]) == ("line", line)
    # Two quantities of different units: each keeps its own axis, on opposite sides.
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    sides = {layer["encoding"]["y"]["axis"].get("orient", "left") for layer in spec["layer"]}
    assert sides == {"left", "right"}


def test_each_bar_spans_its_period() -> None:
    for build, freq, unit in ((vega_volume_approval, "W", "week"), (vega_bad_rate_maturity, "M", "month")):
        spec = build(freq)
        assert spec["transform"][0] == {"calculate": f"timeOffset('{unit}', datum.period, 1)",
                                        "as": "period_end"}
        bar = spec["layer"][0]["encoding"]
        assert (bar["x"]["field"], bar["x2"]["field"], bar["y2"]) == ("period", "period_end", {"datum": 0})


def test_legend_names_both_series_in_their_colours() -> None:
    for build, freq, wanted in ((vega_volume_approval, "W", {"applications": "#9bb7d4", "approval rate": "#1f4e79"}),
                                (vega_bad_rate_maturity, "M", {"label maturity": "#d9d9d9",
                                                               "bad rate among approved": "#c0392b"})):
        spec = build(freq)
        names = [layer["encoding"]["color"]["datum"] for layer in spec["layer"]]
        # The legend's domain is the layers' names in layer order (seen in Chromium): colours follow it.
        palette = dict(zip(names, spec["config"]["range"]["category"], strict=True))
        assert palette == wanted


def test_the_weekly_trend_has_a_row_per_week(small_store: Store) -> None:
    daily = load_daily(small_store, "gbm_champion")
    trend = compute_trend(daily, "W")
    weeks = pd.to_datetime(daily["date"]).dt.to_period("W").nunique()
    assert len(trend) == weeks and trend["applications"].sum() == daily["n"].sum()
