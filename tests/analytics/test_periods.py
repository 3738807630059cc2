"""The one window syntax: every form against pandas' calendar, every mistake with a message that says what to write."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.analytics import impact
from dashboard.analytics.periods import (
    PeriodError,
    months_between,
    parse_period,
    previous_period,
)

NEWEST = dt.date(2026, 3, 14)


def _span(period: pd.Period) -> tuple[dt.date, dt.date]:
    return period.start_time.date(), period.end_time.date()


@pytest.mark.parametrize("text", ["2024-02", "2025-02", "2026-12", "2026-1", " 2026-07 "])
def test_month(text: str) -> None:
    p = parse_period(text)
    assert (p.start, p.end) == _span(pd.Period(text.strip(), "M"))
    assert p.days == pd.Period(text.strip(), "M").days_in_month
    assert p.kind == "month"


@pytest.mark.parametrize("text", ["2026-Q1", "2026-q2", "2024-Q3", "2025-Q4"])
def test_quarter(text: str) -> None:
    p = parse_period(text)
    assert (p.start, p.end) == _span(pd.Period(text.upper().replace("-", ""), "Q"))
    assert p.label == text.upper()


def test_dates_are_inclusive() -> None:
    p = parse_period("2026-02-20:2026-03-05")
    assert (p.start, p.end) == (dt.date(2026, 2, 20), dt.date(2026, 3, 5))
    assert p.days == len(pd.date_range("2026-02-20", "2026-03-05", freq="D"))
    assert parse_period("2026-02-20:2026-02-20").days == 1


@pytest.mark.parametrize("n", [1, 7, 30, 90, 365])
def test_last_days_end_on_the_newest_day(n: int) -> None:
    p = parse_period(f"last-{n}d", NEWEST)
    days = pd.date_range(end=pd.Timestamp(NEWEST), periods=n, freq="D")
    assert (p.start, p.end) == (days[0].date(), days[-1].date())
    assert p.days == n


@pytest.mark.parametrize("n", [1, 3, 12, 15])
def test_last_months_are_whole_calendar_months_ending_with_the_newest(n: int) -> None:
    p = parse_period(f"LAST-{n}M", NEWEST)
    months = pd.period_range(end=pd.Period(NEWEST, "M"), periods=n, freq="M")
    assert (p.start, p.end) == (months[0].start_time.date(), months[-1].end_time.date())
    if n == 1:
        assert p == parse_period("2026-03")


def test_labels_read_back_as_the_same_days() -> None:
    for text in ("2026-04", "2026-Q2", "2026-04-03:2026-05-15", "last-30d", "last-3m"):
        p = parse_period(text, NEWEST)
        again = parse_period(p.label)
        assert (again.start, again.end) == (p.start, p.end), text


def test_previous_period() -> None:
    assert previous_period(parse_period("2026-01")).label == "2025-12"
    assert previous_period(parse_period("2026-Q1")).label == "2025-Q4"
    assert previous_period(parse_period("2026-Q3")).label == "2026-Q2"
    prev = previous_period(parse_period("2026-02-11:2026-02-20"))
    assert (prev.start, prev.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 10))
    # three calendar months before the last three, not the same number of days
    prev = previous_period(parse_period("last-3m", NEWEST))
    months = pd.period_range(end=pd.Period("2025-12", "M"), periods=3, freq="M")
    assert (prev.start, prev.end) == (months[0].start_time.date(), months[-1].end_time.date())
    prev = previous_period(parse_period("last-30d", NEWEST))
    assert prev.end == NEWEST - dt.timedelta(days=30) and prev.days == 30


def test_months_between() -> None:
    got = [p.label for p in months_between(dt.date(2025, 11, 20), dt.date(2026, 2, 1))]
    assert got == [str(p) for p in pd.period_range("2025-11", "2026-02", freq="M")]


@pytest.mark.parametrize(("text", "message"), [
    ("2026-04-01..2026-05-15", "separate the two dates with a colon, as in 2026-04-01:2026-05-15"),
    ("2026-13", "the month must be 01 to 12"),
    ("2026-Q5", "the quarter must be Q1 to Q4"),
    ("2026-02-30:2026-03-01", "'2026-02-30' is not a date; write dates as YYYY-MM-DD"),
    ("2026-05-10:2026-05-01", "ends (2026-05-01) before it starts (2026-05-10)"),
    ("2026-05-01", "is one date; a window needs two, as in 2026-05-01:2026-05-01"),
    ("April", "'April' is not a window: use YYYY-MM-DD:YYYY-MM-DD (inclusive), YYYY-MM, YYYY-Qn, last-30d"),
    ("last-0d", "count at least 1 day"),
    ("last-2w", "is not a window"),
    ("", "is empty"),
])
def test_mistakes_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(PeriodError) as err:
        parse_period(text, NEWEST)
    assert message in str(err.value)


def test_last_needs_the_newest_day() -> None:
    with pytest.raises(PeriodError, match="counts back from the newest day of data"):
        parse_period("last-30d")


def test_impact_catches_period_errors_as_its_own() -> None:
    # The Impact page catches ImpactError around period parsing: one exception type for both.
    assert impact.ImpactError is PeriodError
    with pytest.raises(impact.ImpactError):
        parse_period("April")
