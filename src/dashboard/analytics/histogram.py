"""Statistics from binned counts: the rollups hold histograms, these turn them into metrics.

Scores are P(bad): a higher score should mean more bads. Bins are ordered low to high.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import jensenshannon

PSI_EPS = 1e-4  # floor for empty bins so PSI stays finite


def auc_from_histogram(goods: np.ndarray, bads: np.ndarray) -> float | None:
    """ROC AUC where each bin is one tied score: P(score_bad > score_good) + 0.5 P(tie).

    Within 1/bins of the exact AUC, and equal to it when no two rows of different
    classes share a bin except for true ties.
    """
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    ng, nb = g.sum(), b.sum()
    if ng == 0 or nb == 0:
        return None
    goods_below = np.cumsum(g) - g
    return float((b * (goods_below + 0.5 * g)).sum() / (ng * nb))


def ks_from_histogram(goods: np.ndarray, bads: np.ndarray) -> float | None:
    """Kolmogorov-Smirnov separation between the score CDFs of goods and bads."""
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    if g.sum() == 0 or b.sum() == 0:
        return None
    return float(np.max(np.abs(np.cumsum(g) / g.sum() - np.cumsum(b) / b.sum())))


def ks_two_sample_from_histograms(ref: np.ndarray, cur: np.ndarray) -> float | None:
    """KS distance between two samples binned on the same edges."""
    return ks_from_histogram(ref, cur)


def brier_from_histogram(edges: np.ndarray, goods: np.ndarray, bads: np.ndarray) -> float | None:
    """Brier score with each score replaced by its bin midpoint (error below bin width)."""
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    n = g.sum() + b.sum()
    if n == 0:
        return None
    mid = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
    return float(((b * (1 - mid) ** 2) + (g * mid**2)).sum() / n)


def _proportions(counts: np.ndarray, eps: float = 0.0) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    p = c / total if total else np.zeros_like(c)
    if eps:
        p = np.maximum(p, eps)
        p = p / p.sum()
    return p


def psi(ref: np.ndarray, cur: np.ndarray, eps: float = PSI_EPS) -> float | None:
    """Population stability index sum((c - r) ln(c / r)) on the given bins."""
    r, c = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
    if r.sum() == 0 or c.sum() == 0:
        return None
    pr, pc = _proportions(r, eps), _proportions(c, eps)
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def js_distance(ref: np.ndarray, cur: np.ndarray) -> float | None:
    """Jensen-Shannon distance (base 2, so 0..1)."""
    r, c = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
    if r.sum() == 0 or c.sum() == 0:
        return None
    return float(jensenshannon(r / r.sum(), c / c.sum(), base=2))


def wasserstein_from_histograms(centers: np.ndarray, ref: np.ndarray, cur: np.ndarray) -> float | None:
    """Earth mover's distance with each bin's mass at its center."""
    r, c = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
    if r.sum() == 0 or c.sum() == 0:
        return None
    x = np.asarray(centers, dtype=float)
    order = np.argsort(x)
    x, r, c = x[order], r[order] / r.sum(), c[order] / c.sum()
    cdf_gap = np.abs(np.cumsum(r) - np.cumsum(c))[:-1]
    return float(np.sum(cdf_gap * np.diff(x)))


def decile_psi(ref_fine: np.ndarray, cur_fine: np.ndarray, groups: int = 10) -> float | None:
    """PSI on reference deciles built from fine bins (the credit convention).

    Fine bins are merged so that each group holds about a tenth of the reference.
    """
    r = np.asarray(ref_fine, dtype=float)
    c = np.asarray(cur_fine, dtype=float)
    if r.sum() == 0 or c.sum() == 0:
        return None
    cum = np.cumsum(r) / r.sum()
    group = np.minimum((cum * groups - 1e-9).astype(int), groups - 1)
    group = np.maximum.accumulate(group)
    rg = np.bincount(group, weights=r, minlength=groups)
    cg = np.bincount(group, weights=c, minlength=groups)
    keep = rg > 0
    return psi(rg[keep], cg[keep])
