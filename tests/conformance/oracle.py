"""Independent computations on a portfolio's raw rows (pandas, numpy, scikit-learn, scipy).

Nothing here imports the project: every figure is recomputed from the rows the lender's
files hold, following the definitions of SPEC.md (money, fairness) and the documented
conventions (PSI on 10 reference deciles, PD = midpoint of the score's 0.001 bin).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tests.conformance.portfolios import Portfolio

PSI_EPS = 1e-4                 # the documented floor for empty deciles (so PSI stays finite)
DEFAULT_AGE_BANDS = (25, 35, 45, 55, 65)
MISSING_GROUP = "(missing)"
DECIDED = ("approve", "decline", "review")


# --------------------------------------------------------------------------- assumptions
@dataclass(frozen=True)
class Money:
    """The lender's business.toml values the figures need (read from the TOML, not by the project)."""

    currency: str
    average_amount: float
    interest_margin: float
    term_years: float
    lgd: float
    minutes_per_review: float
    cost_per_review: float
    review_share: float
    cost_per_prediction: float
    manual_minutes: float
    manual_hours: float
    auto_seconds: float
    baseline_cutoff: float
    capital: float
    capacity_per_second: float
    min_group_size: int


def money_of(p: Portfolio) -> Money:
    b = p.business
    loan, review, ops = b.get("loan", {}), b.get("review", {}), b.get("operations", {})
    return Money(
        currency=b.get("money", {}).get("currency", "EUR"),
        average_amount=float(loan.get("average_amount", 12000.0)),
        interest_margin=float(loan.get("interest_margin", 0.065)),
        term_years=float(loan.get("average_term_years", 3.0)),
        lgd=float(loan.get("loss_given_default", 0.55)),
        minutes_per_review=float(review.get("minutes_per_review", 25.0)),
        cost_per_review=float(review.get("cost_per_review", 22.0)),
        review_share=float(review.get("approval_share", 0.5)),
        cost_per_prediction=float(ops.get("cost_per_prediction", 0.015)),
        manual_minutes=float(ops.get("manual_minutes_per_application", 35.0)),
        manual_hours=float(ops.get("manual_turnaround_hours", 48.0)),
        auto_seconds=float(ops.get("automated_turnaround_seconds", 2.0)),
        baseline_cutoff=float(b.get("baseline", {}).get("cutoff", 0.10)),
        capital=float(b.get("capital", {}).get("available", 600_000_000.0)),
        capacity_per_second=float(b.get("serving", {}).get("capacity_per_second", 60.0)),
        min_group_size=int(b.get("fairness", {}).get("min_group_size", 30)),
    )


# --------------------------------------------------------------------------- rows
def latest_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The latest outcome row per application (by outcome_timestamp): what 'matured' means."""
    o = outcomes.copy()
    o["_t"] = pd.to_datetime(o["outcome_timestamp"])
    o = o.sort_values(["application_id", "_t"], kind="stable").groupby("application_id").tail(1)
    for col in ("loan_amount", "loss_amount"):
        if col not in o:
            o[col] = np.nan
    return o.set_index("application_id")[["label", "loan_amount", "loss_amount"]]


def model_rows(p: Portfolio, model_id: str) -> pd.DataFrame:
    """The model's logged rows with date, month, score bin, and the matured outcome (if any)."""
    rows = p.predictions[p.predictions["model_id"] == model_id].copy()
    ts = pd.to_datetime(rows["timestamp"])
    rows["date"] = ts.dt.date
    rows["month"] = ts.dt.strftime("%Y-%m")
    rows["score"] = rows["score"].astype(float)
    if "decision" not in rows:
        rows["decision"] = None
    out = latest_outcomes(p.outcomes)
    rows = rows.join(out.rename(columns={"label": "outcome_label"}), on="application_id")
    rows["matured"] = rows["outcome_label"].notna()
    rows["bin"] = np.minimum(np.floor(rows["score"].to_numpy() * 1000), 999).astype(int)
    rows["pd"] = (rows["bin"] + 0.5) / 1000
    return rows.reset_index(drop=True)


def champion_rows(p: Portfolio) -> pd.DataFrame:
    return model_rows(p, p.champion)


def in_window(rows: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    d = pd.to_datetime(rows["date"])
    return rows[(d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))]


# --------------------------------------------------------------------------- money (SPEC)
def exposure(rows: pd.DataFrame, m: Money) -> np.ndarray:
    """loan_amount when given, else the assumed average (unmatured loans: always the average)."""
    amt = rows["loan_amount"].astype(float).to_numpy()
    return np.where(rows["matured"].to_numpy() & ~np.isnan(amt), amt, m.average_amount)


def realized_loss(rows: pd.DataFrame, m: Money) -> np.ndarray:
    """Per matured row: loss_amount when given (0 is real), else label 1 x exposure x LGD; NaN unmatured."""
    loss = rows["loss_amount"].astype(float).to_numpy()
    label = rows["outcome_label"].astype(float).to_numpy()
    est = np.where(label == 1, exposure(rows, m) * m.lgd, 0.0)
    out = np.where(~np.isnan(loss), loss, est)
    return np.where(rows["matured"].to_numpy(), out, np.nan)


def realized_interest(rows: pd.DataFrame, m: Money) -> np.ndarray:
    """Per matured good row: its exposure x margin x term; 0 for matured bads; NaN unmatured."""
    label = rows["outcome_label"].astype(float).to_numpy()
    gain = np.where(label == 0, exposure(rows, m) * m.interest_margin * m.term_years, 0.0)
    return np.where(rows["matured"].to_numpy(), gain, np.nan)


def expected_loss(rows: pd.DataFrame, m: Money) -> np.ndarray:
    return rows["pd"].to_numpy() * m.lgd * m.average_amount


def expected_interest(rows: pd.DataFrame, m: Money) -> np.ndarray:
    return (1 - rows["pd"].to_numpy()) * m.average_amount * m.interest_margin * m.term_years


def observed_counts(rows: pd.DataFrame) -> dict[str, int]:
    """Matured loans with an observed amount / loss, and those that needed the assumption."""
    mat = rows[rows["matured"]]
    has_amt = mat["loan_amount"].notna()
    has_loss = mat["loss_amount"].notna()
    return {"matured": int(len(mat)), "amount_observed": int(has_amt.sum()), "amount_assumed": int((~has_amt).sum()),
            "loss_observed": int(has_loss.sum()),
            "loss_observed_defaults": int((has_loss & (mat["outcome_label"] == 1)).sum()),
            "loss_assumed": int((~has_loss & (mat["outcome_label"] == 1)).sum())}


# --------------------------------------------------------------------------- fairness (SPEC)
def band_labels(edges: Iterable[float]) -> list[str]:
    e = [float(x) for x in edges]
    fmt = [f"{x:g}" for x in e]
    return [f"under {fmt[0]}", *[f"{a} to under {b}" for a, b in zip(fmt[:-1], fmt[1:], strict=True)],
            f"{fmt[-1]} and over"]


def banded(values: pd.Series, edges: Iterable[float]) -> pd.Series:
    """Lower-inclusive bands: 'under e0', 'e0 to under e1', ..., 'eK and over'; missing -> (missing)."""
    e = [float(x) for x in edges]
    labels = band_labels(e)
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(e), num, side="right")
    out = np.array([labels[i] for i in np.clip(idx, 0, len(labels) - 1)], dtype=object)
    out[np.isnan(num)] = MISSING_GROUP
    return pd.Series(out, index=values.index)


def _looks_numeric(values: pd.Series) -> bool:
    present = values.dropna()
    num = pd.to_numeric(present, errors="coerce")
    return bool(len(present) and num.notna().mean() >= 0.95 and num.nunique() > 10)


def _age_like(name: str) -> bool:
    return name == "age" or name.endswith("_age") or name.startswith("age_")


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


def protected_groups(p: Portfolio, rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Per protected attribute, the group of each row as SPEC.md defines it."""
    out = {}
    for entry in p.protected:
        name = entry["name"] if isinstance(entry, dict) else str(entry)
        values = rows[name]
        if isinstance(entry, dict) and entry.get("bands"):
            out[name] = banded(values, entry["bands"])
        elif _looks_numeric(values):
            if _age_like(name):
                out[name] = banded(values, DEFAULT_AGE_BANDS)
            else:
                source = p.reference[name] if p.reference is not None and name in p.reference else values
                qs = np.quantile(pd.to_numeric(source, errors="coerce").dropna(), [0.2, 0.4, 0.6, 0.8])
                out[name] = banded(values, sorted({sig3(q) for q in qs}))
        else:
            out[name] = values.astype(object).where(values.notna(), MISSING_GROUP).astype(str)
    return out


def adverse_impact(groups: pd.Series, approved: np.ndarray, decided: np.ndarray,
                   min_size: int) -> tuple[float | None, dict[str, tuple[float, float]], list[str]]:
    """(ratio, {group: (decided, approval rate)} of qualifying groups, left-out groups)."""
    frame = pd.DataFrame({"g": groups.to_numpy(), "a": approved.astype(float), "d": decided.astype(float)})
    agg = frame.groupby("g")[["a", "d"]].sum()
    agg = agg[agg["d"] > 0]
    # "(missing)" is not a protected group: listed, never compared (README, fairness).
    counted = (agg["d"] >= min_size) & (agg.index != MISSING_GROUP)
    ok = agg[counted]
    rates = {str(g): (float(r.d), float(r.a / r.d)) for g, r in ok.iterrows()}
    left = sorted(str(g) for g in agg.index[~counted])
    if len(ok) < 2:
        return None, rates, left
    values = [r for _, r in rates.values()]
    if max(values) <= 0:
        return None, rates, left
    return min(values) / max(values), rates, left


# --------------------------------------------------------------------------- PSI (credit convention)
def _psi_counts(r: np.ndarray, c: np.ndarray, eps: float = PSI_EPS) -> float:
    pr, pc = r / r.sum(), c / c.sum()
    pr, pc = np.maximum(pr, eps), np.maximum(pc, eps)
    pr, pc = pr / pr.sum(), pc / pc.sum()
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def psi_at_edges(ref: np.ndarray, cur: np.ndarray, edges: np.ndarray) -> float:
    """PSI on the groups x < e1, e1 <= x < e2, ... (empty reference groups dropped)."""
    e = np.unique(edges)
    r = np.bincount(np.searchsorted(e, ref, side="right"), minlength=len(e) + 1).astype(float)
    c = np.bincount(np.searchsorted(e, cur, side="right"), minlength=len(e) + 1).astype(float)
    keep = r > 0
    return _psi_counts(r[keep], c[keep])


def decile_psi(ref: np.ndarray, cur: np.ndarray, shift: float = 0.0) -> float | None:
    """PSI on 10 groups cut at the reference deciles (moved by `shift` in quantile terms)."""
    ref = np.asarray(ref, dtype=float)
    cur = np.asarray(cur, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if not len(ref) or not len(cur):
        return None
    qs = np.clip(np.arange(1, 10) / 10 + shift, 0, 1)
    return psi_at_edges(ref, cur, np.quantile(ref, qs, method="inverted_cdf"))


def decile_psi_band(ref: np.ndarray, cur: np.ndarray, step: float) -> tuple[float, float]:
    """(exact decile PSI, tolerance): how far PSI moves when the decile cuts move by one
    fine bin (`step` in quantile terms) either way, the resolution of a binned rollup."""
    exact = decile_psi(ref, cur)
    assert exact is not None
    moved = [v for s in (-step, step) if (v := decile_psi(ref, cur, s)) is not None]
    return exact, max([abs(v - exact) for v in moved] + [0.0]) + 1e-3


def fixed_step_psi_band(ref: np.ndarray, cur: np.ndarray, width: float) -> tuple[float, float]:
    """Decile PSI of scores whose cuts can only sit on a grid of `width` (the 0.001 score bins):
    the exact value and the spread when every cut is rounded down or up to the grid."""
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    edges = np.quantile(ref, np.arange(1, 10) / 10, method="inverted_cdf")
    exact = psi_at_edges(ref, cur, edges)
    spread = [abs(psi_at_edges(ref, cur, f(edges / width) * width) - exact) for f in (np.floor, np.ceil)]
    return exact, max(spread) + 1e-3


def category_psi(ref: pd.Series, cur: pd.Series) -> float:
    cats = sorted(set(ref.dropna().astype(str)) | set(cur.dropna().astype(str)))
    r = ref.dropna().astype(str).value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float)
    c = cur.dropna().astype(str).value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float)
    return _psi_counts(r, c)


# --------------------------------------------------------------------------- output checks
_FRAME_PRINT = re.compile(r"dtype: |Name: .*, dtype|\[\d+ rows x \d+ columns\]|Length: \d+, dtype|^\s*\d+\s+\S+.*\n\s*\d+\s+\S+",
                          re.MULTILINE)


def printed_frames(value: Any, where: str = "$") -> list[str]:
    """Paths of string values that hold a printed pandas object instead of data."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += printed_frames(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += printed_frames(v, f"{where}[{i}]")
    elif isinstance(value, str) and _FRAME_PRINT.search(value):
        found.append(f"{where}: {value[:80]!r}")
    return found


def loads_plain(text: str) -> Any:
    """json.loads that refuses NaN/Infinity (not JSON) as well as anything unparsable."""
    def bad(token: str) -> float:
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=bad)


_AMOUNT = re.compile(r"(-?)\s*([A-Z]{3})?\s*(-?)([0-9][0-9,]*(?:\.[0-9]+)?)\s*([kM]?)")


def parse_money(value: Any) -> float | None:
    """A money input as printed ('CHF 1,234', '-EUR 12', 1234.5) as a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _AMOUNT.search(value)
    if not m:
        return None
    number = float(m.group(4).replace(",", "")) * {"": 1, "k": 1e3, "M": 1e6}[m.group(5)]
    return -number if (m.group(1) or m.group(3)) else number
