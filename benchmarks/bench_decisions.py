"""Decisions page timings on the demo store: explainer load, one decision explained with
reasons (warm), the counterfactual search, and the raw-row lookups behind the page.

Run: .venv/bin/python benchmarks/bench_decisions.py [--store var/store] [--repeat 7]
Writes benchmarks/results/decisions-<date>.json. Targets: explanation + reasons < 200 ms
warm for the champion; explainer load < 3 s. The other models are the peers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dashboard.explain.explainer import load_explainer
from dashboard.explain.reasons import compute_reasons
from dashboard.explain.whatif import compute_counterfactual
from dashboard.models.artifact import load_model
from dashboard.store import Store
from dashboard.store.decisions import QueueFilter, application_rows, decision_queue, feature_sample
from dashboard.store.policy import policy_in_force

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default=str(ROOT / "var" / "store"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    store = Store(args.store, create=False)
    models = ["gbm_champion", "hgb_challenger", "logit_scorecard"]
    source = store.predictions_source(store.prediction_files("gbm_champion"))
    declined = store.sql(f"SELECT application_id, date FROM {source} WHERE decision = 'decline' "
                         "ORDER BY timestamp DESC LIMIT 1")
    app_id = str(declined["application_id"].iloc[0])
    day = declined["date"].iloc[0].date()
    results: dict[str, Any] = {"store": args.store, "application_id": app_id, "repeat": args.repeat,
                               "rows": int(store.sql("SELECT sum(n) AS n FROM r_daily")["n"].iloc[0]),
                               "models": {}}
    rows = application_rows(store, app_id, day=day)
    for model_id in models:
        card = store.load_card(model_id)

        def load(model_id: str = model_id, card: Any = card) -> Any:
            model = load_model(store.read_artifact(model_id) or b"")
            return load_explainer(model, card, store.read_reference(model_id))

        load_ms, explainer = _median_ms(load, max(3, args.repeat // 2))
        row = rows[rows["model_id"] == model_id].head(1)
        approved = feature_sample(store, "gbm_champion", card.feature_names)
        decision = str(rows["decision"].iloc[0])

        def explain(explainer: Any = explainer, row: Any = row, card: Any = card, decision: str = decision,
                    approved: Any = approved) -> Any:
            explanation = explainer.explain(row)
            return compute_reasons(explanation.values.iloc[0], row.iloc[0], card, decision, approved)

        explain(), explain()  # warm
        explain_ms, reasons = _median_ms(explain, args.repeat)
        policy = policy_in_force(store, "gbm_champion")
        reference = store.read_reference(model_id)
        def counterfactual(e: Any = explainer, r: Any = row, c: Any = card, p: Any = policy,
                           ref: Any = reference) -> Any:
            return compute_counterfactual(e.predict, c, r[c.feature_names].reset_index(drop=True),
                                          p.approve_below, ref)

        cf_ms, cf = _median_ms(counterfactual, 3)
        results["models"][model_id] = {
            "explainer": explainer.kind, "link": explainer.link,
            "explainer_load_ms_median": load_ms, "explanation_and_reasons_warm_ms_median": explain_ms,
            "counterfactual_ms_median": cf_ms, "counterfactual_found": cf.found,
            "reasons": [r.text for r in reasons]}
    last = rows["date"].iloc[0].date()
    flt = QueueFilter("gbm_champion", last - dt.timedelta(days=6), last, ("decline",), 0.0, 1.0)
    results["queue_page_ms_median"], _ = _median_ms(lambda: decision_queue(store, flt), args.repeat)
    results["application_by_id_with_day_ms_median"], _ = _median_ms(
        lambda: application_rows(store, app_id, day=day), args.repeat)
    results["application_by_id_deep_link_ms_median"], _ = _median_ms(
        lambda: application_rows(store, app_id, model_hint="gbm_champion"), 3)
    results["approved_sample_ms_median"], _ = _median_ms(
        lambda: feature_sample(store, "gbm_champion", store.load_card("gbm_champion").feature_names), 3)
    out = ROOT / "benchmarks" / "results" / f"decisions-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", "utf-8")
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
