"""Window reads: whole months from the month tables, the ends day by day, equal to the day tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.store import Store
from dashboard.store.layout import MONTH_ROLLUP_KEYS
from dashboard.store.windows import split_window, window_source
from tests.support.batches import copy_prediction_batch

DAYS = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31))


def _covered(start: dt.date, end: dt.date) -> list[dt.date]:
    months, ranges = split_window(start, end)
    days: list[dt.date] = []
    for lo, hi in ([months] if months else []) + ranges:
        assert lo is not None and hi is not None
        days += [lo + dt.timedelta(days=i) for i in range((hi - lo).days)]
    return days


@given(DAYS, DAYS)
def test_pieces_cover_the_window_once_with_whole_months(a: dt.date, b: dt.date) -> None:
    start, end = min(a, b), max(a, b)
    days = _covered(start, end)
    assert sorted(days) == [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    months, _ = split_window(start, end)
    if months is not None:
        lo, hi = months
        assert lo is not None and hi is not None and lo.day == 1 and hi.day == 1


def test_open_ends_read_months_only_where_the_window_has_no_bound() -> None:
    assert split_window(None, None) == ((None, None), [])
    assert split_window(dt.date(2025, 3, 15), None) == ((dt.date(2025, 4, 1), None),
                                                        [(dt.date(2025, 3, 15), dt.date(2025, 4, 1))])
    assert split_window(None, dt.date(2025, 3, 31)) == ((None, dt.date(2025, 4, 1)), [])
    assert split_window(dt.date(2025, 3, 2), dt.date(2025, 3, 30)) == (
        None, [(dt.date(2025, 3, 2), dt.date(2025, 3, 31))])


def _window_sums(store: Store, kind: str, start: dt.date | None, end: dt.date | None,
                 through_months: bool) -> pd.DataFrame:
    keys = ", ".join(("model_id", *MONTH_ROLLUP_KEYS[kind]))
    if through_months:
        source, params = window_source(store, kind, start, end)
    else:
        source = f"(SELECT * FROM r_{kind} WHERE (?::DATE IS NULL OR date >= ?) AND (?::DATE IS NULL OR date <= ?))"
        params = [start, start, end, end]
    frame = store.sql(f"SELECT {keys}, sum(n)::BIGINT AS n, sum(n_labelled)::BIGINT AS n_labelled, "
                      f"sum(n_bad)::BIGINT AS n_bad FROM {source} GROUP BY ALL ORDER BY ALL", params)
    return frame.reset_index(drop=True)


@pytest.mark.parametrize("kind", sorted(MONTH_ROLLUP_KEYS))
def test_windows_sum_as_the_day_table(small_store: Store, kind: str) -> None:
    span = small_store.sql(f"SELECT min(date) AS lo, max(date) AS hi FROM r_{kind}")
    lo, hi = pd.Timestamp(span["lo"].iloc[0]).date(), pd.Timestamp(span["hi"].iloc[0]).date()
    windows = [(None, None), (lo, hi), (lo + dt.timedelta(days=17), hi - dt.timedelta(days=40)),
               (None, hi - dt.timedelta(days=75)), (lo + dt.timedelta(days=45), None),
               (hi.replace(day=1), hi), (hi.replace(day=2), hi.replace(day=9))]
    for start, end in windows:
        months = _window_sums(small_store, kind, start, end, through_months=True)
        days = _window_sums(small_store, kind, start, end, through_months=False)
        assert len(days) > 0
        pd.testing.assert_frame_equal(months, days, check_exact=True, obj=f"{kind} {start} {end}")


def test_month_tables_follow_new_batches(store_copy: Store) -> None:
    def total(table: str) -> int:
        return int(store_copy.sql(f"SELECT sum(n)::BIGINT AS n FROM {table}").n.iloc[0])

    before = total("r_scores_month")
    store_copy.write_predictions(copy_prediction_batch(store_copy, 0, 50))
    assert total("r_scores_month") == before + 50 == total("r_scores")
    assert total("r_groups_month") == total("r_groups")


def test_an_empty_store_has_empty_month_tables(empty_store: Store) -> None:
    for kind in MONTH_ROLLUP_KEYS:
        assert empty_store.sql(f"SELECT count(*) AS n FROM r_{kind}_month").n.iloc[0] == 0


def test_only_month_rollups_have_windows(small_store: Store) -> None:
    with pytest.raises(ValueError, match="no month table"):
        window_source(small_store, "features")


def _month_sums(store: Store, kind: str) -> pd.DataFrame:
    """The month grain as the day table sums it."""
    keys = ", ".join(("model_id", *MONTH_ROLLUP_KEYS[kind]))
    return store.sql(f"SELECT {keys}, date_trunc('month', date)::DATE AS date, sum(n)::BIGINT AS n, "
                     f"sum(n_labelled)::BIGINT AS n_labelled, sum(n_bad)::BIGINT AS n_bad FROM r_{kind} "
                     "GROUP BY ALL ORDER BY ALL")


def _month_table(store: Store, kind: str) -> pd.DataFrame:
    keys = ", ".join(("model_id", *MONTH_ROLLUP_KEYS[kind]))
    return store.sql(f"SELECT {keys}, date, n, n_labelled, n_bad FROM r_{kind}_month ORDER BY ALL")


@pytest.mark.parametrize("kind", sorted(MONTH_ROLLUP_KEYS))
def test_month_files_are_written_with_the_day_files_and_sum_them(small_store: Store, kind: str) -> None:
    day_files = {(p.parent.name, p.stem) for p in small_store.rollup_files_of_months(kind, _all_months(small_store))}
    month_dir = small_store.layout.rollups / f"{kind}_month"
    assert {(p.parent.name, p.stem) for p in month_dir.glob("*/*.parquet")} == day_files
    pd.testing.assert_frame_equal(_month_table(small_store, kind), _month_sums(small_store, kind), check_exact=True)


def _all_months(store: Store) -> list[str]:
    return sorted({p.stem for p in (store.layout.rollups / "daily").glob("*/*.parquet")})


def test_a_store_without_month_files_sums_its_day_files(store_copy: Store) -> None:
    """Stores written before month files existed (or read between a writer's two files)."""
    expected = {kind: _month_sums(store_copy, kind) for kind in MONTH_ROLLUP_KEYS}
    removed = sorted((store_copy.layout.rollups / "scores_month").glob("*/*.parquet"))[:2]
    for path in removed:
        path.unlink()
    import shutil
    shutil.rmtree(store_copy.layout.rollups / "groups_month")
    reader = Store(store_copy.root)
    for kind in MONTH_ROLLUP_KEYS:
        pd.testing.assert_frame_equal(_month_table(reader, kind), expected[kind], check_exact=True)
    store_copy.rebuild_rollups()  # and a rebuild writes them again
    assert len(list((store_copy.layout.rollups / "groups_month").glob("*/*.parquet"))) == len(_all_months(store_copy)) * 3


def test_window_ends_read_only_their_months_files(small_store: Store) -> None:
    months = _all_months(small_store)
    start = dt.date.fromisoformat(f"{months[2]}-10")
    end = dt.date.fromisoformat(f"{months[5]}-20")
    sql, _ = window_source(small_store, "scores", start, end)
    named = {m for m in months if f"/{m}.parquet" in sql}
    assert named == {months[2], months[5]}
    assert "r_scores_month" in sql and "r_scores " not in sql
