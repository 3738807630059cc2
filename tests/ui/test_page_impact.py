"""The Impact page, opened from the entry point as the executive."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dashboard.analytics.scorecard import SPECS, Figure, format_value
from dashboard.ui.impact import format_how_computed
from tests.support import tiny_impact
from tests.support.apptest import errors, open_page
from tests.support.tiny_impact import expected_tiny

# the shared fixtures, visible to pytest in this module
tiny_dir = tiny_impact.tiny_dir
tiny_targets = tiny_impact.tiny_targets


def _texts(at: object) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "subheader", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def test_page_shows_the_hand_calculated_values(tiny_dir: Path) -> None:
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-04"})
    assert errors(at) == []
    assert at.title[0].value == "Impact"
    metrics = {m.label: m.value for m in at.metric}
    for key, value in expected_tiny().items():
        spec = SPECS[key]
        assert metrics[spec.label] == format_value(value, spec.unit, "EUR"), key
    text = _texts(at)
    for title in ("Responsibility", "Cash", "Labor", "Time", "Profit/Cost", "Growth", "Utilization of Assets"):
        assert f"### {title}" in text
    assert "champion **tiny**" in text
    # every point has its "how it was computed" with formula and inputs
    assert [e.label for e in at.expander].count("How it was computed") == 7
    assert "Formula: losses of applicants the baseline approves" in text
    # one markdown block per point, with a table of inputs for each of the 16 figures
    how = [m.value for e in at.expander for m in e.markdown]
    assert len(how) == 7 and sum(h.count("| input | value |") for h in how) == 16
    assert "| approval rate by group | sex=F\\: 50\\.0% of 4, sex=M\\: 75\\.0% of 4 |" in how[0]
    # each point's headline figure by month, an SVG image described in its alt text
    charts = [img for element in at.get("image") for img in element.proto.imgs]
    assert [c.alt.split(" by month")[0] for c in charts] == [
        "Adverse impact ratio", "Credit losses avoided", "Officer hours saved", "Median decision time",
        "Net contribution", "Approved amount", "Capital deployed"]
    assert charts[0].alt == "Adverse impact ratio by month, 2026-03 to 2026-04; 2026-04: 0.667; monthly target 0.800"
    svg = base64.b64decode(charts[1].url.removeprefix("data:image/svg+xml;base64,")).decode()
    assert "Credit losses avoided by month" in svg and svg.count("<circle") == 2 and ">target<" in svg
    # change against March: 5 approvals against 2
    assert {m.label: m.delta for m in at.metric}["Approved applications"] == "+3"


def test_page_quarter_from_the_link(tiny_dir: Path) -> None:
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-Q2"})
    assert errors(at) == []
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Approved applications"] == "5"
    assert "changes are against 2026-Q1" in _texts(at)


def test_bad_period_in_the_link_falls_back_to_the_latest_month(tiny_dir: Path) -> None:
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-13"})
    assert errors(at) == []
    assert any("The link's period is not used" in w.value for w in at.warning)
    assert at.selectbox(key="impact_month").value == "2026-04"
    assert len(at.metric) == 16


def test_choosing_another_month(tiny_dir: Path) -> None:
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-04"})
    at.selectbox(key="impact_month").select("2026-03").run()
    assert errors(at) == []
    assert {m.label: m.value for m in at.metric}["Approved applications"] == "2"
    assert at.query_params["period"] == "2026-03"


def test_period_without_data(tiny_dir: Path) -> None:
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2024-01-01:2024-01-31"})
    assert errors(at) == []
    assert any("No decisions by the champion tiny" in i.value for i in at.info)
    assert len(at.metric) == 0


def test_targets_not_set_and_bad_targets(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_IMPACT_TARGETS", str(tmp_path / "none.toml"))
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-04"})
    assert errors(at) == []
    assert any("no targets file" in w.value for w in at.warning)
    assert "no target" in _texts(at)
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets.override_rate]\ntarget = 'low'\nat_risk = 0.1\n", "utf-8")
    monkeypatch.setenv("DASHBOARD_IMPACT_TARGETS", str(bad))
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-04"})
    assert errors(at) == []
    assert any("override_rate] target must be a number" in w.value for w in at.warning)
    assert len(at.metric) == 16


def test_bad_business_config(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "business.toml"
    bad.write_text("[capital]\navailable = -5\n", "utf-8")
    monkeypatch.setenv("DASHBOARD_BUSINESS_CONFIG", str(bad))
    at = open_page(tiny_dir, "executive", "impact", query={"period": "2026-04"})
    assert errors(at) == []
    assert any("available must not be negative" in w.value for w in at.warning)
    assert len(at.metric) == 0


def test_empty_store(tmp_path: Path) -> None:
    at = open_page(tmp_path / "empty", "executive", "impact")
    assert errors(at) == []
    assert any("no decisions by a champion model" in i.value for i in at.info)


def test_how_it_was_computed_shows_group_names_as_typed() -> None:
    hostile = "F|<script>alert(1)</script>*bold*"
    text = format_how_computed([Figure("adverse_impact_ratio", 0.5, "min / max", {"group": hostile, "n": 1200}),
                                Figure("override_rate", None, "overrides / decided", {})], "EUR")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| input | value |"
    assert rows[1].count(" | ") == 1 and "<script>" not in text and "\\*bold\\*" in rows[1]
    assert rows[2] == "| n | 1,200 |"
    assert text.endswith("**Override rate** = n/a  \nFormula: overrides / decided.")  # no inputs: no table


def test_a_line_break_in_a_group_name_stays_in_its_cell() -> None:
    text = format_how_computed([Figure("adverse_impact_ratio", 0.5, "min / max", {"group": "F\nx|y", "n": 2})], "EUR")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows == ["| input | value |", "| group | F x\\|y |", "| n | 2 |"]
