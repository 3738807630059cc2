"""The shell's background warm-up: started once per process, imports the pages' modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dashboard.store import open_store
from dashboard.ui.shell import WARM_MODULES, start_warming, warm_store


def test_warming_runs_once_and_imports_the_page_modules() -> None:
    thread = start_warming()
    assert start_warming() is thread  # a second page view does not start another
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert all(name in sys.modules for name in WARM_MODULES)
    assert "shap" in sys.modules  # Drift's first view no longer imports it


def test_warming_loads_every_rollup_table(small_store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_STORE", str(small_store_dir))
    warm_store()
    store = open_store(small_store_dir)
    assert {"r_daily", "r_scores", "r_groups", "r_features", "r_latency", "r_shadow", "r_outcomes"} <= store._registered
    assert int(store.sql("SELECT count(*) AS n FROM r_features")["n"].iloc[0]) > 0


def test_warming_waits_while_a_page_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import dashboard.ui.shell as shell

    steps: list[float] = []
    monkeypatch.setattr(shell, "WARM_MODULES", ("json",))
    monkeypatch.setattr(shell, "warm_store", lambda: steps.append(time.monotonic()))
    with shell.page_running():
        thread = threading.Thread(target=shell.warm_imports)
        started = time.monotonic()
        thread.start()
        time.sleep(0.3)
        assert not steps  # still waiting: the page is running
    thread.join(timeout=30)
    assert steps and steps[0] - started >= 0.3
