"""`dashboard policy show --format json` against what was registered and applied, and the CLI
conventions of SPEC.md on the commands the battery uses (exit codes, one window syntax).

| check | expected |
|---|---|
| policy cutoff, review band | the card's cutoff, or the policy applied on Thresholds (alpine: 0.25 with review from 0.18, version 1) |
| unknown model, bad window or period (on one portfolio, thames: the conventions do not depend on the data) | exit 2 and a message naming the bad input |
| `--current YYYY-MM`, `YYYY-Qn`, `last-30d` on report drift; `--period last-3m`, `YYYY-MM-DD:YYYY-MM-DD` on report impact | exit 0; the label names the window's first and last day |
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.conformance import oracle
from tests.conformance.checks import Checks, Recorder, built_portfolio
from tests.conformance.portfolios import Portfolio, cli


@pytest.fixture
def one(conformance_root: Path, monkeypatch: pytest.MonkeyPatch, record: Recorder) -> tuple[Portfolio, Checks]:
    """The CLI conventions do not depend on the data: one portfolio (thames, GBP) is enough."""
    p = built_portfolio("thames", conformance_root)
    for key, value in p.env().items():
        monkeypatch.setenv(key, value)
    return p, Checks(record, p.name)


def test_policy_show(portfolio: Portfolio, checks: Checks) -> None:
    code, out, err = cli(portfolio.store, "policy", "show", "--format", "json")
    checks.value("policy show exit code", "all models", code, 0)
    data = oracle.loads_plain(out)
    for model, (cutoff, review_from) in portfolio.policy.items():
        got = data["models"].get(model, {})
        checks.value("policy cutoff", model, got.get("cutoff"), cutoff, abs_=1e-12)
        checks.value("policy review from", model, got.get("review_from"), review_from, abs_=1e-12)
        checks.value("policy version", model, got.get("version"), 1 if model == "ch_hgb" else 0)
    checks.done()


def _bad(p: Portfolio, checks: Checks, name: str, args: list[str], names: str) -> None:
    code, out, err = cli(p.store, *args)
    checks.value(f"exit code: {name}", " ".join(args), code, 2)
    checks.truth(f"message: {name}", " ".join(args), names in err, f"stderr does not name {names!r}: {err[:200]!r}")


def test_bad_input_exits_2(one: tuple[Portfolio, Checks]) -> None:
    p, checks = one
    _bad(p, checks, "unknown model (performance)", ["report", "performance", "--model", "typo_model", "--format", "json"],
         "typo_model")
    _bad(p, checks, "unknown model (drift)", ["report", "drift", "--model", "typo_model", "--format", "json"], "typo_model")
    _bad(p, checks, "unknown model (policy)", ["policy", "show", "--model", "typo_model"], "typo_model")
    _bad(p, checks, "bad window (drift)", ["report", "drift", "--model", p.champion, "--current", "2025-13-01:2025-14-01"],
         "2025-13-01")
    _bad(p, checks, "bad period (impact)", ["report", "impact", "--period", "2025-13"], "2025-13")
    checks.done()


def _last_day(p: Portfolio) -> dt.date:
    return max(oracle.champion_rows(p)["date"])


def test_one_window_syntax(one: tuple[Portfolio, Checks]) -> None:
    p, checks = one
    last = _last_day(p)
    month = pd.Period(last, "M") - 1
    quarter = pd.Period(last, "Q") - 1
    cases = {
        str(month): (month.start_time.date(), month.end_time.date()),
        f"{quarter.year}-Q{quarter.quarter}": (quarter.start_time.date(), quarter.end_time.date()),
        "last-30d": (last - dt.timedelta(days=29), last),
    }
    for text, (first, end) in cases.items():
        code, out, err = cli(p.store, "report", "drift", "--model", p.champion, "--current", text, "--format", "json")
        if checks.value("drift window exit code", text, code, 0):
            label = oracle.loads_plain(out)["current"]
            checks.truth("drift window label", text, str(first) in label and str(end) in label,
                         f"--current {text} labelled {label!r}, expected {first} to {end}")
    span = pd.Period(last, "M")
    for text in ("last-3m", f"{(span - 2).start_time.date()}:{span.end_time.date()}"):
        code, out, err = cli(p.store, "report", "impact", "--period", text, "--format", "json")
        if checks.value("impact period exit code", text, code, 0):
            data = oracle.loads_plain(out)
            checks.value("impact period start", text, data.get("start"), str((span - 2).start_time.date()))
            checks.value("impact period end", text, data.get("end"), str(span.end_time.date()))
    checks.done()
