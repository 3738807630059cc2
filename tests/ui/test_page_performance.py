"""The Performance page from the entry point, as a data scientist."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from dashboard.sample.simulator import Simulator
from dashboard.store import Store
from tests.support.apptest import errors, open_page


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _period_table(at) -> pd.DataFrame:
    """The Table tab's figures per period (the By segment section's tables follow it)."""
    return next(d.value for d in at.dataframe if "expected_auc" in d.value.columns)


def test_page_shows_realized_and_estimated_performance(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "performance")
    assert errors(at) == []
    assert at.title[0].value == "Performance"
    metrics = _metrics(at)
    # the AUC with its score-bin bound where that bound exceeds the last digit ("0.678 +-0.003")
    value, *bound = metrics["Realized AUC"].split(" +-")
    assert 0.4 < float(value) <= 1.0 and (not bound or 0 < float(bound[0]) < 0.05)
    estimated = [v for k, v in metrics.items() if k.startswith("ESTIMATED AUC")]
    assert estimated and 0.4 < float(estimated[0]) < 1.0
    assert "Expected precision (estimate)" in metrics
    assert any("Limitation of the estimate" in w.value and "concept drift" in w.value for w in at.warning)
    captions = " ".join(c.value for c in at.caption)
    assert "only on approved applications whose outcome has matured" in captions
    assert "Cutoff in force" in captions
    # Charts are drawn on the server as images, unless the user asks for interactive ones.
    svgs = [base64.b64decode(img.url.removeprefix("data:image/svg+xml;base64,")).decode()
            for element in at.get("image") for img in element.proto.imgs if "svg" in img.url]
    assert len(svgs) == 5 and not at.get("plotly_chart")   # the open tab's four trends and the confusion matrix
    assert all(int(s.split('data-points="')[1].split('"')[0]) > 0 for s in svgs)
    at.toggle(key="interactive_charts").set_value(True).run()
    assert errors(at) == []
    assert len(at.get("plotly_chart")) == 5 and not at.get("image")
    at.session_state["perf_tab"] = "Latency"
    at.run()
    assert errors(at) == []
    assert any("bins per decade: within 1.2% of the raw latencies' percentile" in c.value for c in at.caption)
    assert [s.value for s in at.subheader] == ["Alerts", "By segment"]
    assert at.toggle(key="perf_live").value is True
    assert at.number_input(key="perf_interval").value == 10
    assert len(at.tabs) == 5
    table = _period_table(at)
    assert {"auc", "expected_auc", "label_maturity", "psi", "latency_p95"} <= set(table.columns)


def test_grain_model_and_pause(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "performance", query={"model": "hgb_challenger"})
    assert at.selectbox(key="perf_model").value == "hgb_challenger"
    assert any("shadow" in c.value for c in at.caption)
    at.segmented_control(key="perf_grain").set_value("week").run()
    assert errors(at) == []
    weeks = _period_table(at)
    assert len(weeks) > 60  # 18 months by week
    at.toggle(key="perf_live").set_value(False).run()
    assert errors(at) == []
    assert any("paused" in c.value for c in at.caption)


def test_unknown_model_in_the_address_warns(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "performance", query={"model": "nope"})
    assert errors(at) == []
    assert any("'nope'" in w.value for w in at.warning)


def test_empty_store_says_what_to_do(empty_store: Store) -> None:
    at = open_page(empty_store.root, "data_scientist", "performance")
    assert errors(at) == []
    assert any("No model has prediction logs" in i.value for i in at.info)


def test_simulated_rows_appear_in_the_page_figures(store_copy: Store) -> None:
    at = open_page(store_copy.root, "data_scientist", "performance")
    assert errors(at) == []
    before = _metrics(at)
    sim = Simulator(Store(store_copy.root), seed=9, outcome_delay=3600)
    sim.run(rate=30, duration=2.5, interval=0.5)
    at.run()  # what the fragment's timer does: re-read the store and redraw
    assert errors(at) == []
    after = _metrics(at)
    assert after != before
    # Today's month appears with exactly the simulated applications (nothing lost or doubled).
    month = next(m.delta for m in at.metric if m.label == "Applications")
    assert month == pd.Timestamp.now(tz="UTC").strftime("%b %Y")
    assert int(after["Applications"].replace(",", "")) == sim.totals.applications

