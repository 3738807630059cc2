"""The Drift page as a data scientist: verdict, tables, charts, bad windows, Evidently."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard.ui.drift import evidently_jobs
from tests.support.apptest import errors, open_page


def test_page_shows_verdict_features_and_charts(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "drift")
    assert errors(at) == []
    assert at.title[0].value == "Drift"
    labels = [m.label for m in at.metric]
    assert "Features shifted / to watch" in labels and "Score PSI" in labels
    boxes = [b.value for b in (*at.error, *at.warning, *at.success)]
    assert any("Verdict:" in b for b in boxes)
    table = at.dataframe[0].value
    assert {"feature", "PSI", "JS distance", "KS", "chi-square p", "missing change", "mean |SHAP| share"} <= \
        set(table.columns)
    assert len(table) == 18
    # a statistic that does not apply (KS of a category, chi-square of a number) reads n/a, never None/nan
    cells = table.astype(str).to_numpy().ravel()
    assert not any(c in ("None", "nan", "NaN", "<NA>") for c in cells)
    categorical = table[table["type"] == "categorical"].iloc[0]
    numeric = table[table["type"] == "numeric"].iloc[0]
    assert categorical["KS"] == "n/a" and numeric["chi-square"] == "n/a" and numeric["KS"] != "n/a"
    assert [t.label for t in at.tabs][:3] == ["Features", "PSI heatmap", "Drill-down"]
    assert at.selectbox(key="drift_feature").options
    # The sample's training.parquet is dated inside its card's training window: said so, with its own dates.
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Training window 2023-01-01 to 2024-12-31 (training.parquet: 6,000 rows dated ")
               for c in captions)
    assert any("reference: training window 2023-01-01 to 2024-12-31" in b for b in boxes)


def test_reference_after_current_and_empty_window(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "drift")
    at.radio(key="drift_ref_mode").set_value("Dates from the logs").run()
    assert errors(at) == []
    at.date_input(key="drift_ref_dates").set_value((dt.date(2026, 9, 1), dt.date(2026, 9, 30)))
    at.date_input(key="drift_cur_dates").set_value((dt.date(2025, 6, 1), dt.date(2025, 6, 30))).run()
    assert errors(at) == []
    assert any("after the current window ends" in w.value for w in at.warning)
    at.date_input(key="drift_ref_dates").set_value((dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    at.date_input(key="drift_cur_dates").set_value((dt.date(2024, 2, 1), dt.date(2024, 2, 28))).run()
    assert errors(at) == []
    assert any("holds no predictions" in i.value for i in at.info)


def test_evidently_runs_in_background_and_embeds(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "drift")
    at.button(key="drift_evidently_run").click().run()
    assert errors(at) == []
    for job in list(evidently_jobs().jobs.values()):
        job.future.result(timeout=600)
    at.run()
    assert errors(at) == []
    assert any("Evidently report on" in s.value and "sampled rows" in s.value for s in at.success)
