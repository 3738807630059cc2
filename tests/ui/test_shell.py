"""The app shell: each role's navigation, the local-mode frame, refusals, notes on every page,
and the background warm-up (started once per process, it imports the pages' modules)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dashboard.store import Store, open_store
from dashboard.ui.shell import WARM_MODULES, start_warming, warm_store
from tests.support.apptest import errors, open_page, open_url

REFUSED = "Not available to your role"
# The access matrix as the README states it (each role's menu, in order), written out here rather
# than read from dashboard.ui.navigation, so a change there shows up as a failure.
MENU = {
    "credit_officer": ["overview", "decisions"],
    "executive": ["overview", "impact", "thresholds", "models"],
    "data_scientist": ["overview", "performance", "drift", "challengers", "thresholds", "models"],
    "admin": ["overview", "impact", "decisions", "performance", "drift", "challengers", "thresholds", "models",
              "audit"],
}
TITLES = {"overview": "Overview", "impact": "Impact", "decisions": "Decisions", "performance": "Performance",
          "drift": "Drift", "challengers": "Challengers", "thresholds": "Thresholds", "models": "Model cards",
          "audit": "Audit"}
LABELS = {"credit_officer": "Credit officer", "executive": "Executive",
          "data_scientist": "Data scientist / risk manager", "admin": "Administrator"}


def _titles(at: object) -> list[str]:
    return [t.value for t in at.title]  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", list(MENU))
def test_each_role_opens_its_pages_and_is_refused_the_others(empty_store: Store, role: str) -> None:
    at = open_page(empty_store.root, role)
    assert errors(at) == []
    assert _titles(at)[0] == "Overview"  # the default page
    # Every page has its URL for every role: the others' pages answer with a refusal, not the default page.
    registered = {info.get("url_pathname") or "overview" for info in at._registered_pages.values()}
    assert registered == set(TITLES)
    for slug, title in TITLES.items():
        at = open_url(at, "" if slug == "overview" else slug)  # the default page is the root URL
        assert errors(at) == [], slug
        if slug in MENU[role]:
            assert _titles(at)[0].startswith(title), slug
            assert REFUSED not in _titles(at)
        else:
            assert _titles(at) == [REFUSED], slug
            assert f"The {title} page is not open to the {LABELS[role]} role" in at.error[0].value
            assert not at.metric and not at.dataframe


def test_local_mode_shows_its_banner_the_switcher_and_the_store(empty_store: Store) -> None:
    at = open_page(empty_store.root, "executive")
    assert errors(at) == []
    banner = [m.value for m in at.markdown if "Local mode" in m.value]
    assert len(banner) == 1 and "no login" in banner[0] and "127.0.0.1" in banner[0]
    sidebar = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("Local mode: no login") for c in sidebar)
    assert f"Store: `{empty_store.root}`" in sidebar
    assert at.selectbox(key="role_select").value == "executive"
    at.selectbox(key="role_select").set_value("credit_officer").run()
    assert errors(at) == [] and at.query_params["role"] == "credit_officer"
    assert _titles(open_url(at, "impact")) == [REFUSED]  # the switched role's rights apply at once


def test_an_unknown_role_in_the_address_is_named_and_the_default_role_used(empty_store: Store) -> None:
    at = open_page(empty_store.root, "boss")
    assert errors(at) == []
    assert [w.value for w in at.warning] == [
        "Unknown role 'boss' in the address; showing the app as Data scientist / risk manager."]
    assert at.selectbox(key="role_select").value == "data_scientist"


def test_rollups_of_an_older_version_are_named_on_every_page(empty_store: Store) -> None:
    empty_store.layout.rollup_format.parent.mkdir(parents=True, exist_ok=True)
    empty_store.layout.rollup_format.write_text(json.dumps({"version": 1}), "utf-8")
    at = open_page(empty_store.root, "admin")
    for slug in ("", "audit"):
        at = open_url(at, slug)
        assert errors(at) == []
        assert any("format 1" in w.value and "dashboard rollup rebuild" in w.value for w in at.warning), slug


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
    real = vars(drift_service)["compute_feature_importance"]   # the name the service module calls
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
    import dashboard.services.drift as drift_service
    from dashboard.ui.shell import warm_champion

    computed: list[object] = []
    monkeypatch.setattr(drift_service, "compute_feature_importance", lambda *args: computed.append(args))
    (tmp_path / "not-a-store").write_text("x", "utf-8")
    monkeypatch.setenv("DASHBOARD_STORE", str(tmp_path / "not-a-store"))
    warm_champion()  # no exception: the pages report the problem
    warm_store()
    assert computed == []
