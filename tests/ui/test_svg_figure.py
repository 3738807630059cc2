"""Plotly figures drawn as SVG on the server: the points land where the data says, checked on the SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.ui.challengers_charts import plotly_curves, plotly_metric_intervals
from dashboard.ui.charts import plotly_volume_approval
from dashboard.ui.decisions_charts import plotly_waterfall
from dashboard.ui.performance_charts import (
    plotly_confusion,
    plotly_psi,
    plotly_realized_vs_estimated,
)
from dashboard.ui.svg_axes import format_number, scale_color
from dashboard.ui.svg_figure import svg_from_figure
from dashboard.ui.thresholds_charts import plotly_threshold_curve

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str | None) -> ET.Element:
    assert svg is not None
    return ET.fromstring(svg)


def _polylines(root: ET.Element) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
            for line in root.iter(f"{NS}polyline")]


def test_a_line_maps_its_values_linearly_onto_the_plot() -> None:
    x = np.array([0.0, 0.25, 0.5, 1.0])
    y = np.array([0.0, 0.1, 0.4, 1.0])
    fig = go.Figure([{"type": "scatter", "x": x, "y": y, "mode": "lines", "name": "a"}],
                    {"xaxis": {"range": [0, 1]}, "yaxis": {"range": [0, 1]}})
    [line] = _polylines(_parse(svg_from_figure(fig)))
    px = np.array([p[0] for p in line])
    py = np.array([p[1] for p in line])
    # pixel = a + b * value on each axis (y grows downwards), fitted independently with numpy
    bx, ax_ = np.polyfit(x, px, 1)
    by, ay = np.polyfit(y, py, 1)
    assert np.allclose(ax_ + bx * x, px, atol=0.06) and bx > 0
    assert np.allclose(ay + by * y, py, atol=0.06) and by < 0


def test_a_missing_value_breaks_the_line_and_every_point_is_counted() -> None:
    periods = pd.date_range("2026-01-01", periods=6, freq="MS")
    frame = pd.DataFrame({"period": periods, "auc": [0.7, 0.71, np.nan, 0.69, 0.7, 0.72],
                          "expected_auc": [0.7] * 6, "label_maturity": [1, 1, 0.9, 0.5, 0.2, 0.0]})
    fig = plotly_realized_vs_estimated(frame, "auc", "expected_auc", "AUC", "AUC")
    root = _parse(svg_from_figure(fig))
    lines = _polylines(root)
    assert sorted(len(line) for line in lines) == [2, 3, 6]   # realized split at the gap; the estimate whole
    finite = int(frame["auc"].notna().sum() + frame["expected_auc"].notna().sum() + frame["label_maturity"].notna().sum())
    assert int(root.get("data-points", "-1")) == finite


def test_hovering_a_point_shows_its_values() -> None:
    trend = pd.DataFrame({"period": pd.date_range("2026-01-01", periods=3, freq="MS"),
                          "applications": [1200, 1500, 900], "approval_rate": [0.61, 0.5, 0.555]})
    root = _parse(svg_from_figure(plotly_volume_approval(trend)))
    titles = [t.text or "" for t in root.iter(f"{NS}title")]
    assert "approval rate: 2026-02-01, 50%" in titles
    assert "applications: 2026-03-01, 900" in titles
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert "Applications and approval rate" in labels and "approval rate" in labels


def test_intervals_bars_and_heatmaps_are_drawn() -> None:
    metrics = pd.DataFrame({"model_id": ["champ", "chall"], "auc": [0.70, 0.72], "auc_lo": [0.68, 0.69],
                            "auc_hi": [0.72, 0.75]})
    root = _parse(svg_from_figure(plotly_metric_intervals(metrics, "auc")))
    assert int(root.get("data-points", "0")) == 2
    assert len([p for p in root.iter(f"{NS}path")]) == 2       # one whisker per model
    heat = _parse(svg_from_figure(plotly_confusion(10, 20, 30, 40, "confusion")))
    cells = [r for r in heat.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert len(cells) == 4
    assert {t.text for t in heat.iter(f"{NS}text")} >= {"10", "20", "30", "40"}
    # the largest count is the darkest cell, as in Plotly's Blues
    darkest = min(cells, key=lambda r: sum(int(r.get("fill", "#ffffff")[i:i + 2], 16) for i in (1, 3, 5)))
    assert (darkest.find(f"{NS}title").text or "").endswith(": 40")


def test_builders_of_the_pages_draw_as_svg() -> None:
    curves = pd.DataFrame({"cutoff": np.linspace(0, 1, 21), "approval_rate": np.linspace(0, 1, 21)})
    fig = plotly_threshold_curve(curves, [("approval_rate", "approval rate")], "Approval", {"in force": 0.3},
                                 tickformat=".0%")
    root = _parse(svg_from_figure(fig))
    assert int(root.get("data-points", "0")) == 21
    assert "in force 0.300" in [t.text for t in root.iter(f"{NS}text")]
    roc = pd.DataFrame({"model_id": ["a"] * 3, "x": [0, 0.5, 1], "y": [0, 0.8, 1]})
    assert svg_from_figure(plotly_curves(roc, "roc")) is not None


def test_what_it_cannot_draw_is_left_to_plotly() -> None:
    contributions = pd.Series({"income": 0.2, "age": -0.1})
    assert svg_from_figure(plotly_waterfall(contributions, -2.0, "logit")) is None
    assert svg_from_figure(go.Figure([{"type": "pie", "values": [1, 2]}])) is None
    assert svg_from_figure(go.Figure([{"type": "scatter", "x": [1], "y": [1], "fill": "tozeroy"}])) is None


def test_names_are_escaped_and_an_empty_chart_says_so() -> None:
    fig = go.Figure([{"type": "scatter", "x": [1, 2], "y": [3, 4], "name": "<b>A & B</b>"},
                     {"type": "scatter", "x": [1, 2], "y": [4, 3], "name": "other"}], {"title": {"text": "x < y"}})
    root = _parse(svg_from_figure(fig))           # parses as XML: nothing broke out of its element
    assert "<b>A & B</b>" in [t.text for t in root.iter(f"{NS}text")]
    empty = _parse(svg_from_figure(go.Figure([{"type": "scatter", "x": [], "y": []}])))
    assert empty.get("data-points") == "0" and "No data to draw" in [t.text for t in empty.iter(f"{NS}text")]


@pytest.mark.parametrize(("value", "fmt", "shown"), [(0.1234, ".0%", "12%"), (0.1234, ".1%", "12.3%"),
                                                       (1234567.8, ",.0f", "1,234,568"), (0.5, ".2f", "0.50")])
def test_number_formats_follow_plotly(value: float, fmt: str, shown: str) -> None:
    assert format_number(value, fmt) == shown


def test_colour_scale_interpolates_between_stops() -> None:
    scale = [[0.0, "#000000"], [1.0, "rgb(255,255,255)"]]
    assert scale_color(scale, 0.0) == "#000000" and scale_color(scale, 1.0) == "#ffffff"
    assert scale_color(scale, 0.5) == "#" + f"{round(127.5):02x}" * 3
    assert scale_color(scale, 2.0) == "#ffffff"  # clipped, not extrapolated


def test_dates_given_as_numpy_datetimes_are_a_date_axis() -> None:
    days = np.array(["2026-01-01", "2026-02-01", "2026-03-01"], dtype="datetime64[ns]")
    fig = go.Figure([{"type": "scatter", "x": days, "y": [1, 2, 3], "mode": "markers", "name": "n"}])
    root = _parse(svg_from_figure(fig))
    titles = [t.text or "" for t in root.iter(f"{NS}title")]
    assert titles == ["n: 2026-01-01, 1", "n: 2026-02-01, 2", "n: 2026-03-01, 3"]


def _clip_box(root: ET.Element) -> tuple[float, float, float, float]:
    rect = root.find(f"{NS}clipPath/{NS}rect")
    assert rect is not None
    x, y, w, h = (float(rect.get(k, "0")) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def test_what_lies_outside_a_zoomed_axis_is_clipped_to_the_plot() -> None:
    curves = pd.DataFrame({"cutoff": np.linspace(0, 1, 101), "approval_rate": np.linspace(0, 1, 101)})
    fig = plotly_threshold_curve(curves, [("approval_rate", "approval rate")], "Approval", {"in force": 0.9},
                                 x_range=(0.25, 0.45))
    root = _parse(svg_from_figure(fig))
    clipped = [g for g in root.iter(f"{NS}g") if g.get("clip-path") == "url(#plot)"]
    assert len(clipped) == 1 and clipped[0].find(f"{NS}polyline") is not None
    assert "in force 0.900" not in [t.text for t in root.iter(f"{NS}text")]   # its line is off the axis


def test_reference_lines_stretch_the_axis_as_in_plotly() -> None:
    periods = pd.DataFrame({"period": pd.date_range("2026-01-01", periods=4, freq="MS"),
                            "psi": [0.01, 0.02, 0.015, 0.03]})
    root = _parse(svg_from_figure(plotly_psi(periods, 0.1, 0.25)))
    left, top, right, bottom = _clip_box(root)
    dashed = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke-dasharray")]
    assert len(dashed) == 2 and all(top <= float(ln.get("y1", "-1")) <= bottom for ln in dashed)


def test_a_bar_given_a_width_is_centred_on_its_x() -> None:
    fig = go.Figure([{"type": "bar", "x": [1.0], "y": [3.0], "width": 0.5, "name": "bar"},
                     {"type": "scatter", "x": [1.0], "y": [3.0], "mode": "markers", "name": "point"}])
    root = _parse(svg_from_figure(fig))
    bar = next(r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None)
    dot = next(c for c in root.iter(f"{NS}circle") if c.get("r") == "3.0")
    assert float(bar.get("x", "0")) + float(bar.get("width", "0")) / 2 == pytest.approx(float(dot.get("cx", "0")),
                                                                                       abs=0.1)


def test_many_categories_are_labelled_without_overlapping() -> None:
    labels = [f"[{i * 1000:,}, {(i + 1) * 1000:,})" for i in range(100)]
    fig = go.Figure([{"type": "bar", "x": labels, "y": list(range(100))}])
    root = _parse(svg_from_figure(fig))
    shown = [t.text for t in root.iter(f"{NS}text") if t.text in labels]
    assert 3 <= len(shown) <= 12 and shown[0] == labels[0]


def test_si_format_and_a_failing_drawing_falls_back_to_plotly(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    import dashboard.ui.svg_figure as drawing

    assert format_number(250_000, ",.3s") == "250k" and format_number(1_500_000, ",.3s") == "1.5M"

    def fail(*args: object, **kwargs: object) -> str:
        raise TypeError("not drawable")

    monkeypatch.setattr(drawing, "svg_from_figure", fail)

    def app() -> None:
        import plotly.graph_objects as go

        from dashboard.ui.figure_view import render_figure

        render_figure(go.Figure([{"type": "scatter", "x": [1, 2], "y": [1, 2]}]))

    at = AppTest.from_function(app).run()
    assert not at.exception and len(at.get("plotly_chart")) == 1 and not at.get("image")
