"""Overview: live refresh in place (fragment with run_every), pause, and the alerts panel."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.sample.simulator import Simulator
from dashboard.store import Store
from tests.support.apptest import errors, open_page


def test_overview_keeps_its_figures_and_adds_alerts(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "executive", "overview")
    assert errors(at) == []
    labels = {m.label for m in at.metric}
    assert {"Applications", "Approval rate", "Label maturity", "Latest prediction"} <= labels
    assert [s.value for s in at.subheader] == ["Models", "Freshness", "Alerts"]
    assert at.toggle(key="overview_live").value is True
    assert at.number_input(key="overview_interval").value == 10
    assert any("live, every 10 s" in c.value for c in at.caption)
    alerts = [e.label for e in at.expander]
    assert any(label.startswith("Alert history (") for label in alerts)


def test_pause_and_interval(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "credit_officer", "overview")
    at.number_input(key="overview_interval").set_value(30).run()
    assert any("live, every 30 s" in c.value for c in at.caption)
    at.toggle(key="overview_live").set_value(False).run()
    assert errors(at) == []
    assert any("paused" in c.value for c in at.caption)
    assert at.number_input(key="overview_interval").disabled


def test_interval_default_from_the_environment(small_store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_REFRESH_SECONDS", "25")
    at = open_page(small_store_dir, "executive", "overview")
    assert at.number_input(key="overview_interval").value == 25


def test_bad_alert_config_is_a_warning_not_a_crash(small_store_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "alerts.toml"
    bad.write_text("[rules.score_psi]\nwarning = -3\n")
    monkeypatch.setenv("DASHBOARD_ALERTS_CONFIG", str(bad))
    at = open_page(small_store_dir, "executive", "overview")
    assert errors(at) == []
    assert any("alert rules cannot be read" in w.value for w in at.warning)


def test_new_simulated_rows_show_on_the_next_refresh(store_copy: Store) -> None:
    at = open_page(store_copy.root, "executive", "overview")
    before = next(m.value for m in at.metric if m.label == "Latest prediction")
    Simulator(Store(store_copy.root), seed=5).step(12)
    at.run()
    assert errors(at) == []
    after = next(m.value for m in at.metric if m.label == "Latest prediction")
    assert after > before  # today's simulated applications are the newest predictions
