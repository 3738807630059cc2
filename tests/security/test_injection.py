"""SQL injection strings in every search and filter input: data, never query text."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from dashboard.store import Store
from dashboard.store.decisions import QueueFilter, application_rows, decision_queue
from tests.support.apptest import errors, open_page

PAYLOADS = ["' OR 1=1 --", "x'; DROP TABLE r_daily; --", "APP-%", "APP-_0000001", "\" OR \"\"=\"",
            "1) UNION SELECT * FROM read_csv('/etc/passwd') --", "'; COPY r_daily TO '/tmp/pwned.csv'; --"]


@pytest.fixture(scope="module")
def store_dir(small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("inject") / "store"
    shutil.copytree(small_store_dir, dest)
    return dest


def _intact(store: Store) -> None:
    assert int(store.sql("SELECT count(*) AS n FROM r_daily")["n"].iloc[0]) > 0
    assert not Path("/tmp/pwned.csv").exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_queue_search_and_filters_are_parameters(store_dir: Path, payload: str) -> None:
    store = Store(store_dir)
    flt = QueueFilter(model_id="gbm_champion", start=dt.date(2025, 5, 1), end=dt.date(2026, 12, 31),
                      decisions=(payload, "approve"), application_id=payload)
    frame, total = decision_queue(store, flt)
    assert total == 0 and frame.empty
    assert application_rows(store, payload).empty
    _intact(store)


def test_queue_sort_is_a_whitelist(store_dir: Path) -> None:
    flt = QueueFilter(model_id="gbm_champion", start=dt.date(2025, 5, 1), end=dt.date(2026, 12, 31),
                      sort="score; DROP TABLE r_daily")
    with pytest.raises(ValueError, match="unknown sort"):
        decision_queue(Store(store_dir), flt)


def test_decisions_search_boxes(store_dir: Path) -> None:
    at = open_page(store_dir, "credit_officer", "decisions")
    for payload in PAYLOADS[:3]:
        at.text_input(key="dq_search").set_value(payload).run()
        assert errors(at) == []
        assert any("No decision matches" in i.value for i in at.info)
    at = open_page(store_dir, "credit_officer", "decisions", query={"application": PAYLOADS[1]})
    assert errors(at) == []
    assert any("No application with id" in w.value for w in at.warning)
    _intact(Store(store_dir))


@pytest.mark.parametrize("slug,role,param", [
    ("drift", "data_scientist", "model"), ("performance", "data_scientist", "model"),
    ("thresholds", "data_scientist", "model"), ("models", "data_scientist", "model"),
    ("impact", "executive", "period"), ("audit", "admin", "model"),
])
def test_hostile_address_parameters(store_dir: Path, slug: str, role: str, param: str) -> None:
    at = open_page(store_dir, role, slug, query={param: PAYLOADS[1]})
    assert errors(at) == []
    assert at.title[0].value  # the page rendered
    _intact(Store(store_dir))
