"""Champion versus challengers on the same applications: pure computations.

Accuracy metrics are scikit-learn's on the labelled rows; each model's 95% intervals come
from a bootstrap over (score bin x label) cells, which resamples the rows exactly as a row
bootstrap would except that rows sharing one of 1,000 rank bins are exchangeable (the
interval is then shifted onto the exact point estimate). Both models scored the same
applications, so a challenger is judged on its paired difference from the champion (DeLong
for AUC and Gini, the paired t interval for Brier, a paired bootstrap for KS), never on
whether two per-model intervals overlap. Scores are P(bad).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, ttest_rel
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import auc as trapezoid_auc
from sklearn.metrics import confusion_matrix_at_thresholds
from threadpoolctl import threadpool_limits

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.fairness import (
    FOUR_FIFTHS,
    compute_adverse_impact,
    compute_group_rates,
    count_groups,
)
from dashboard.analytics.histogram import decile_psi
from dashboard.analytics.money import compute_expected_money, compute_loan_money
from dashboard.models.artifact import predict_scores
from dashboard.models.card import ModelCard

METRICS = ("auc", "ks", "gini", "brier")
BOOTSTRAP_BINS = 1000          # rank bins per model in the bootstraps
BOOTSTRAP_ROWS = 10_000        # applications per bootstrap draw (an m-out-of-n bootstrap beyond it)
LOWER_IS_BETTER = frozenset({"brier"})
NO_EVIDENCE = "no evidence of a difference"
MATERIAL_SHARE = 0.05          # a feature is material when it carries >= 5% of the total importance
MONOTONE_TOLERANCE = 1e-4      # average score steps smaller than this are treated as flat
PDO, BASE_POINTS, BASE_ODDS = 20.0, 600.0, 50.0   # scorecard scaling: 600 points at 50:1 good:bad, 20 to double


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


# ---------------------------------------------------------------------------- curves
def _thin(frame: pd.DataFrame, points: int) -> pd.DataFrame:
    if len(frame) <= points:
        return frame
    idx = np.unique(np.linspace(0, len(frame) - 1, points).round().astype(int))
    return frame.iloc[idx].reset_index(drop=True)


def compute_curves(y: np.ndarray, scores: dict[str, np.ndarray], points: int = 200,
                   ranked: dict[str, RankedScores | None] | None = None) -> dict[str, pd.DataFrame]:
    """ROC (fpr, tpr), precision-recall and calibration (10 quantile bins), per model, long frames.

    The curves are scikit-learn's (`roc_curve`, `precision_recall_curve`), built from one
    sort per model and thinned to about `points` points each for drawing.
    """
    roc, pr, cal = [], [], []
    y = np.asarray(y, dtype=int)
    if len(y) == 0 or y.min() == y.max():
        empty = pd.DataFrame(columns=["model_id", "x", "y"])
        return {"roc": empty, "pr": empty.copy(), "calibration": empty.copy()}
    for model_id, s in scores.items():
        r = ranked.get(model_id) if ranked is not None else None
        r = r if r is not None else compute_ranked(y, s)
        if r is None:
            continue
        roc.append(_thin(pd.DataFrame({"x": r.fpr, "y": r.tpr}), points).assign(model_id=model_id))
        ps = r.tps + r.fps
        precision = np.divide(r.tps, ps, out=np.zeros_like(r.tps), where=ps != 0)
        recall = r.tps / r.tps[-1]
        pr.append(_thin(pd.DataFrame({"x": np.append(recall[::-1], 0.0), "y": np.append(precision[::-1], 1.0)}),
                        points).assign(model_id=model_id))
        prob_true, prob_pred = calibration_curve(y, s, n_bins=10, strategy="quantile")
        cal.append(pd.DataFrame({"x": prob_pred, "y": prob_true, "model_id": model_id}))
    return {"roc": pd.concat(roc, ignore_index=True), "pr": pd.concat(pr, ignore_index=True),
            "calibration": pd.concat(cal, ignore_index=True)}


def compute_gains(y: np.ndarray, scores: dict[str, np.ndarray], groups: int = 10,
                  orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Gains by decile, riskiest first: bad rate and cumulative share of bads captured.

    `orders`: each model's rows riskiest first (a stable sort of -score), when already sorted.
    """
    y = np.asarray(y, dtype=int)
    rows = []
    total_bad = y.sum()
    decile = np.arange(len(y)) * groups // len(y) if len(y) else np.array([], dtype=int)
    counts = np.bincount(decile, minlength=groups)
    for model_id, s in scores.items():
        if len(y) == 0:
            continue
        order = orders[model_id] if orders is not None else _riskiest_first(s)
        bads = np.bincount(decile, weights=y[order], minlength=groups)
        rows += [{"model_id": model_id, "decile": d + 1, "n": int(counts[d]), "bads": int(round(bads[d]))}
                 for d in range(groups)]
    frame = pd.DataFrame(rows, columns=["model_id", "decile", "n", "bads"])
    if frame.empty:
        return frame.assign(bad_rate=[], cum_bads_captured=[], lift=[])
    frame["bad_rate"] = frame["bads"] / frame["n"].where(frame["n"] > 0)
    frame["cum_bads_captured"] = frame.groupby("model_id")["bads"].cumsum() / total_bad if total_bad else np.nan
    base_rate = total_bad / len(y) if len(y) else np.nan
    frame["lift"] = frame["bad_rate"] / base_rate if base_rate else np.nan
    return frame


def _riskiest_first(score: np.ndarray) -> np.ndarray:
    return np.argsort(-np.asarray(score, dtype=float), kind="stable")


# ---------------------------------------------------------------------------- money
def compute_profit_curve(money: np.ndarray, score: np.ndarray, cutoffs: np.ndarray | None = None,
                         order: np.ndarray | None = None) -> pd.DataFrame:
    """Realized profit of approving every labelled row with score below each cutoff.

    `order`: the rows sorted by ascending score, when already sorted (the order among
    equal scores does not matter: a cutoff never splits them).
    """
    grid = np.round(np.arange(0.005, 1.0, 0.005), 3) if cutoffs is None else np.asarray(cutoffs, dtype=float)
    order = np.argsort(score, kind="stable") if order is None else order
    s, m = np.asarray(score, dtype=float)[order], np.asarray(money, dtype=float)[order]
    cum = np.concatenate([[0.0], np.cumsum(m)])
    k = np.searchsorted(s, grid, side="left")  # rows with score < cutoff are approved
    return pd.DataFrame({"cutoff": grid, "approved": k, "profit": cum[k]})


def compute_best_cutoffs(label: np.ndarray, money: np.ndarray, scores: dict[str, np.ndarray],
                         orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Each model's profit-maximising cutoff on the labelled rows, and the profit there.

    `orders`: each model's rows riskiest first, when every row is labelled and already sorted.
    """
    rows: list[dict[str, Any]] = []
    keep = ~np.isnan(np.asarray(label, dtype=float))
    for model_id, s in scores.items():
        ascending = orders[model_id][::-1] if orders is not None and keep.all() else None
        curve = compute_profit_curve(money[keep], np.asarray(s)[keep], order=ascending)
        if curve.empty or not keep.any():
            rows.append({"model_id": model_id, "best_cutoff": None, "approved": 0, "profit": None})
            continue
        best = curve.loc[curve["profit"].idxmax()]
        rows.append({"model_id": model_id, "best_cutoff": float(best["cutoff"]),
                     "approved": int(best["approved"]), "approval_share": float(best["approved"]) / int(keep.sum()),
                     "profit": float(best["profit"])})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- fairness
def compute_fairness_table(frame: pd.DataFrame, approvals: dict[str, np.ndarray],
                           attributes: list[str], min_group_size: int) -> pd.DataFrame:
    """Per model and protected attribute: the adverse impact ratio at the model's cutoff (the one
    rule of `analytics.fairness`: groups under `min_group_size`, and unknown values, left out)."""
    rows: list[dict[str, Any]] = []
    for model_id, approved in approvals.items():
        for attr in attributes:
            if attr not in frame:
                continue
            rates = compute_group_rates(count_groups(frame[attr], approved, attr), min_group_size)
            air = compute_adverse_impact(rates, min_group_size)
            flag = ("too few applications" if air.value is None else
                    "below four-fifths" if air.value < FOUR_FIFTHS else "ok")
            rows.append({"model_id": model_id, "attribute": attr, "lowest_air": air.value, "group": air.group,
                         "flag": flag, "left_out": ", ".join(k.split("=", 1)[1] for k in air.left_out) or "none"})
    return pd.DataFrame(rows, columns=["model_id", "attribute", "lowest_air", "group", "flag", "left_out"])


# ---------------------------------------------------------------------------- swap set
SWAP_KINDS = ("both approve", "both decline", "only champion approves", "only challenger approves")


@dataclass(frozen=True)
class SwapSet:
    summary: pd.DataFrame     # kind, applications, labelled, bads, bad_rate, realized_money, expected_money
    rows: pd.DataFrame        # the swapped applications (only one model approves)
    money_difference: float   # challenger minus champion: estimated gain on swap-ins minus realized money of swap-outs
    realized_part: float      # realized money of labelled swap-outs (the challenger would forgo it)
    estimated_part: float     # expected money of swap-ins (never approved, so estimated from the challenger score)


def compute_swap_kind(champion_approves: np.ndarray, challenger_approves: np.ndarray) -> np.ndarray:
    return np.asarray(SWAP_KINDS, dtype=object)[_swap_codes(champion_approves, challenger_approves)]


def _swap_codes(champion_approves: np.ndarray, challenger_approves: np.ndarray) -> np.ndarray:
    """Index into SWAP_KINDS per row: 0 both approve, 1 both decline, 2 only champion, 3 only challenger."""
    a = np.asarray(champion_approves, dtype=bool)
    b = np.asarray(challenger_approves, dtype=bool)
    return np.where(a, np.where(b, 0, 2), np.where(b, 3, 1))


def compute_swap_set(frame: pd.DataFrame, champion_score: str, challenger_score: str,
                     champion_approves: np.ndarray, challenger_approves: np.ndarray,
                     assumptions: BusinessAssumptions) -> SwapSet:
    """Applications one model approves and the other declines, with outcomes and money.

    Swap-outs (only the champion approves) were booked, so their outcome is realized where
    it has matured. Swap-ins (only the challenger approves) were declined and have no
    outcome: their money is estimated from the challenger's score.
    """
    code = _swap_codes(champion_approves, challenger_approves)
    label = frame["label"].astype("float64").to_numpy()
    amount = frame["loan_amount"].astype("float64").to_numpy()
    loss = frame["loss_amount"].astype("float64").to_numpy()
    realized = compute_loan_money(label, amount, loss, assumptions)
    expected = compute_expected_money(frame[challenger_score].to_numpy(dtype=float), amount, assumptions)
    rows = []
    for i, k in enumerate(SWAP_KINDS):
        m = code == i
        labelled = m & ~np.isnan(label)
        bads = int(np.nansum(label[labelled]))
        rows.append({"kind": k, "applications": int(m.sum()), "labelled": int(labelled.sum()), "bads": bads,
                     "bad_rate": bads / int(labelled.sum()) if labelled.any() else None,
                     "realized_money": float(np.nansum(realized[labelled])) if labelled.any() else 0.0,
                     "expected_money": float(expected[m].sum())})
    summary = pd.DataFrame(rows)
    out_mask = code == 2
    in_mask = code == 3
    realized_out = float(np.nansum(realized[out_mask]))
    estimated_in = float(expected[in_mask].sum())
    swapped = out_mask | in_mask
    cols = ["application_id", "date", champion_score, challenger_score, "label", "loan_amount"]
    detail = frame.loc[swapped, [c for c in cols if c in frame]].copy()
    detail.insert(1, "kind", np.asarray(SWAP_KINDS, dtype=object)[code[swapped]])
    detail["realized_money"] = realized[swapped]
    return SwapSet(summary=summary, rows=detail.reset_index(drop=True),
                   money_difference=estimated_in - realized_out, realized_part=realized_out,
                   estimated_part=estimated_in)


# ---------------------------------------------------------------------------- explainability
def final_estimator(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model


def compute_model_type(model: Any) -> str:
    est = final_estimator(model)
    name = type(est).__name__
    return f"{name} in a Pipeline" if est is not model else name


def is_linear(model: Any) -> bool:
    return hasattr(final_estimator(model), "coef_") and hasattr(model, "decision_function")


def compute_importance(model: Any, x: pd.DataFrame, y: np.ndarray, repeats: int = 3,
                       seed: int = 0) -> pd.DataFrame:
    """Permutation importance (drop in AUC) of each card feature, its share, and materiality."""
    # One thread: OpenMP models (HistGradientBoosting) are 30x slower on small batches with
    # oversubscribed threads on a busy machine.
    with threadpool_limits(limits=1):
        result = permutation_importance(model, x, np.asarray(y, dtype=int), scoring="roc_auc",
                                        n_repeats=repeats, random_state=seed)
    imp = np.maximum(result.importances_mean, 0.0)
    total = imp.sum()
    frame = pd.DataFrame({"feature": list(x.columns), "importance": result.importances_mean,
                          "share": imp / total if total > 0 else 0.0})
    frame["material"] = frame["share"] >= MATERIAL_SHARE
    return frame.sort_values("importance", ascending=False).reset_index(drop=True)


def _grid(values: pd.Series, points: int) -> np.ndarray:
    clean = pd.to_numeric(values, errors="coerce").dropna()
    if clean.empty:
        return np.array([])
    return np.unique(np.quantile(clean, np.linspace(0.05, 0.95, points)))


def compute_monotonicity(model: Any, x: pd.DataFrame, card: ModelCard, points: int = 10) -> pd.DataFrame:
    """Average score along each numeric feature's range, checked against the card's direction.

    For each feature with direction +1 (higher value, higher risk) or -1, every row of `x`
    gets the feature set to each grid value and the mean score is taken (a partial
    dependence curve). Steps against the expected direction are violations.
    """
    rows = []
    for spec in card.features:
        if spec.type != "numeric" or spec.direction not in (-1, 1) or spec.name not in x:
            continue
        grid = _grid(x[spec.name], points)
        if len(grid) < 2:
            rows.append({"feature": spec.name, "expected": _direction_word(spec.direction),
                         "observed": "constant in the data", "violations": 0, "steps": 0, "consistent": True})
            continue
        # One stacked prediction per feature: far cheaper than one call per grid value.
        probe = pd.concat([x] * len(grid), ignore_index=True)
        probe[spec.name] = np.repeat(grid, len(x))
        with threadpool_limits(limits=1):
            means = predict_scores(model, probe).reshape(len(grid), len(x)).mean(axis=1)
        steps = np.diff(means) * spec.direction
        # Wiggles smaller than 2% of the curve's range are not counted against the model.
        tolerance = max(MONOTONE_TOLERANCE, 0.02 * float(np.ptp(means)))
        against = int((steps < -tolerance).sum())
        along = int((steps > tolerance).sum())
        if against == 0 and along == 0:
            observed = "flat"
        elif against == 0:
            observed = "as expected"
        elif along == 0:
            observed = "opposite"
        else:
            observed = "mixed"
        rows.append({"feature": spec.name, "expected": _direction_word(spec.direction), "observed": observed,
                     "violations": against, "steps": len(steps), "consistent": against == 0})
    return pd.DataFrame(rows, columns=["feature", "expected", "observed", "violations", "steps", "consistent"])


def _direction_word(direction: int | None) -> str:
    return {1: "higher value, higher risk", -1: "higher value, lower risk"}.get(direction or 0, "none")


def compute_scorecard_points(model: Any, x: pd.DataFrame, card: ModelCard) -> pd.DataFrame | None:
    """Readable points per feature value for a linear (logistic) model; None for other models.

    Points follow the usual scaling: 600 points at 50:1 good:bad odds, 20 points to double
    the odds; more points, less risk. Each feature's points are relative to a typical
    applicant (median of numeric features, most frequent category); a score is the
    typical applicant's points plus each feature's points, exact for an additive model.
    """
    if not is_linear(model) or x.empty:
        return None
    factor = PDO / np.log(2)
    offset = BASE_POINTS - factor * np.log(BASE_ODDS)
    base = x.iloc[[0]].copy()
    for spec in card.features:
        if spec.name not in x:
            continue
        col = x[spec.name]
        if spec.type == "numeric":
            num = pd.to_numeric(col, errors="coerce")
            base[spec.name] = float(num.median()) if num.notna().any() else np.nan
        else:
            mode = col.dropna().astype(str).mode()
            base[spec.name] = mode.iloc[0] if not mode.empty else None
    base_logit = float(np.ravel(model.decision_function(base))[0])
    rows = [{"feature": "(typical applicant)", "value": "base points", "points": offset - factor * base_logit}]
    for spec in card.features:
        if spec.name not in x:
            continue
        if spec.type == "numeric":
            num = pd.to_numeric(x[spec.name], errors="coerce")
            values: list[Any] = [float(v) for v in np.unique(np.quantile(num.dropna(), [0.05, 0.25, 0.5, 0.75, 0.95]))] \
                if num.notna().any() else []
            if num.isna().any():
                values.append(np.nan)
        else:
            values = list(spec.categories) or sorted(x[spec.name].dropna().astype(str).unique())
        if not values:
            continue
        probe = pd.concat([base] * len(values), ignore_index=True)
        probe[spec.name] = values
        logits = np.ravel(model.decision_function(probe))
        for value, logit in zip(values, logits, strict=True):
            shown = "missing" if isinstance(value, float) and np.isnan(value) else (
                f"{value:,.4g}" if isinstance(value, float) else str(value))
            rows.append({"feature": spec.name, "value": shown, "points": float(-factor * (logit - base_logit))})
    frame = pd.DataFrame(rows)
    frame["points"] = frame["points"].round(1)
    return frame


# ---------------------------------------------------------------------------- stability
def compute_psi_by_month(hist: pd.DataFrame, bins: int = 1000) -> pd.DataFrame:
    """Score PSI of each month against the model's first month with logs (reference deciles)."""
    rows = []
    for model_id, part in hist.groupby("model_id", sort=True):
        months = sorted(part["month"].unique())
        if not months:
            continue
        matrix = {m: np.bincount(g["bin"].to_numpy(dtype=int), weights=g["n"].to_numpy(dtype=float),
                                 minlength=bins)[:bins] for m, g in part.groupby("month")}
        ref = matrix[months[0]]
        for m in months:
            rows.append({"model_id": model_id, "month": pd.Timestamp(m), "n": int(matrix[m].sum()),
                         "psi": decile_psi(ref, matrix[m])})
    return pd.DataFrame(rows, columns=["model_id", "month", "n", "psi"])


# ---------------------------------------------------------------------------- trade-off
def compute_tradeoff(metrics: pd.DataFrame, explain: pd.DataFrame) -> pd.DataFrame:
    """Accuracy beside explainability, one row per model.

    `explain` columns: model_id, model_type, features, material_features, monotone_ok,
    monotone_checked, scorecard (bool). The AUC's paired difference from the champion and its
    verdict come along when `metrics` has them (`compute_metric_table`).
    """
    paired = [c for c in ("auc_diff", "auc_diff_lo", "auc_diff_hi", "auc_verdict") if c in metrics]
    return metrics[["model_id", "auc", "auc_lo", "auc_hi", *paired]].merge(explain, on="model_id", how="left")


def compute_tradeoff_sentences(table: pd.DataFrame, champion: str) -> list[str]:
    """Plain statements: how much accuracy each challenger gives up or gains, and for what.

    The accuracy verdict is the paired one: the 95% interval of the AUC difference on the same
    applications, "no evidence of a difference" when it covers 0.
    """
    if champion not in set(table["model_id"]):
        return []
    champ = table.set_index("model_id").loc[champion]
    out = []
    for _, row in table.iterrows():
        if row["model_id"] == champion or pd.isna(row["auc"]) or pd.isna(champ["auc"]):
            continue
        gap = float(row["auc"]) - float(champ["auc"])
        lo, hi = row.get("auc_diff_lo"), row.get("auc_diff_hi")
        if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
            verdict = "no paired interval: too few bads or goods among the matured outcomes"
        else:
            verdict = f"paired 95% interval {lo:+.3f} to {hi:+.3f}: " + \
                judge_difference("auc", float(lo), float(hi), champion, str(row["model_id"]))
        parts = [f"{row['model_id']}: AUC {gap:+.3f} against {champion} ({verdict})"]
        if pd.notna(row.get("material_features")) and pd.notna(champ.get("material_features")):
            parts.append(f"{int(row['material_features'])} material features against "
                         f"{int(champ['material_features'])}")
        if pd.notna(row.get("monotone_checked")) and row.get("monotone_checked"):
            parts.append(f"{int(row['monotone_ok'])} of {int(row['monotone_checked'])} expected directions respected")
        if bool(row.get("scorecard")):
            parts.append("readable points per feature (a scorecard a person can check)")
        out.append("; ".join(parts) + ".")
    return out


# ---------------------------------------------------------------------------- the whole comparison
@dataclass
class Comparison:
    """Everything the Challengers page shows about accuracy, money, fairness and swaps."""

    champion: str
    models: list[str]                  # champion first, then challengers with shadow overlap
    applications: int                  # applications scored by the champion and every compared model
    labelled: int                      # of those, with a matured outcome (champion-approved only)
    notes: list[str]                   # plain messages: models without overlap, no labels, ...
    metrics: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    gains: pd.DataFrame
    best_cutoffs: pd.DataFrame
    cutoffs: dict[str, float]          # the cutoff each model is judged at (approve below it)
    approval_rates: dict[str, float]
    fairness: pd.DataFrame
    swaps: dict[str, SwapSet]          # per challenger


def compute_comparison(frame: pd.DataFrame, champion: str, challengers: list[str], cutoffs: dict[str, float],
                       assumptions: BusinessAssumptions, protected: list[str], draws: int = 400,
                       swap_rows: int = 500) -> Comparison:
    """Compare on the applications every compared model scored; metrics on the labelled ones.

    `frame` is the shadow frame (score__<model> columns); `cutoffs` approve below each
    model's value (the champion's policy in force, the challengers' chosen cutoffs).
    """
    def col(m: str) -> str:
        return f"score__{m}"

    notes: list[str] = []
    models = [champion]
    for m in challengers:
        if col(m) not in frame or frame[col(m)].notna().sum() == 0:
            notes.append(f"{m} has no shadow scores on the champion's applications in this window, "
                         "so it cannot be compared here.")
        else:
            models.append(m)
    scored = np.ones(len(frame), dtype=bool)
    for m in models:
        scored &= frame[col(m)].notna().to_numpy()
    # No copy of the frame when every model scored every application (the usual paired sample).
    common = frame if scored.all() else frame.loc[scored]
    dropped = len(frame) - len(common)
    if dropped and len(models) > 1:
        notes.append(f"{dropped:,} of the champion's applications lack a score from at least one compared "
                     "model and are left out so that every model is judged on the same applications.")
    label_all = common["label"].astype("float64").to_numpy()
    matured = ~np.isnan(label_all)
    label = label_all[matured]
    y = label.astype(int)
    if len(y) == 0:
        notes.append("No outcome has matured yet for these applications: accuracy, calibration, gains and "
                     "profit need labels. Shadow scores, approvals, fairness and the swap counts are shown.")
    elif y.min() == y.max():
        notes.append("The matured outcomes are all of one class, so AUC, KS and Gini are undefined.")
    lab_scores = {m: common[col(m)].to_numpy(dtype=float)[matured] for m in models}
    ranked = {m: compute_ranked(y, s) for m, s in lab_scores.items()}
    metrics = compute_metric_table(y, lab_scores, draws=draws, ranked=ranked)
    curves = compute_curves(y, lab_scores, ranked=ranked)
    orders = {m: _riskiest_first(s) for m, s in lab_scores.items()}  # one sort for gains and profit
    gains = compute_gains(y, lab_scores, orders=orders) if len(y) else pd.DataFrame(
        columns=["model_id", "decile", "n", "bads", "bad_rate", "cum_bads_captured", "lift"])
    money = compute_loan_money(label, common["loan_amount"].astype("float64").to_numpy()[matured],
                              common["loss_amount"].astype("float64").to_numpy()[matured], assumptions)
    best = compute_best_cutoffs(label, money, lab_scores, orders=orders)
    approvals = {m: common[col(m)].to_numpy(dtype=float) < cutoffs[m] for m in models}
    rates = {m: float(a.mean()) if len(a) else float("nan") for m, a in approvals.items()}
    fairness = compute_fairness_table(common, approvals, protected, assumptions.min_group_size)
    swaps = {}
    for m in models[1:]:
        swap = compute_swap_set(common, col(champion), col(m), approvals[champion], approvals[m], assumptions)
        swaps[m] = SwapSet(summary=swap.summary, rows=swap.rows.head(swap_rows),
                           money_difference=swap.money_difference, realized_part=swap.realized_part,
                           estimated_part=swap.estimated_part)
    return Comparison(champion=champion, models=models, applications=int(len(common)), labelled=int(len(y)),
                      notes=notes, metrics=metrics, curves=curves, gains=gains, best_cutoffs=best,
                      cutoffs={m: cutoffs[m] for m in models}, approval_rates=rates, fairness=fairness,
                      swaps=swaps)
