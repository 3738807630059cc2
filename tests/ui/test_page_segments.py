"""The By segment section of Performance and Drift, from the entry point, as a data scientist."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.support.apptest import errors, open_page


def _segment_table(at) -> pd.DataFrame:
    table = next(d.value for d in at.dataframe if "calibration 95%" in d.value.columns)
    # figures are shown as text, "n/a" where undefined (never None or nan)
    assert not table.isin(["None", "nan", "NaN"]).any().any()
    for column in ("applications", "matured"):
        table[column] = table[column].str.replace(",", "").astype(int)
    return table


def test_performance_shows_figures_by_segment_and_where_it_fails(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "performance")
    assert errors(at) == []
    assert "By segment" in [s.value for s in at.subheader]
    # the sample's cards declare no segments: the page says what it assumed
    assert any("assumed: the card declares no segments" in c.value for c in at.caption)
    column = at.selectbox(key="perf_segment_column")
    assert column.options[:2] == ["sex", "age_band"] and "region" in column.options
    table = _segment_table(at)
    whole = table[table["segment"] == "(all)"].iloc[0]
    parts = table[table["segment"] != "(all)"]
    assert parts["applications"].sum() == whole["applications"] > 0
    assert parts["matured"].sum() == whole["matured"]
    assert {"AUC 95%", "bad rate 95%", "approval 95%", "score PSI"} <= set(table.columns)
    # the default period (last 12 months) holds matured outcomes: the AUC has a figure and an interval
    assert whole["AUC"] != "n/a" and " to " in whole["AUC 95%"] and whole["matured"] > 0
    column.set_value("region").run()
    assert errors(at) == []
    regions = _segment_table(at)
    assert set(regions["segment"].str.replace(" (small)", "", regex=False)) == \
        {"north", "south", "east", "west", "central", "(all)"}
    at.segmented_control(key="perf_segment_metric").set_value("bad_rate").run()
    assert errors(at) == []
    ranking = at.dataframe[-1].value
    assert {"value", "gap", "weighted_gap"} <= set(ranking.columns) or any(
        "No segment is worse" in c.value for c in at.caption)
    at.text_input(key="perf_segment_period").set_value("2026-13").run()
    assert errors(at) == []
    assert any("the month must be 01 to 12" in i.value for i in at.info)


def test_drift_shows_figures_by_segment_for_its_current_window(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "drift")
    assert errors(at) == []
    assert "By segment" in [s.value for s in at.subheader]
    table = _segment_table(at)
    assert (table["applications"] > 0).all() and "(all)" in set(table["segment"])
    assert table["PSI status"].isin(["stable", "watch", "shifted"]).all()
    assert any("2026-10-02:2026-10-31" in c.value for c in at.caption)  # Drift's current window
