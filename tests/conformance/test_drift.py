"""`dashboard report drift --format json` against the raw rows, two windows of logs and the
registered reference file, for the champion of every portfolio.

Windows: the reference is the first two calendar months of logs, the current the last two
(both `YYYY-MM-DD:YYYY-MM-DD`, inclusive); the second report uses the reference data
registered with the model (`--reference` left at its default) against the same current window.

| figure | tolerance | why |
|---|---|---|
| missing share (reference, current) | 1e-9 | a count ratio |
| numeric PSI | decile PSI of the raw values (10 reference deciles, empty shares floored at 1e-4); tolerance = the spread when every decile cut moves by one fine bin (1% of the reference in quantile terms; 2% for a window of logs, whose mass per registration bin varies) + 0.001 | PSI is merged from 100 reference-quantile bins |
| numeric KS statistic | 0.03 vs `scipy.stats.ks_2samp` | CDFs compared on the bin edges only (a bin holds about 1% of the reference) |
| Wasserstein | 5% vs `scipy.stats.wasserstein_distance` | SPEC.md / issue 16 item 6 |
| categorical PSI | 0.001 | category shares, floored at 1e-4 (unused card categories shift the renormalisation) |
| chi-square statistic, p-value | 1e-6 relative vs `scipy.stats.chi2_contingency(correction=False)` on the categories seen in either window | exact counts |
| score PSI | decile cuts on the 0.001 grid + 0.001 | as in report performance |
| reference / current labels | name the dates of each window; the registered reference names its file and, when the file has a timestamp column, its own first and last day, never the card's training window | SPEC.md drift item |
| JSON | `json.loads` without NaN, no printed pandas object in any string | SPEC.md |
| Markdown | no empty table cell (a missing value shows "n/a") | SPEC.md |
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.conformance import oracle
from tests.conformance.checks import Checks
from tests.conformance.portfolios import Portfolio, cli


def _windows(p: Portfolio) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    rows = oracle.champion_rows(p)
    months = sorted(rows["month"].unique())
    start = pd.Period(months[0], "M")
    end = pd.Period(months[-1], "M")
    ref = (start.start_time.date(), (start + 1).end_time.date())
    cur = ((end - 1).start_time.date(), end.end_time.date())
    return ref, cur


def _drift(p: Portfolio, *extra: str, fmt: str = "json") -> tuple[str, object]:
    code, out, err = cli(p.store, "report", "drift", "--model", p.champion, "--format", fmt, *extra)
    assert code == 0, f"report drift exited {code}: {err}"
    return out, (oracle.loads_plain(out) if fmt == "json" else None)


@pytest.fixture
def windows(portfolio: Portfolio) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    return _windows(portfolio)


def _compare_features(p: Portfolio, data: dict, ref: pd.DataFrame, cur: pd.DataFrame, step: float,
                      label: str, checks: Checks) -> None:
    rows = {r["feature"]: r for r in data["features"]}
    for f in p.features:
        got = rows.get(f.name)
        where = f"{label} {f.name}"
        if not checks.truth("feature listed", where, got is not None, "feature missing from the report"):
            continue
        r, c = ref[f.name], cur[f.name]
        checks.value("missing share (reference)", where, got["missing_ref"], float(r.isna().mean()), abs_=1e-9)
        checks.value("missing share (current)", where, got["missing_cur"], float(c.isna().mean()), abs_=1e-9)
        if f.type == "numeric":
            rv = pd.to_numeric(r, errors="coerce").dropna().to_numpy(dtype=float)
            cv = pd.to_numeric(c, errors="coerce").dropna().to_numpy(dtype=float)
            exact, tol = oracle.decile_psi_band(rv, cv, step)
            checks.value("PSI (numeric)", where, got["psi"], exact, abs_=tol,
                         tolerance=f"decile cuts moved by {step:.0%} + 0.001")
            checks.value("KS statistic", where, got["ks"], float(stats.ks_2samp(rv, cv).statistic), abs_=0.03)
            checks.value("Wasserstein", where, got["wasserstein"], float(stats.wasserstein_distance(rv, cv)),
                         rel=0.05)
        else:
            checks.value("PSI (categorical)", where, got["psi"], oracle.category_psi(r, c), abs_=1e-3)
            cats = sorted(set(r.dropna().astype(str)) | set(c.dropna().astype(str)))
            table = np.vstack([r.dropna().astype(str).value_counts().reindex(cats, fill_value=0).to_numpy(),
                               c.dropna().astype(str).value_counts().reindex(cats, fill_value=0).to_numpy()])
            res = stats.chi2_contingency(table, correction=False)
            checks.value("chi-square", where, got["chi2"], float(res.statistic), rel=1e-6)
            checks.value("chi-square p-value", where, got["chi2_pvalue"], float(res.pvalue), rel=1e-6, abs_=1e-12)


def _mentions_date(label: str, day: dt.date) -> bool:
    return str(day) in label


def test_drift_between_two_log_windows(portfolio: Portfolio, windows: tuple, checks: Checks) -> None:
    (a, b), (c, d) = windows
    text, data = _drift(portfolio, "--reference", f"{a}:{b}", "--current", f"{c}:{d}")
    assert isinstance(data, dict)
    rows = oracle.champion_rows(portfolio)
    ref, cur = oracle.in_window(rows, a, b), oracle.in_window(rows, c, d)
    _compare_features(portfolio, data, ref, cur, 0.02, "logs", checks)
    exact, tol = oracle.fixed_step_psi_band(ref["score"].to_numpy(), cur["score"].to_numpy(), 0.001)
    checks.value("score PSI", "logs", data["score"].get("psi"), exact, abs_=tol,
                 tolerance="decile cuts on the 0.001 grid + 0.001")
    checks.truth("reference label names its window", "logs", _mentions_date(data["reference"], a)
                 and _mentions_date(data["reference"], b), f"reference labelled {data['reference']!r}")
    checks.truth("current label names its window", "logs", _mentions_date(data["current"], c)
                 and _mentions_date(data["current"], d), f"current labelled {data['current']!r}")
    checks.truth("JSON is plain data", "logs", oracle.printed_frames(data) == [], str(oracle.printed_frames(data)))
    checks.done()


def test_drift_against_the_registered_reference(portfolio: Portfolio, windows: tuple, checks: Checks) -> None:
    assert portfolio.reference is not None and portfolio.reference_file is not None
    _, (c, d) = windows
    text, data = _drift(portfolio, "--current", f"{c}:{d}")
    assert isinstance(data, dict)
    cur = oracle.in_window(oracle.champion_rows(portfolio), c, d)
    _compare_features(portfolio, data, portfolio.reference, cur, 0.01, "registered", checks)
    label = data["reference"]
    checks.truth("reference label names the file", "registered", portfolio.reference_file.name in label,
                 f"reference labelled {label!r}, the file is {portfolio.reference_file.name}")
    if "timestamp" in portfolio.reference:
        days = pd.to_datetime(portfolio.reference["timestamp"]).dt.date
        checks.truth("reference label has the file's own dates", "registered",
                     _mentions_date(label, days.min()) and _mentions_date(label, days.max()),
                     f"reference labelled {label!r}; the file runs from {days.min()} to {days.max()}")
        start, end = portfolio.card_training_window
        checks.truth("reference label is not the card's training window", "registered",
                     start not in label and end not in label,
                     f"reference labelled {label!r} with the card's training window {start}..{end}")
    checks.truth("JSON is plain data", "registered", oracle.printed_frames(data) == [],
                 str(oracle.printed_frames(data)))
    checks.done()


def test_drift_markdown_shows_na(portfolio: Portfolio, windows: tuple, checks: Checks) -> None:
    (a, b), (c, d) = windows
    text, _ = _drift(portfolio, "--reference", f"{a}:{b}", "--current", f"{c}:{d}", fmt="md")
    blanks = [line for line in text.splitlines() if line.startswith("|") and re.search(r"\|\s*(?=\|)", line[1:])]
    checks.truth("Markdown has no blank cells", "md", not blanks, f"{len(blanks)} table rows with a blank cell, "
                 f"e.g. {blanks[:1]}")
    checks.truth("Markdown has no blank values", "md", not re.search(r": (?:\s*$| vs |\s*->)", text, re.MULTILINE),
                 "a value printed as a blank")
    checks.done()
