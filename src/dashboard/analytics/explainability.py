"""How readable each model is: importance, monotonicity against the card, scorecard points,
and the accuracy / explainability trade-off between champion and challengers (pure)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from threadpoolctl import threadpool_limits

from dashboard.analytics.paired_metrics import judge_difference
from dashboard.models.artifact import predict_scores
from dashboard.models.card import ModelCard

MATERIAL_SHARE = 0.05          # a feature is material when it carries >= 5% of the total importance
MONOTONE_TOLERANCE = 1e-4      # average score steps smaller than this are treated as flat
PDO, BASE_POINTS, BASE_ODDS = 20.0, 600.0, 50.0   # scorecard scaling: 600 points at 50:1 good:bad, 20 to double


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
