"""The Impact page's SVG trend charts: what they draw, where, and their axes."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.analytics.scorecard import SPECS, Target
from dashboard.reports.impact_charts import (
    compute_ticks,
    describe_impact_trend,
    format_ticks,
    svg_impact_trend,
)

NS = "{http://www.w3.org/2000/svg}"
SPEC = SPECS["losses_avoided"]


def _trend(values: list[float | None], first: str = "2026-01-01") -> pd.DataFrame:
    periods = pd.date_range(first, periods=len(values), freq="MS")
    return pd.DataFrame({"period": periods, "label": [p.strftime("%Y-%m") for p in periods],
                         SPEC.key: [math.nan if v is None else v for v in values]})


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def _circles(root: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in root.iter(f"{NS}circle")]


def _hline_at(root: ET.Element, color: str) -> float:
    (line,) = [x for x in root.iter(f"{NS}line") if x.get("stroke") == color]
    assert line.get("y1") == line.get("y2")
    return float(line.get("y1", ""))


def test_one_point_per_month_in_order_and_higher_values_drawn_higher() -> None:
    root = _parse(svg_impact_trend(_trend([100.0, 300.0, 200.0]), SPEC))
    points = _circles(root)
    assert len(points) == 3
    xs = [x for x, _ in points]
    assert xs == sorted(xs)
    ys = [y for _, y in points]
    assert ys[1] < ys[2] < ys[0]  # SVG's y grows downwards
    assert "Credit losses avoided by month" in _texts(root)
    assert {"Jan 26", "Feb", "Mar"} <= set(_texts(root))


def test_target_lines_bracket_the_values_and_their_labels_do_not_overlap() -> None:
    root = _parse(svg_impact_trend(_trend([100.0, 300.0]), SPEC, Target(target=500.0, at_risk=0.0)))
    target, at_risk = _hline_at(root, "#1e7b34"), _hline_at(root, "#b42318")
    ys = [y for _, y in _circles(root)]
    assert target < min(ys) and at_risk > max(ys)  # 500 above both points, 0 below them
    labels = {t.text: t for t in root.iter(f"{NS}text") if t.text in ("target", "at risk beyond")}
    assert set(labels) == {"target", "at risk beyond"}
    a, b = labels["target"], labels["at risk beyond"]
    assert a.get("text-anchor") != b.get("text-anchor") or abs(float(a.get("y", "")) - float(b.get("y", ""))) >= 10


def test_a_month_without_a_value_breaks_the_line() -> None:
    root = _parse(svg_impact_trend(_trend([1.0, 2.0, None, 4.0, 5.0]), SPEC))
    lines = list(root.iter(f"{NS}polyline"))
    assert [len(p.get("points", "").split()) for p in lines] == [2, 2]
    assert len(_circles(root)) == 4


def test_the_selected_period_is_shaded_over_its_month() -> None:
    root = _parse(svg_impact_trend(_trend([1.0, 2.0, 3.0]), SPEC, selected=(dt.date(2026, 2, 1), dt.date(2026, 2, 28))))
    (band,) = [r for r in root.iter(f"{NS}rect") if r.get("fill") == "#f4b400"]
    x0, width = float(band.get("x", "")), float(band.get("width", ""))
    xs = [x for x, _ in _circles(root)]
    assert x0 < xs[1] < x0 + width  # February's point inside, January's and March's outside
    assert not x0 < xs[0] < x0 + width and not x0 < xs[2] < x0 + width


def test_a_selection_outside_the_months_draws_no_band() -> None:
    root = _parse(svg_impact_trend(_trend([1.0, 2.0]), SPEC, selected=(dt.date(2020, 1, 1), dt.date(2020, 1, 31))))
    assert [r for r in root.iter(f"{NS}rect") if r.get("fill") == "#f4b400"] == []


def test_no_values_says_so() -> None:
    for trend in (pd.DataFrame(columns=["period", "label", SPEC.key]), _trend([None, None])):
        root = _parse(svg_impact_trend(trend, SPEC))
        assert _texts(root) == [f"{SPEC.label}: no monthly values yet"]
        assert list(root.iter(f"{NS}polyline")) == []
    assert describe_impact_trend(_trend([None]), SPEC) == f"{SPEC.label} by month: no values yet"


def test_compact_is_the_bare_line() -> None:
    root = _parse(svg_impact_trend(_trend([1.0, 3.0, 2.0]), SPEC, width=150, height=26, compact=True))
    assert root.get("width") == "150" and _texts(root) == [] and _circles(root) == []
    assert len(list(root.iter(f"{NS}polyline"))) == 1
    assert svg_impact_trend(_trend([1.0]), SPEC, compact=True) == ""


def test_text_is_escaped() -> None:
    spec = SPECS["losses_avoided"].__class__(**{**SPEC.__dict__, "label": "<script>x</script>"})
    svg = svg_impact_trend(_trend([1.0, 2.0]), spec)
    assert "<script>" not in svg and "<script>x</script> by month" in _texts(_parse(svg))


def test_description_names_the_span_the_latest_value_and_the_target() -> None:
    text = describe_impact_trend(_trend([1000.0, None, 2500.0]), SPEC, Target(target=2000.0, at_risk=0.0), "CHF")
    assert text == "Credit losses avoided by month, 2026-01 to 2026-03; 2026-03: CHF 2,500; monthly target CHF 2,000"


def test_axis_labels() -> None:
    assert format_ticks([0, 2.5e9, 5e9, 7.5e9], "money", "EUR") == ["EUR 0", "EUR 2.5B", "EUR 5.0B", "EUR 7.5B"]
    assert format_ticks([-1e8, -5e7, 0], "money", "PLN") == ["-PLN 100M", "-PLN 50M", "PLN 0"]
    assert format_ticks([2000, 2500, 3000], "hours") == ["2.0k h", "2.5k h", "3.0k h"]
    assert format_ticks([0.01, 0.011, 0.012], "share") == ["1.0%", "1.1%", "1.2%"]
    assert format_ticks([0, 20, 40], "seconds") == ["0 s", "20 s", "40 s"]
    assert compute_ticks(0, 1, min_step=1.0) == [0, 1]  # no half applications


@given(st.floats(-1e10, 1e10), st.floats(0, 1e10), st.sampled_from(["money", "hours", "count", "share", "ratio"]))
def test_ticks_cover_the_range_evenly_with_distinct_labels(lo: float, span: float, unit: str) -> None:
    hi = lo + span
    ticks = compute_ticks(lo, hi)
    steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    slack = 1e-6 * steps[0]  # rounding: a value a millionth of a step past the axis is on it
    assert ticks[0] <= lo + slack and ticks[-1] >= hi - slack
    assert 2 <= len(ticks) <= 8
    assert max(steps) - min(steps) <= 1e-6 * max(steps)
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))
    labels = format_ticks(ticks, unit)
    assert len(set(labels)) == len(labels)


def test_charts_sit_on_a_white_card_for_the_dark_theme() -> None:
    for svg in (svg_impact_trend(_trend([1.0, 2.0]), SPEC), svg_impact_trend(_trend([None]), SPEC)):
        first = next(iter(_parse(svg)))
        assert first.tag == f"{NS}rect" and first.get("fill") == "white" and first.get("width") == "360"


def test_a_month_without_decisions_keeps_its_place_on_the_axis() -> None:
    # compute_trend has no row for a month without decisions: Jan, Feb, then May
    trend = _trend([1.0, 2.0, 3.0, 4.0, 5.0]).drop(index=[2, 3]).reset_index(drop=True)
    root = _parse(svg_impact_trend(trend, SPEC, selected=(dt.date(2026, 5, 1), dt.date(2026, 5, 31))))
    xs = [x for x, _ in _circles(root)]
    assert len(xs) == 3 and (xs[2] - xs[1]) == pytest.approx(3 * (xs[1] - xs[0]))  # May is 3 months after Feb
    assert [len(p.get("points", "").split()) for p in root.iter(f"{NS}polyline")] == [2, 1]  # the gap breaks the line
    (band,) = [r for r in root.iter(f"{NS}rect") if r.get("fill") == "#f4b400"]
    assert float(band.get("x", "")) < xs[2] < float(band.get("x", "")) + float(band.get("width", ""))


def test_numpy_counts_are_drawn() -> None:
    trend = _trend([1.0, 2.0]).assign(**{SPEC.key: np.array([3, 5], dtype=np.int64)})
    assert len(_circles(_parse(svg_impact_trend(trend, SPEC)))) == 2


def test_equal_target_and_at_risk_lines_get_labels_on_both_sides() -> None:
    root = _parse(svg_impact_trend(_trend([1.0, 9.0]), SPEC, Target(target=5.0, at_risk=5.0)))
    labels = {t.text: float(t.get("y", "")) for t in root.iter(f"{NS}text") if t.text in ("target", "at risk beyond")}
    assert abs(labels["target"] - labels["at risk beyond"]) >= 10
