"""Confidence-based performance estimation (CBPE, as in NannyML) from score histograms.

Labels arrive months late and only for granted loans. For cohorts without labels we
estimate performance from the scores alone: calibrate the score on a reference period
whose outcomes have matured (isotonic regression, scikit-learn), then treat each
calibrated probability p as the expected share of bads. A bin with n applications
contributes n*p expected bads and n*(1-p) expected goods, which gives an expected
confusion matrix at any cutoff and an expected ROC curve (hence an expected AUC).

The honest limitation: CBPE assumes the calibration found on the reference still holds.
It follows a change in who applies (data drift) but cannot see a change in how the same
applicant behaves (concept drift); only realized labels show that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from dashboard.analytics.histogram import auc_from_histogram, auc_standard_error
from dashboard.analytics.performance import MIDPOINTS, HistogramCube, compute_metrics_2d, cutoff_bin
from dashboard.errors import DashboardError

ESTIMATE_LIMITATION = (
    "The estimate assumes the score means what it meant in the reference period. It follows "
    "shifts in who applies (data drift) but cannot see the same applicants defaulting more "
    "often (concept drift): only realized outcomes reveal that, months later."
)


class EstimationError(DashboardError, ValueError):
    """No usable reference to calibrate on; the message says what is missing."""


@dataclass(frozen=True)
class Calibration:
    """Calibrated P(bad) per score bin, fitted on matured outcomes of a reference window."""

    probability: np.ndarray   # one value per bin
    labelled: int             # matured outcomes used
    bads: int
    last_supported_bin: int   # above it no outcome exists (declined); raw score is used there
    reference: str            # e.g. "2025-05 to 2025-10"


def fit_calibration(goods: np.ndarray, bads: np.ndarray, reference: str = "reference",
                    min_labelled: int = 50) -> Calibration:
    """Isotonic calibration of the bin midpoint score against the matured outcomes.

    Above the highest bin with outcomes (scores that were declined, so never labelled) no
    data exists to calibrate on, and the model's own probability is used unchanged.
    """
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    n = g + b
    if n.sum() < min_labelled or b.sum() == 0 or g.sum() == 0:
        raise EstimationError(
            f"the reference window {reference} has {int(n.sum())} matured outcomes ({int(b.sum())} bad); "
            f"at least {min_labelled} with both goods and bads are needed to calibrate the estimate")
    mid = MIDPOINTS[: len(g)]
    support = np.flatnonzero(n > 0)
    x = np.concatenate([mid[support], mid[support]])
    y = np.concatenate([np.zeros(len(support)), np.ones(len(support))])
    w = np.concatenate([g[support], b[support]])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y, sample_weight=w)
    prob = iso.predict(mid)
    last = int(support.max())
    prob[last + 1:] = np.maximum(mid[last + 1:], prob[last])  # keep it monotone past the data
    return Calibration(prob, int(n.sum()), int(b.sum()), last, reference)


def estimate_population(cube: HistogramCube, cutoffs: Sequence[float]) -> np.ndarray:
    """The rows the estimate covers, matching the realized population (granted loans).

    Rows this model decided count when approved; shadow rows (decided by another model)
    count when this model's own cutoff would approve them.
    """
    shadow = cube.n - cube.n_decided
    out = cube.n_approve.copy()
    for i, cutoff in enumerate(cutoffs):
        c = cutoff_bin(cutoff, cube.n.shape[1])
        out[i, :c] += shadow[i, :c]
    return out


def compute_expected_metrics(counts: np.ndarray, calibration: Calibration,
                             cutoff: float | None = None) -> dict[str, float | None]:
    """Expected bad rate, AUC and confusion matrix at `cutoff` for one histogram of counts."""
    n = np.asarray(counts, dtype=float)
    p = calibration.probability[: len(n)]
    exp_bad, exp_good = n * p, n * (1 - p)
    total = n.sum()
    out: dict[str, float | None] = {
        "expected_bad_rate": float(exp_bad.sum() / total) if total else None,
        "expected_auc": auc_from_histogram(exp_good, exp_bad) if total else None,
        "tp": None, "fp": None, "fn": None, "tn": None, "expected_precision": None, "expected_recall": None,
    }
    if cutoff is not None and total:
        c = cutoff_bin(cutoff, len(n))
        tp, fp = float(exp_bad[c:].sum()), float(exp_good[c:].sum())
        fn, tn = float(exp_bad[:c].sum()), float(exp_good[:c].sum())
        out.update(tp=tp, fp=fp, fn=fn, tn=tn,
                   expected_precision=tp / (tp + fp) if tp + fp else None,
                   expected_recall=tp / (tp + fn) if tp + fn else None)
    return out


def compute_estimates(cube: HistogramCube, calibration: Calibration, cutoffs: Sequence[float]) -> pd.DataFrame:
    """Per period: the estimate on the granted population, and through the door.

    `expected_auc` and `expected_bad_rate` cover the same population as the realized
    metrics (approved loans), so the two can be compared. The expected confusion matrix
    and precision/recall use every scored application at the cutoff in force, which is
    where the cutoff acts (declines never get an outcome, so nothing realized exists there).
    """
    population = estimate_population(cube, cutoffs)
    p = calibration.probability[: cube.n.shape[1]]
    pop = compute_metrics_2d(population * (1 - p), population * p, cutoffs)
    ttd = compute_metrics_2d(cube.n * (1 - p), cube.n * p, cutoffs)
    exp_bad = cube.n * p
    exp_good = cube.n - exp_bad
    c = np.array([cutoff_bin(x, cube.n.shape[1]) for x in cutoffs], dtype=np.int64)
    above = np.arange(cube.n.shape[1])[None, :] >= c[:, None]
    tp, fp = (exp_bad * above).sum(axis=1), (exp_good * above).sum(axis=1)
    fn, tn = exp_bad.sum(axis=1) - tp, exp_good.sum(axis=1) - fp
    return pd.DataFrame({
        "period": cube.periods, "estimate_population": population.sum(axis=1).astype(int),
        "expected_auc": pop["auc"], "expected_bad_rate": pop["bad_rate"], "expected_auc_all": ttd["auc"],
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "expected_precision": ttd["precision"], "expected_recall": ttd["recall"]})


def pool_cube(cube: HistogramCube, keys: Sequence[str]) -> tuple[list[str], HistogramCube]:
    """Sum periods that share a key (e.g. month -> quarter); keys keep their first order."""
    order = list(dict.fromkeys(keys))
    k = np.array(keys)
    parts = [cube.pooled(k == key) for key in order]
    if not parts:
        return [], cube
    stacked = HistogramCube([p.periods[0] for p in parts],
                            *(np.vstack([getattr(p, c) for p in parts])
                              for c in ("n", "n_approve", "n_decided", "n_labelled", "n_bad")))
    return order, stacked


def compute_validation(cube: HistogramCube, calibration: Calibration, cutoffs: Sequence[float],
                       labels: Sequence[str], min_labelled: int = 200) -> pd.DataFrame:
    """Estimate against realized truth on cohorts whose outcomes arrived.

    Per cohort: realized AUC and bad rate on matured outcomes, the estimate on the same
    (granted) population, the error, and the realized AUC's own sampling noise (two
    Hanley-McNeil standard errors): an error inside that band is indistinguishable from noise.
    """
    population = estimate_population(cube, cutoffs)
    rows = []
    for i, label in enumerate(labels):
        labelled = int(cube.n_labelled[i].sum())
        if labelled < min_labelled:
            continue
        bads = int(cube.n_bad[i].sum())
        goods = labelled - bads
        realized = auc_from_histogram(cube.goods[i], cube.n_bad[i])
        est = compute_expected_metrics(population[i], calibration)
        granted = population[i].sum()
        se = auc_standard_error(realized, bads, goods) if realized is not None else None
        rows.append({
            "cohort": label, "matured outcomes": labelled, "bads": bads,
            "label maturity": min(labelled / granted, 1.0) if granted else None,
            "realized AUC": realized, "estimated AUC": est["expected_auc"],
            "AUC error": None if realized is None or est["expected_auc"] is None else est["expected_auc"] - realized,
            "noise (2 SE)": None if se is None else 2 * se,
            "realized bad rate": bads / labelled if labelled else None,
            "estimated bad rate": est["expected_bad_rate"],
            "bad rate error": None if est["expected_bad_rate"] is None else est["expected_bad_rate"] - bads / labelled,
        })
    return pd.DataFrame(rows)
