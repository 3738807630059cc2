"""`dashboard report performance --format json` against the raw rows of every portfolio.

Each model of each portfolio, each month of its logs. Realized metrics use the model's rows
whose application has a matured outcome (the latest outcome row per application); label
maturity divides that count by the loans the deciding model approved in the month.

| figure | tolerance | why |
|---|---|---|
| applications, matured count | exact | counts |
| approval rate, label maturity, bad rate | 1e-9 | ratios of exact counts |
| AUC | `roc_auc_score` within the stated `auc_bound` (at least 0.001), and the bound equal to half the share of good-bad pairs sharing a 0.001 bin, computed here | a tie inside a bin counts half |
| KS | `ks_2samp` between `ks` and `ks + ks_bound`, and the bound equal to the largest share of a class in one bin, computed here | CDFs compared on the 0.001 bin edges only |
| Brier | 0.0005 vs `brier_score_loss` | the score replaced by its bin midpoint: \\|s^2 - m^2\\| <= 0.001 |
| score PSI | decile PSI of the raw scores against the reference window the JSON names; tolerance = the spread when every decile cut moves to the 0.001 grid below or above, + 0.001 | PSI is computed from 0.001-wide bins |
| latency p50 / p95 | 2% of `numpy.quantile`, or the JSON says it is a bound (then >= the raw quantile and at most 13% above, one 20-per-decade bin) | SPEC.md |

AUC and KS are compared only where the month has at least 10 bads and 10 goods (the
project leaves them empty below that, documented); an empty value where the raw rows have
enough labels is a failure.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score

from tests.conformance import oracle
from tests.conformance.checks import Checks
from tests.conformance.portfolios import Portfolio, cli

MIN_RANKING = 10


def _report(p: Portfolio, model: str) -> dict:
    code, out, err = cli(p.store, "report", "performance", "--model", model, "--format", "json")
    assert code in (0, 1), f"report performance exited {code}: {err}"
    data = oracle.loads_plain(out)
    assert oracle.printed_frames(data) == []
    return data


@pytest.fixture
def reports(portfolio: Portfolio) -> dict[str, dict]:
    return {m: portfolio.cached(f"performance {m}", lambda m=m: _report(portfolio, m)) for m in portfolio.models}


def _by_month(data: dict) -> dict[str, dict]:
    return {str(m["period"])[:7]: m for m in data["months"]}


def test_volume_approval_and_maturity(portfolio: Portfolio, reports: dict[str, dict], checks: Checks) -> None:
    champ = oracle.champion_rows(portfolio)
    granted = champ[champ["decision"] == "approve"].groupby("month").size()
    for model in portfolio.models:
        rows = oracle.model_rows(portfolio, model)
        months = _by_month(reports[model])
        checks.value("months listed", model, sorted(months), sorted(rows["month"].unique()))
        for month, part in rows.groupby("month"):
            got = months.get(month)
            if got is None:
                checks.truth("month present", f"{model} {month}", False, "month missing from the report")
                continue
            where = f"{model} {month}"
            decided = part["decision"].isin(oracle.DECIDED)
            checks.value("applications", where, got["applications"], len(part))
            approval = (part["decision"] == "approve").sum() / decided.sum() if decided.any() else None
            checks.value("approval rate", where, got["approval_rate"], approval, abs_=1e-9)
            matured = part[part["matured"]]
            checks.value("matured count", where, got["labelled"], len(matured))
            g = float(granted.get(month, 0))
            checks.value("label maturity", where, got["label_maturity"],
                         min(len(matured) / g, 1.0) if g else None, abs_=1e-9)
            checks.value("bad rate", where, got["bad_rate"],
                         float(matured["outcome_label"].mean()) if len(matured) else None, abs_=1e-9)
    checks.done()


def test_ranking_and_calibration(portfolio: Portfolio, reports: dict[str, dict], checks: Checks) -> None:
    for model in portfolio.models:
        rows = oracle.model_rows(portfolio, model)
        months = _by_month(reports[model])
        for month, part in rows.groupby("month"):
            got = months.get(month)
            matured = part[part["matured"]]
            if got is None or matured.empty:
                continue
            where = f"{model} {month}"
            y = matured["outcome_label"].astype(int).to_numpy()
            s = matured["score"].to_numpy()
            checks.value("Brier", where, got["brier"], float(brier_score_loss(y, s)), abs_=5e-4)
            bads, goods = int(y.sum()), int(len(y) - y.sum())
            if bads >= MIN_RANKING and goods >= MIN_RANKING:
                # What 0.001-wide bins can cost: half the good-bad pairs that share a bin (AUC),
                # the largest good or bad mass in one bin (KS). The report must state that bound,
                # and the exact figure must lie within it (and within 0.001 / 0.01 where it is small).
                b = matured["bin"].to_numpy()
                per_bin = pd.crosstab(b, y).reindex(columns=[0, 1], fill_value=0).to_numpy(dtype=float)
                ties = 0.5 * float((per_bin[:, 0] * per_bin[:, 1]).sum()) / (goods * bads)
                mass = float(max((per_bin[:, 0] / goods).max(), (per_bin[:, 1] / bads).max()))
                checks.value("AUC bound stated", where, got.get("auc_bound"), ties, abs_=1e-9)
                checks.value("KS bound stated", where, got.get("ks_bound"), mass, abs_=1e-9)
                checks.value("AUC", f"{where} (within its stated bound {ties:.4f})", got["auc"],
                             float(roc_auc_score(y, s)), abs_=max(1e-3, ties + 1e-9))
                exact_ks = float(ks_2samp(s[y == 1], s[y == 0]).statistic)
                low, high = (got["ks"] or 0.0) - 1e-9, (got["ks"] or 0.0) + mass + 1e-9
                checks.truth("KS", f"{where} (exact {exact_ks:.4f} within [ks, ks + {mass:.3f}])",
                             got["ks"] is not None and low <= exact_ks <= high, f"got {got['ks']}")
            elif got["auc"] is not None:
                # Shown on fewer labels than documented: still must be right.
                checks.value("AUC", where, got["auc"], float(roc_auc_score(y, s)) if bads and goods else None,
                             abs_=1e-3)
    checks.done()


def _reference_months(text: str) -> tuple[str, str]:
    found = re.findall(r"\d{4}-\d{2}", text or "")
    assert len(found) >= 2, f"the reference window {text!r} names no months"
    return found[0], found[1]


def test_score_psi(portfolio: Portfolio, reports: dict[str, dict], checks: Checks) -> None:
    for model in portfolio.models:
        rows = oracle.model_rows(portfolio, model)
        first, last = _reference_months(reports[model]["reference_window"])
        ref = rows[(rows["month"] >= first) & (rows["month"] <= last)]["score"].to_numpy()
        for month, got in _by_month(reports[model]).items():
            cur = rows[rows["month"] == month]["score"].to_numpy()
            exact, tol = oracle.fixed_step_psi_band(ref, cur, 0.001)
            checks.value("score PSI", f"{model} {month}", got["psi"], exact, abs_=tol,
                         tolerance="decile cuts on the 0.001 grid + 0.001")
    checks.done()


def _says_bound(data: dict) -> bool:
    """Whether the report states that its latency percentiles are bounds (upper bin edges)."""
    text = repr(data).lower()
    return bool(re.search(r"latency[^'\"]*(bound|upper edge|at most)|(bound|upper edge|at most)[^'\"]*latency", text))


def test_latency_percentiles(portfolio: Portfolio, reports: dict[str, dict], checks: Checks) -> None:
    for model in portfolio.models:
        rows = oracle.model_rows(portfolio, model)
        months = _by_month(reports[model])
        bound = _says_bound(reports[model])
        for month, part in rows.groupby("month"):
            got = months.get(month, {})
            where = f"{model} {month}"
            if not portfolio.has_latency or "latency_ms" not in part:
                checks.value("latency p95 (none logged)", where, got.get("latency_p95"), None)
                continue
            lat = part["latency_ms"].astype(float).dropna().to_numpy()
            for q, key in ((0.5, "latency_p50"), (0.95, "latency_p95")):
                true = float(np.quantile(lat, q))
                value = got.get(key)
                if bound and value is not None and true <= value <= true * 1.13:
                    checks.value(f"latency {key[-3:]}", where, value, value, tolerance="labelled bound")
                else:
                    checks.value(f"latency {key[-3:]}", where, value, true, rel=0.02,
                                 tolerance="2% (or a labelled bound)")
    checks.done()


def test_json_is_plain_data(portfolio: Portfolio, reports: dict[str, dict], checks: Checks) -> None:
    for model, data in reports.items():
        checks.truth("JSON is plain data", model, oracle.printed_frames(data) == [], str(oracle.printed_frames(data)))
        periods = [m["period"] for m in data["months"]]
        checks.truth("months are ISO dates", model, all(pd.Timestamp(p).day == 1 for p in periods), str(periods[:3]))
    checks.done()
