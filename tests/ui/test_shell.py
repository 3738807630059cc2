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
    assert {"r_daily", "r_scores", "r_groups", "r_features", "r_latency", "r_shadow", "r_outcomes"} <= store.tables.registered
    assert int(store.sql("SELECT count(*) AS n FROM r_features")["n"].iloc[0]) > 0


def test_warming_waits_while_a_page_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import dashboard.ui.shell as shell

    steps: list[float] = []
    monkeypatch.setattr(shell, "WARM_MODULES", ("json",))
    monkeypatch.setattr(shell, "warm_store", lambda: steps.append(time.monotonic()))
    monkeypatch.setattr(shell, "warm_champion", lambda: None)
    with shell.page_running():
        thread = threading.Thread(target=shell.warm_imports)
        started = time.monotonic()
        thread.start()
        time.sleep(0.3)
        assert not steps  # still waiting: the page is running
    thread.join(timeout=30)
    assert steps and steps[0] - started >= 0.3


def test_warming_loads_the_champions_drift_inputs(small_store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    import dashboard.services.drift as drift_service
    import dashboard.ui.drift as drift_ui
    from dashboard.services.drift import _PROFILE_CACHE, clear_model_caches
    from dashboard.store.registry import champion_id
    from dashboard.ui.shell import warm_champion

    monkeypatch.setenv("DASHBOARD_STORE", str(small_store_dir))
    st.cache_data.clear()
    clear_model_caches()
    computed: list[str] = []
    real = drift_service.compute_feature_importance
    monkeypatch.setattr(drift_service, "compute_feature_importance",
                        lambda model, card, ref: computed.append(card.id) or real(model, card, ref))
    warm_champion()
    store = open_store(small_store_dir)
    champion = champion_id(store)
    assert champion is not None and computed == [champion]
    assert any(key[:2] == (str(store.root), champion) for key in _PROFILE_CACHE)
    importance, note = drift_ui.load_importance_cached(str(store.root), store.version(), champion)
    assert note == "" and importance and computed == [champion]  # Drift's view reads what the warm-up computed


def test_warming_skips_a_store_that_cannot_be_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.ui.shell import warm_champion

    (tmp_path / "not-a-store").write_text("x", "utf-8")
    monkeypatch.setenv("DASHBOARD_STORE", str(tmp_path / "not-a-store"))
    warm_champion()  # no exception: the pages report the problem
