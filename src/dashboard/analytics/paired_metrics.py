"""Accuracy of models scored on the same applications, and the paired difference (pure).

Metrics are scikit-learn's on the labelled rows; each model's 95% intervals come from a
bootstrap over (score bin x label) cells, which resamples the rows exactly as a row bootstrap
would except that rows sharing one of 1,000 rank bins are exchangeable (the interval is then
shifted onto the exact point estimate). Both models scored the same applications, so a
challenger is judged on its paired difference from the champion (DeLong for AUC and Gini, the
paired t interval for Brier, a paired bootstrap for KS), never on whether two per-model
intervals overlap. Scores are P(bad).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, ttest_rel
from sklearn.metrics import auc as trapezoid_auc
from sklearn.metrics import confusion_matrix_at_thresholds

METRICS = ("auc", "ks", "gini", "brier")
BOOTSTRAP_BINS = 1000          # rank bins per model in the bootstraps
BOOTSTRAP_ROWS = 10_000        # applications per bootstrap draw (an m-out-of-n bootstrap beyond it)
LOWER_IS_BETTER = frozenset({"brier"})
NO_EVIDENCE = "no evidence of a difference"


# ---------------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class RankedScores:
    """False and true positives at each distinct score, riskiest first (scikit-learn's curve).

    One sort per model serves AUC, KS, the ROC and the precision-recall curves alike.
    """

    fps: np.ndarray
    tps: np.ndarray

    @property
    def fpr(self) -> np.ndarray:
        return np.concatenate([[0.0], self.fps / self.fps[-1]])

    @property
    def tpr(self) -> np.ndarray:
        return np.concatenate([[0.0], self.tps / self.tps[-1]])


def compute_ranked(y: np.ndarray, score: np.ndarray) -> RankedScores | None:
    """The cumulative counts behind every threshold curve; None with one class or no rows."""
    y = np.asarray(y, dtype=int)
    if len(y) == 0 or y.min() == y.max():
        return None
    _, fps, _, tps, _ = confusion_matrix_at_thresholds(y, np.asarray(score, dtype=float))
    return RankedScores(fps=np.asarray(fps, dtype=float), tps=np.asarray(tps, dtype=float))


def compute_metrics(y: np.ndarray, score: np.ndarray,
                    ranked: RankedScores | None = None) -> dict[str, float | None]:
    """AUC, KS, Gini and Brier on the given rows (None where undefined: one class only).

    AUC is the trapezoid area under scikit-learn's ROC points (as `roc_auc_score`), KS the
    largest gap between the two cumulative distributions.
    """
    y = np.asarray(y, dtype=int)
    s = np.asarray(score, dtype=float)
    out: dict[str, float | None] = dict.fromkeys(METRICS)
    if len(y) == 0:
        return out
    out["brier"] = float(np.mean((s - y) ** 2))
    ranked = ranked if ranked is not None else compute_ranked(y, s)
    if ranked is None:
        return out
    fpr, tpr = ranked.fpr, ranked.tpr
    auc = float(trapezoid_auc(fpr, tpr))
    out.update(auc=auc, gini=2 * auc - 1, ks=float(np.max(tpr - fpr)))
    return out


def compute_calibration(y: np.ndarray, score: np.ndarray, level: float = 0.95) -> dict[str, float | None]:
    """Realized over expected bads (scores are P(bad)) with a normal interval of the ratio.

    The variance of the realized count under the scores is sum p(1 - p) (a Poisson-binomial);
    a ratio whose interval excludes 1 is miscalibrated beyond sampling noise.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(score, dtype=float)
    observed, expected = float(y.sum()), float(p.sum())
    if len(y) == 0 or expected <= 0:
        return {"observed": observed, "expected": expected, "ratio": None, "ratio_lo": None, "ratio_hi": None}
    half = float(norm.ppf(0.5 + level / 2)) * float(np.sqrt(np.sum(p * (1 - p))))
    return {"observed": observed, "expected": expected, "ratio": observed / expected,
            "ratio_lo": (observed - half) / expected, "ratio_hi": (observed + half) / expected}


def _rank_bins(score: np.ndarray, bins: int) -> np.ndarray:
    """Each row's bin: its distinct score's position when there are at most `bins` distinct scores,
    else one of `bins` bins of equal rank width. Tied scores share a bin; bins keep the score order.

    Rank bins, unlike a fixed grid on [0, 1], resolve a model whose scores sit in a narrow band.
    """
    uniq, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    if len(uniq) <= bins:
        return inverse.astype(np.int64)
    before = np.cumsum(counts) - counts
    return (before * bins // len(score))[inverse].astype(np.int64)


def _binned_metrics(counts: np.ndarray, mean_sq: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics for each row of a (draws x cells) count matrix, cells interleaved good/bad by bin."""
    goods, bads = counts[:, 0::2], counts[:, 1::2]
    ng, nb = goods.sum(axis=1), bads.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum_goods = np.cumsum(goods, axis=1)
        auc = (bads * (cum_goods - 0.5 * goods)).sum(axis=1) / (ng * nb)
        ks = np.max(np.abs(cum_goods / ng[:, None] - np.cumsum(bads, axis=1) / nb[:, None]), axis=1)
        brier = (counts * mean_sq).sum(axis=1) / (ng + nb)
    return {"auc": auc, "ks": ks, "gini": 2 * auc - 1, "brier": brier}


@dataclass(frozen=True)
class BootstrapDraws:
    """Every model's binned metrics on the same bootstrap resamples of the applications.

    `draws[model][metric]`: one value per resample; `centre[model][metric]`: the same binned
    metric on all rows, the centre the resamples scatter around; `scale`: sqrt(size / n),
    which turns the spread of resamples of `size` rows into that of n rows.
    """

    draws: dict[str, dict[str, np.ndarray]]
    centre: dict[str, dict[str, float]]
    scale: float

    def interval(self, model_id: str, metric: str, exact: float | None, level: float = 0.95,
                 against: str | None = None) -> tuple[float, float] | None:
        """The percentile interval moved onto the exact value (of `model_id` minus `against`, if given)."""
        if exact is None or model_id not in self.draws:
            return None
        values = self.draws[model_id][metric] - (self.draws[against][metric] if against else 0.0)
        centre = self.centre[model_id][metric] - (self.centre[against][metric] if against else 0.0)
        values = values[np.isfinite(values)]
        if len(values) == 0 or not np.isfinite(centre):
            return None
        alpha = (1 - level) / 2
        lo, hi = float(exact) + self.scale * (np.quantile(values, [alpha, 1 - alpha]) - centre)
        return float(lo), float(hi)


def compute_bootstrap_draws(y: np.ndarray, scores: dict[str, np.ndarray], draws: int = 400, seed: int = 0,
                            rows: int = BOOTSTRAP_ROWS) -> BootstrapDraws:
    """A paired bootstrap: each draw resamples application indices once, and every model's
    metrics are computed on that same resample, so differences between models are paired.

    Each model's rows fall in (rank bin x label) cells and a resample's metrics come from its
    cell counts: rows sharing a bin are exchangeable, as in a row bootstrap of binned scores.
    Beyond `rows` applications each draw holds `rows` of them (an m-out-of-n bootstrap, its
    spread rescaled by sqrt(rows / n)): 400 full-size draws on 100k rows take seconds.
    """
    y = np.asarray(y, dtype=int)
    n = len(y)
    if n < 2:
        return BootstrapDraws(draws={}, centre={}, scale=1.0)
    size = min(n, rows)
    # int32 cells and indices: the gathers and counts below run three times faster than in int64.
    cells, mean_sq, centre = {}, {}, {}
    for m, s in scores.items():
        s = np.asarray(s, dtype=float)
        cell = _rank_bins(s, BOOTSTRAP_BINS) * 2 + y
        width = 2 * (int(cell.max()) // 2 + 1)  # the bins in use: fewer than 1,000 on small samples
        counts = np.bincount(cell, minlength=width).astype(float)
        sq = np.bincount(cell, weights=(s - y) ** 2, minlength=width)
        mean_sq[m] = np.divide(sq, counts, out=np.zeros(width), where=counts > 0)
        cells[m] = cell.astype(np.int32)
        centre[m] = {k: float(v[0]) for k, v in _binned_metrics(counts[None, :], mean_sq[m]).items()}
    rng = np.random.default_rng(seed)
    chunks: dict[str, list[dict[str, np.ndarray]]] = {m: [] for m in scores}
    step = max(1, 2_000_000 // size)  # bounded memory: about 2M drawn indices at a time
    for start in range(0, draws, step):
        batch = min(step, draws - start)
        idx = rng.integers(0, n, size=(batch, size), dtype=np.int32)
        for m, cell in cells.items():
            width = len(mean_sq[m])
            drawn = cell[idx]
            drawn += (np.arange(batch, dtype=np.int32) * width)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=batch * width).reshape(batch, width)
            chunks[m].append(_binned_metrics(counts.astype(float), mean_sq[m]))
    out = {m: {k: np.concatenate([c[k] for c in parts]) for k in METRICS} for m, parts in chunks.items() if parts}
    return BootstrapDraws(draws=out, centre=centre, scale=float(np.sqrt(size / n)))


def compute_bootstrap_intervals(y: np.ndarray, score: np.ndarray, draws: int = 400, seed: int = 0,
                                level: float = 0.95, exact: dict[str, float | None] | None = None,
                                ) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap intervals for each metric (None where the metric is undefined)."""
    exact = exact if exact is not None else compute_metrics(y, score)
    boot = compute_bootstrap_draws(y, {"model": score}, draws=draws, seed=seed)
    return {name: boot.interval("model", name, exact[name], level) for name in METRICS}


def _delong_components(y: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray]:
    """AUC and DeLong's component of each row: for a bad, the share of goods scored below it; for
    a good, the share of bads scored above it (ties count half). The AUC is the bads' mean.

    One sort: each tie group's goods and bads below it give every row's component.
    """
    order = np.argsort(score, kind="stable")
    s, yo = score[order], y[order]
    new_group = np.concatenate([[True], s[1:] != s[:-1]])
    starts, group = np.flatnonzero(new_group), np.cumsum(new_group) - 1
    bads_in = np.add.reduceat(yo, starts).astype(float)
    goods_in = np.diff(np.append(starts, len(s))) - bads_in
    bads_below, goods_below = np.cumsum(bads_in) - bads_in, np.cumsum(goods_in) - goods_in
    m, k = float(bads_in.sum()), float(goods_in.sum())
    sorted_v = np.where(yo == 1, (goods_below + goods_in / 2)[group] / k,
                        1.0 - (bads_below + bads_in / 2)[group] / m)
    v = np.empty(len(s))
    v[order] = sorted_v  # back to the rows' own order: the two models' components pair up by row
    return float(v[y == 1].mean()), v


def compute_auc_difference(y: np.ndarray, champion: np.ndarray, challenger: np.ndarray) -> tuple[float, float] | None:
    """Challenger minus champion AUC on the same rows and its standard error (DeLong et al., 1988).

    Hand-written because neither scikit-learn nor scipy has DeLong's test (the packages that do
    are small single-maintainer ones). Exact, ties included, in one sort per model; unlike the
    binned bootstrap it also resolves two models that differ only within a score bin. The
    difference's variance is that of the paired components over the bads plus over the goods.
    None with fewer than two bads or two goods.
    """
    y = np.asarray(y, dtype=int)
    bad = y == 1
    m, k = int(bad.sum()), int((~bad).sum())
    if m < 2 or k < 2:
        return None
    auc_a, v_a = _delong_components(y, np.asarray(champion, dtype=float))
    auc_b, v_b = _delong_components(y, np.asarray(challenger, dtype=float))
    d = v_b - v_a
    var = np.var(d[bad], ddof=1) / m + np.var(d[~bad], ddof=1) / k
    return auc_b - auc_a, float(np.sqrt(max(var, 0.0)))


def compute_brier_difference(y: np.ndarray, champion: np.ndarray, challenger: np.ndarray,
                             level: float = 0.95) -> tuple[float, float, float] | None:
    """Challenger minus champion Brier score and its paired t interval (scipy's `ttest_rel`).

    The Brier difference is the mean of per-application differences, so the paired t interval
    fits it exactly; None with fewer than two rows.
    """
    y = np.asarray(y, dtype=float)
    if len(y) < 2:
        return None
    a = (np.asarray(champion, dtype=float) - y) ** 2
    b = (np.asarray(challenger, dtype=float) - y) ** 2
    diff = float(np.mean(b - a))
    if np.ptp(b - a) == 0:  # the same difference on every row: no sampling noise (scipy gives NaN)
        return diff, diff, diff
    ci = ttest_rel(b, a).confidence_interval(confidence_level=level)
    return diff, float(ci.low), float(ci.high)


def judge_difference(metric: str, lo: float | None, hi: float | None, champion: str, challenger: str) -> str:
    """The verdict on a challenger-minus-champion interval: which model is better, if either."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "n/a"
    if lo <= 0.0 <= hi:
        return NO_EVIDENCE
    challenger_better = (lo > 0.0) != (metric in LOWER_IS_BETTER)
    return f"{challenger if challenger_better else champion} is better"


def compute_paired_differences(y: np.ndarray, scores: dict[str, np.ndarray], champion: str, draws: int = 400,
                               seed: int = 0, level: float = 0.95,
                               exact: dict[str, dict[str, float | None]] | None = None,
                               boot: BootstrapDraws | None = None) -> pd.DataFrame:
    """Each challenger minus the champion on the same applications: difference, interval, verdict.

    AUC by DeLong's test, Gini from it (Gini = 2 x AUC - 1: twice the AUC's difference and
    interval), Brier by the paired t interval, KS by the paired bootstrap (`boot`, drawn here
    when not given). One row per challenger and metric: model_id, metric, difference, lo, hi,
    verdict ("no evidence of a difference" when the interval covers 0, else which is better).
    """
    y = np.asarray(y, dtype=int)
    exact = exact if exact is not None else {m: compute_metrics(y, s) for m, s in scores.items()}
    challengers = [m for m in scores if m != champion]
    if boot is None and challengers:
        boot = compute_bootstrap_draws(y, scores, draws=draws, seed=seed)
    z = float(norm.ppf(0.5 + level / 2))
    rows: list[dict[str, Any]] = []
    for m in challengers:
        found: dict[str, tuple[float, float, float] | None] = dict.fromkeys(METRICS)
        auc = compute_auc_difference(y, scores[champion], scores[m])
        if auc is not None:
            d, se = auc
            found["auc"] = (d, d - z * se, d + z * se)
            found["gini"] = (2 * d, 2 * (d - z * se), 2 * (d + z * se))
        found["brier"] = compute_brier_difference(y, scores[champion], scores[m], level)
        ks_a, ks_b = exact[champion]["ks"], exact[m]["ks"]
        if ks_a is not None and ks_b is not None and boot is not None:
            d = float(ks_b) - float(ks_a)
            ks = boot.interval(m, "ks", d, level, against=champion)
            found["ks"] = (d, *ks) if ks is not None else None
        for name in METRICS:
            value = found[name]
            if value is None:
                rows.append({"model_id": m, "metric": name, "difference": None, "lo": None, "hi": None,
                             "verdict": judge_difference(name, None, None, champion, m)})
                continue
            rows.append({"model_id": m, "metric": name, "difference": value[0], "lo": value[1], "hi": value[2],
                         "verdict": judge_difference(name, value[1], value[2], champion, m)})
    return pd.DataFrame(rows, columns=["model_id", "metric", "difference", "lo", "hi", "verdict"])


def compute_metric_table(y: np.ndarray, scores: dict[str, np.ndarray], draws: int = 400,
                         seed: int = 0, ranked: dict[str, RankedScores | None] | None = None,
                         champion: str | None = None) -> pd.DataFrame:
    """One row per model: n, bads, each metric with its 95% interval, and on each challenger's row
    its paired difference from the champion: `<metric>_diff`, `_diff_lo`, `_diff_hi` and
    `_verdict` (empty on the champion's row). The champion is the first model unless named.

    One paired bootstrap serves every model's intervals and the KS differences.
    """
    champion = champion if champion is not None else next(iter(scores), None)
    points = {m: compute_metrics(y, s, ranked.get(m) if ranked is not None else None) for m, s in scores.items()}
    boot = compute_bootstrap_draws(y, scores, draws=draws, seed=seed)
    paired = compute_paired_differences(y, scores, champion, exact=points, boot=boot) \
        if champion is not None else pd.DataFrame(columns=["model_id", "metric"])
    found = {(r.model_id, r.metric): r for r in paired.itertuples(index=False)}
    rows = []
    for model_id in scores:
        point = points[model_id]
        row: dict[str, Any] = {"model_id": model_id, "n": int(len(y)), "bads": int(np.sum(y))}
        for name in METRICS:
            row[name] = point[name]
            interval = boot.interval(model_id, name, point[name])
            row[f"{name}_lo"] = interval[0] if interval else None
            row[f"{name}_hi"] = interval[1] if interval else None
        for name in METRICS:
            diff = found.get((model_id, name))
            row[f"{name}_diff"] = diff.difference if diff is not None else None
            row[f"{name}_diff_lo"] = diff.lo if diff is not None else None
            row[f"{name}_diff_hi"] = diff.hi if diff is not None else None
            row[f"{name}_verdict"] = diff.verdict if diff is not None else None
        rows.append(row)
    return pd.DataFrame(rows)
