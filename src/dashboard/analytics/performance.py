"""Model performance over time from the rollups' 1,000-bin score histograms (pure).

Inputs are long frames of (period, bin, counts) read from `r_scores`; they are pivoted to
dense period x bin matrices, and every metric is computed from those, so the cost grows
with periods x bins and never with the number of applications.

Populations:
- realized metrics use rows with a matured outcome; only granted loans ever get one, so
  the population is "approved applications whose outcome has arrived";
- label maturity is that count over the loans granted in the period;
- scored volume, approval rate and the score distribution use every scored application.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.analytics.binning import (
    LATENCY_BIN_BASE,
    LATENCY_BINS_PER_DECADE,
    SCORE_BINS,
    coarsen_latency_bins,
    latency_bin_bounds,
    score_bin_edges,
)
from dashboard.analytics.histogram import (
    auc_from_histogram,
    brier_from_histogram,
    decile_psi,
    ks_from_histogram,
)

HIST_COLUMNS = ("n", "n_approve", "n_decided", "n_labelled", "n_bad")
GRAINS = {"day": "day", "week": "week", "month": "month"}
EDGES = score_bin_edges(SCORE_BINS)
MIDPOINTS = (EDGES[:-1] + EDGES[1:]) / 2


@dataclass(frozen=True)
class HistogramCube:
    """Dense per-period score histograms: each array is periods x SCORE_BINS."""

    periods: list[pd.Timestamp]
    n: np.ndarray            # every scored application
    n_approve: np.ndarray    # approved by this model's own decision
    n_decided: np.ndarray    # rows this model decided (0 for a shadow model)
    n_labelled: np.ndarray   # rows with a matured outcome (granted loans only)
    n_bad: np.ndarray        # of which defaulted

    @property
    def goods(self) -> np.ndarray:
        return self.n_labelled - self.n_bad

    def select(self, mask: np.ndarray) -> HistogramCube:
        idx = np.flatnonzero(mask)
        return HistogramCube([self.periods[i] for i in idx], self.n[idx], self.n_approve[idx],
                             self.n_decided[idx], self.n_labelled[idx], self.n_bad[idx])

    def pooled(self, mask: np.ndarray | None = None) -> HistogramCube:
        """All selected periods summed into one (period = the first one)."""
        part = self if mask is None else self.select(mask)
        first = part.periods[:1]
        return HistogramCube(first, *(getattr(part, c).sum(axis=0, keepdims=True) for c in HIST_COLUMNS))


def as_datetime(values: pd.Series) -> pd.Series:
    """The values as datetime64[ns]; a cast when they already are datetimes (DuckDB gives
    datetime64[us]), where pd.to_datetime would walk them element by element (ms per call)."""
    if pd.api.types.is_datetime64_dtype(values):
        return values.astype("datetime64[ns]")
    return pd.to_datetime(values)


def compute_cube(frame: pd.DataFrame, bins: int = SCORE_BINS) -> HistogramCube:
    """Pivot a long (period, bin, n, n_approve, n_decided, n_labelled, n_bad) frame."""
    if frame.empty:
        empty = np.zeros((0, bins))
        return HistogramCube([], empty, empty, empty, empty, empty)
    periods = as_datetime(frame["period"])
    uniq = np.sort(periods.unique())
    row = np.searchsorted(uniq, periods.to_numpy())
    col = np.clip(frame["bin"].to_numpy(dtype=np.int64), 0, bins - 1)
    arrays = []
    for name in HIST_COLUMNS:
        dense = np.zeros((len(uniq), bins))
        values = frame[name].fillna(0).to_numpy(dtype=float) if name in frame else np.zeros(len(frame))
        np.add.at(dense, (row, col), values)
        arrays.append(dense)
    return HistogramCube([pd.Timestamp(p) for p in uniq], *arrays)


def cutoff_bin(cutoff: float, bins: int = SCORE_BINS) -> int:
    """First bin whose scores are all >= cutoff: 'predicted bad' is bin >= this.

    Exact when the cutoff sits on a bin edge (multiples of 0.001); otherwise the bin that
    straddles the cutoff counts as approved, an error of at most one bin.
    """
    return int(min(max(np.ceil(cutoff * bins - 1e-9), 0), bins))


def _safe_ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def compute_metrics(goods: np.ndarray, bads: np.ndarray, cutoff: float | None = None) -> dict[str, float | None]:
    """AUC, KS, Gini, Brier, bad rate, and precision/recall at the cutoff for one histogram.

    'Positive' is a bad outcome; the model predicts bad when score >= cutoff (declines).
    """
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    auc = auc_from_histogram(g, b)
    total = g.sum() + b.sum()
    out: dict[str, float | None] = {
        "auc": auc, "ks": ks_from_histogram(g, b), "gini": None if auc is None else 2 * auc - 1,
        "brier": brier_from_histogram(EDGES, g, b), "bad_rate": _safe_ratio(b.sum(), total),
        "precision": None, "recall": None,
    }
    if cutoff is not None and total:
        c = cutoff_bin(cutoff, len(g))
        tp, fp = b[c:].sum(), g[c:].sum()
        out["precision"] = _safe_ratio(tp, tp + fp)
        out["recall"] = _safe_ratio(tp, b.sum())
    return out


def _ratio_rows(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


RANKING = ("auc", "ks", "gini", "auc_bound", "ks_bound")
BOUND_SHOWN = {"auc": 0.0005, "ks": 0.005}   # a bound is shown where it exceeds the figure's last digit


def format_bounded(value: float | None, bound: float | None, metric: str, digits: int = 3) -> str:
    """A ranking figure with its bin bound where the bound matters: "0.572 +-0.026", "0.158 (up to
    +0.113)"; "n/a" for a missing value."""
    if value is None or not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    if bound is None or not np.isfinite(bound) or bound <= BOUND_SHOWN[metric]:
        return text
    return f"{text} +-{bound:.{digits}f}" if metric == "auc" else f"{text} (up to +{bound:.{digits}f})"


def compute_metrics_2d(goods: np.ndarray, bads: np.ndarray, cutoffs: Sequence[float]) -> dict[str, np.ndarray]:
    """`compute_metrics` for every row of periods x bins matrices at once (NaN where undefined)."""
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    ng, nb = g.sum(axis=1), b.sum(axis=1)
    both = (ng > 0) & (nb > 0)
    cg, cb = np.cumsum(g, axis=1), np.cumsum(b, axis=1)
    auc = _ratio_rows((b * (cg - g + 0.5 * g)).sum(axis=1), ng * nb)
    ks = np.abs(_ratio_rows(cg, ng[:, None]) - _ratio_rows(cb, nb[:, None])).max(axis=1, initial=0.0)
    mid = MIDPOINTS[: g.shape[1]]
    total = ng + nb
    brier = _ratio_rows((b * (1 - mid) ** 2 + g * mid**2).sum(axis=1), total)
    c = np.array([cutoff_bin(x, g.shape[1]) for x in cutoffs], dtype=np.int64)
    above = np.arange(g.shape[1])[None, :] >= c[:, None]
    tp, fp = (b * above).sum(axis=1), (g * above).sum(axis=1)
    # How far the exact figures can lie from these (the scores' order inside a bin is unknown):
    # AUC within +-0.5 x the share of good-bad pairs sharing a bin; the exact KS at least the
    # binned one and at most one bin's share of a class above it. A model whose scores sit in a
    # narrow band fills few bins, and its bounds say so.
    auc_bound = 0.5 * _ratio_rows((g * b).sum(axis=1), ng * nb)
    ks_bound = np.maximum(_ratio_rows(g, ng[:, None]), _ratio_rows(b, nb[:, None])).max(axis=1, initial=0.0)
    return {"auc": np.where(both, auc, np.nan), "ks": np.where(both, ks, np.nan),
            "gini": np.where(both, 2 * auc - 1, np.nan), "brier": brier, "bad_rate": _ratio_rows(nb, total),
            "precision": _ratio_rows(tp, tp + fp), "recall": _ratio_rows(tp, nb),
            "auc_bound": np.where(both, auc_bound, np.nan), "ks_bound": np.where(both, ks_bound, np.nan)}


def compute_period_metrics(cube: HistogramCube, cutoffs: Sequence[float], granted: Sequence[float] | None = None,
                           min_labelled: int = 1, min_bads: int = 1) -> pd.DataFrame:
    """One row per period: volume, approval rate, maturity and realized metrics.

    `cutoffs` is the cutoff in force per period; `granted` the loans granted per period by
    whichever model decided (for a shadow model its own n_approve is 0). Realized metrics
    are left empty (NaN) for periods with fewer than `min_labelled` matured outcomes, and
    the ranking metrics (AUC, KS, Gini) for periods with fewer than `min_bads` bads or goods:
    on a handful of defaults they are noise.
    """
    n = cube.n.sum(axis=1)
    decided = cube.n_decided.sum(axis=1)
    approved = cube.n_approve.sum(axis=1)
    labelled = cube.n_labelled.sum(axis=1)
    grant = np.asarray(granted, dtype=float) if granted is not None else approved
    metrics = compute_metrics_2d(cube.goods, cube.n_bad, cutoffs)
    enough = labelled >= max(min_labelled, 1)
    frame = pd.DataFrame({
        "period": pd.to_datetime(pd.Series(cube.periods, dtype="datetime64[ns]")),
        "applications": n.astype(int), "decided": decided.astype(int), "approved": approved.astype(int),
        "approval_rate": _ratio_rows(approved, decided), "granted": grant.astype(int),
        "labelled": labelled.astype(int), "bads": cube.n_bad.sum(axis=1).astype(int),
        "label_maturity": np.minimum(_ratio_rows(labelled, grant), 1.0),
        "mean_score": _ratio_rows((cube.n * MIDPOINTS[: cube.n.shape[1]]).sum(axis=1), n),
        "cutoff": np.asarray(cutoffs, dtype=float),
    })
    bads = cube.n_bad.sum(axis=1)
    ranked = enough & (bads >= max(min_bads, 1)) & (labelled - bads >= max(min_bads, 1))
    for name, values in metrics.items():
        frame[name] = np.where(ranked if name in RANKING else enough, values, np.nan)
    return frame


def compute_calibration_curve(goods: np.ndarray, bads: np.ndarray, groups: int = 10) -> pd.DataFrame:
    """Reliability curve: labelled rows cut into `groups` score quantile groups from the bins.

    Per group: mean predicted score (bin midpoints) against the observed bad rate.
    """
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    n = g + b
    if n.sum() == 0:
        return pd.DataFrame(columns=["group", "predicted", "observed", "n"])
    cum = np.cumsum(n) / n.sum()
    group = np.maximum.accumulate(np.minimum((cum * groups - 1e-9).astype(int), groups - 1))
    counts = np.bincount(group, weights=n, minlength=groups)
    pred = np.bincount(group, weights=n * MIDPOINTS[: len(n)], minlength=groups)
    bad = np.bincount(group, weights=b, minlength=groups)
    keep = counts > 0
    return pd.DataFrame({"group": np.arange(groups)[keep] + 1, "predicted": pred[keep] / counts[keep],
                         "observed": bad[keep] / counts[keep], "n": counts[keep].astype(int)})


def compute_psi_by_period(cube: HistogramCube, reference: np.ndarray) -> list[float | None]:
    """Decile PSI of each period's score histogram (all scored rows) against the reference."""
    return [decile_psi(reference, cube.n[i]) for i in range(len(cube.periods))]


def compute_score_distribution(counts: np.ndarray, coarse: int = 50) -> pd.DataFrame:
    """Share of applications per coarse score bin (1000 fine bins merged into `coarse`)."""
    c = np.asarray(counts, dtype=float)
    merged = c.reshape(coarse, -1).sum(axis=1) if len(c) % coarse == 0 else c
    width = 1.0 / len(merged)
    total = merged.sum()
    return pd.DataFrame({"score_from": np.arange(len(merged)) * width,
                         "share": merged / total if total else merged})


LATENCY_BOUND = (f"from {LATENCY_BINS_PER_DECADE} log-spaced bins per decade: within "
                 f"{10 ** (1 / LATENCY_BINS_PER_DECADE) - 1:.1%} of the raw latencies' percentile")
LATENCY_OLD_NOTE = ("upper edge of its latency bin (up to 12% above the true value): the latency rollup was "
                    "written before finer bins; run `dashboard rollup rebuild`")


def _latency_quantile_rows(bins: np.ndarray, dense: np.ndarray, quantiles: Sequence[float],
                           coarse: bool) -> np.ndarray:
    """Quantiles (columns) of each histogram (rows of `dense`, over the sorted `bins`)."""
    lo, hi = latency_bin_bounds(bins)
    after = np.cumsum(dense, axis=1)
    n = after[:, -1]
    rows = np.arange(dense.shape[0])
    out = np.full((dense.shape[0], len(quantiles)), np.nan)
    for col, q in enumerate(quantiles):
        if coarse:
            share = after / np.where(n > 0, n, 1)[:, None]
            out[:, col] = hi[np.minimum((share < q - 1e-12).sum(axis=1), len(bins) - 1)]
            continue
        h = q * np.maximum(n - 1, 0)
        j = np.floor(h)
        values = []
        for rank in (j, np.minimum(j + 1, np.maximum(n - 1, 0))):
            k = np.minimum((after <= rank[:, None]).sum(axis=1), len(bins) - 1)  # the bin holding that row
            count = dense[rows, k]
            within = (rank - (after[rows, k] - count) + 0.5) / np.where(count > 0, count, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                values.append(np.where(lo[k] > 0, lo[k] * (hi[k] / np.where(lo[k] > 0, lo[k], 1)) ** within,
                                       lo[k] + within * (hi[k] - lo[k])))
        out[:, col] = values[0] + (h - j) * (values[1] - values[0])
    out[n == 0] = np.nan
    return out


def compute_latency_quantiles(bins: np.ndarray, counts: np.ndarray,
                              quantiles: Sequence[float] = (0.5, 0.95)) -> tuple[list[float | None], str | None]:
    """Quantiles of latencies known by their bin (the latency rollup), and the note on their bound.

    The raw rows' quantile as numpy.quantile defines it (linear between the order statistics
    around q(n-1)), with each order statistic placed inside its bin at its rank, log-uniformly.
    Every order statistic is in its true bin, so the result is within one bin width (1.16%) of
    the raw rows' quantile: note None. Bins of a rollup written before (numbers below
    LATENCY_BIN_BASE) are 12% wide; then the upper edge of the bin holding the quantile is
    reported, with a note that says so.
    """
    frame = pd.DataFrame({"period": pd.Timestamp(0), "bin": np.asarray(bins), "n": np.asarray(counts)})
    out = compute_latency_percentiles(frame, quantiles)
    if out.empty:
        return [None] * len(quantiles), None
    row = out.iloc[0]
    values = [None if pd.isna(row[f"p{round(q * 100)}"]) else float(row[f"p{round(q * 100)}"]) for q in quantiles]
    return values, row["latency_note"]


def compute_latency_percentiles(latency: pd.DataFrame, quantiles: Sequence[float] = (0.5, 0.95)) -> pd.DataFrame:
    """p50/p95 per period from (period, bin, n) latency histograms, as `compute_latency_quantiles`
    says; vectorised over periods (a day grain has hundreds).

    latency_note: None when within the bound of LATENCY_BOUND, else what the figure is.
    """
    names = [f"p{round(q * 100)}" for q in quantiles]
    cols = ["period", "requests", *names, "latency_note"]
    frame = latency[latency["n"] > 0] if not latency.empty else latency
    if frame.empty:
        return pd.DataFrame(columns=cols)
    periods = as_datetime(frame["period"])
    uniq = np.sort(periods.unique())
    row = np.searchsorted(uniq, periods.to_numpy())
    bins = frame["bin"].to_numpy(dtype=np.int64)
    counts = frame["n"].to_numpy(dtype=float)
    # A period holding a bin of a rollup written before is read on the coarse bins throughout.
    old = np.zeros(len(uniq), dtype=bool)
    np.logical_or.at(old, row, bins < LATENCY_BIN_BASE)
    values = np.full((len(uniq), len(quantiles)), np.nan)
    for coarse in (False, True):
        pick = old[row] == coarse
        if not pick.any():
            continue
        b = coarsen_latency_bins(bins[pick]) if coarse else bins[pick]
        columns, col = np.unique(b, return_inverse=True)
        sel = np.flatnonzero(old == coarse)
        dense = np.zeros((len(uniq), len(columns)))
        np.add.at(dense, (row[pick], col), counts[pick])
        values[sel] = _latency_quantile_rows(columns, dense[sel], quantiles, coarse)
    total = np.bincount(row, weights=counts, minlength=len(uniq))
    out = pd.DataFrame({"period": pd.to_datetime(uniq), "requests": total.astype(np.int64),
                        **{name: values[:, i] for i, name in enumerate(names)},
                        "latency_note": [LATENCY_OLD_NOTE if o else None for o in old]}, columns=cols)
    return out


def cutoffs_for_periods(periods: Sequence[pd.Timestamp], grain: str,
                        history: Sequence[tuple[str | None, float]]) -> list[float]:
    """The cutoff in force at the end of each period, from (effective_at, cutoff) versions."""
    out = []
    for end in period_ends(periods, grain):
        moment = end.isoformat()
        current = history[0][1] if history else 0.5
        for effective_at, cutoff in history:
            if effective_at is None or effective_at <= moment:
                current = cutoff
        out.append(float(current))
    return out


def period_ends(periods: Sequence[pd.Timestamp], grain: str) -> list[pd.Timestamp]:
    """Last instant of each period (vectorised)."""
    idx = pd.DatetimeIndex(list(periods))
    step = {"day": pd.offsets.Day(1), "week": pd.offsets.Day(7), "month": pd.offsets.MonthBegin(1)}[grain]
    start = idx if grain != "month" else idx.to_period("M").to_timestamp()
    return list(start + step - pd.Timedelta(microseconds=1))


def period_end(period: pd.Timestamp, grain: str) -> pd.Timestamp:
    """Last instant of a period that starts at `period`."""
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}[grain]
    return pd.Timestamp(period) + step - pd.Timedelta(microseconds=1)
