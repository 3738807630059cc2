"""Champion versus challengers on the same applications: pure computations.

Accuracy and the paired differences live in `analytics.paired_metrics`, readability in
`analytics.explainability`; this module puts them together with curves, gains, money
(the one money model), fairness (the one fairness rule), the swap set and stability.
Scores are P(bad).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.fairness import (
    FOUR_FIFTHS,
    compute_adverse_impact,
    compute_group_rates,
    count_groups,
)
from dashboard.analytics.histogram import decile_psi
from dashboard.analytics.money import compute_expected_money, compute_loan_money
from dashboard.analytics.paired_metrics import (
    RankedScores,
    compute_calibration,
    compute_metric_table,
    compute_ranked,
)


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
    kinds: np.ndarray = np.asarray(SWAP_KINDS, dtype=object)[_swap_codes(champion_approves, challenger_approves)]
    return kinds


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
    # per model on the labelled rows: realized and expected bads, their ratio and its 95% interval
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)


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
                      swaps=swaps, calibration=compute_calibration_table(y, lab_scores))


def compute_calibration_table(y: np.ndarray, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per model: realized and expected bads on the labelled rows, their ratio and its 95% interval."""
    return pd.DataFrame([{"model_id": m, **compute_calibration(y, s)} for m, s in scores.items()])
