"""Portfolio-at-a-glance figures from the daily rollup (pure pandas)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PeriodSummary:
    start: dt.date
    end: dt.date
    applications: int
    approved: int
    declined: int
    review: int
    approval_rate: float | None
    labelled_approved: int
    bad_approved: int
    realized_bad_rate: float | None   # among approved loans with an outcome
    label_maturity: float | None      # share of approved loans with an outcome


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def compute_period_summary(daily: pd.DataFrame, start: dt.date, end: dt.date) -> PeriodSummary:
    """Figures for one model's days in [start, end]."""
    days = pd.to_datetime(daily["date"]).dt.date if not daily.empty else pd.Series([], dtype=object)
    part = daily[(days >= start) & (days <= end)] if not daily.empty else daily
    n = int(part["n"].sum()) if not part.empty else 0
    approved = int(part["n_approve"].sum()) if not part.empty else 0
    labelled = int(part["n_labelled_approved"].sum()) if not part.empty else 0
    bad = int(part["n_bad_approved"].sum()) if not part.empty else 0
    decided = n - (int(part["n_undecided"].sum()) if not part.empty else 0)
    return PeriodSummary(
        start=start, end=end, applications=n, approved=approved,
        declined=int(part["n_decline"].sum()) if not part.empty else 0,
        review=int(part["n_review"].sum()) if not part.empty else 0,
        approval_rate=_ratio(approved, decided), labelled_approved=labelled, bad_approved=bad,
        realized_bad_rate=_ratio(bad, labelled), label_maturity=_ratio(labelled, approved),
    )


def compute_trend(daily: pd.DataFrame, freq: str = "W") -> pd.DataFrame:
    """Per period (W, M): volume, approval rate, realized bad rate and label maturity."""
    if daily.empty:
        return pd.DataFrame(columns=["period", "applications", "approval_rate", "realized_bad_rate",
                                     "label_maturity"])
    frame = daily.copy()
    frame["period"] = pd.to_datetime(frame["date"]).dt.to_period(freq).dt.start_time
    agg = frame.groupby("period", as_index=False)[
        ["n", "n_approve", "n_undecided", "n_labelled_approved", "n_bad_approved"]].sum()
    decided = agg["n"] - agg["n_undecided"]
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["approval_rate"] = np.where(decided > 0, agg["n_approve"] / decided.where(decided > 0), np.nan)
        agg["realized_bad_rate"] = np.where(agg["n_labelled_approved"] > 0,
                                            agg["n_bad_approved"] / agg["n_labelled_approved"].where(
                                                agg["n_labelled_approved"] > 0), np.nan)
        agg["label_maturity"] = np.where(agg["n_approve"] > 0,
                                         agg["n_labelled_approved"] / agg["n_approve"].where(agg["n_approve"] > 0),
                                         np.nan)
    return agg.rename(columns={"n": "applications"})[
        ["period", "applications", "approval_rate", "realized_bad_rate", "label_maturity"]]


def compute_model_table(daily: pd.DataFrame, roles: dict[str, str], names: dict[str, str],
                        validation_auc: dict[str, float | None]) -> pd.DataFrame:
    """One row per registered model: role, volume scored and when it was last seen."""
    rows = []
    for mid in sorted(roles, key=lambda m: (roles[m] != "champion", m)):
        part = daily[daily["model_id"] == mid] if not daily.empty else daily
        rows.append({
            "model": mid, "name": names.get(mid, mid), "role": roles[mid],
            "validation AUC": validation_auc.get(mid),
            "applications scored": int(part["n"].sum()) if not part.empty else 0,
            "first seen": pd.Timestamp(part["first_ts"].min()) if not part.empty else None,
            "last seen": pd.Timestamp(part["last_ts"].max()) if not part.empty else None,
        })
    return pd.DataFrame(rows)


def describe_age(then: pd.Timestamp | None, now: pd.Timestamp) -> str:
    """'3 hours ago' style freshness text."""
    if then is None or pd.isna(then):
        return "no data yet"
    seconds = max((now - then).total_seconds(), 0)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            k = int(seconds // size)
            return f"{k} {unit}{'s' if k != 1 else ''} ago"
    return "just now"
