"""dashboard alerts run on a real store: a webhook and an email once per period, then resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.store import Store
from tests.support.receivers import smtp_server, webhook_receiver

CHANNELS = """
[notifications]
default_channels = ["hook", "mail"]
backoff_seconds = 0.01
[channels.hook]
type = "webhook"
url_env = "NOTIFY_TEST_HOOK"
[channels.mail]
type = "email"
host = "127.0.0.1"
port = {port}
from = "dash@example.com"
to = "risk@example.com"
"""
FIRES = "[rules.latency_p95]\nwarning = 0.001\ncritical = 100000\n"
QUIET = "[rules.latency_p95]\nwarning = 100000\ncritical = 100000\n[rules.score_psi]\nwarning = 5\ncritical = 5\n"


def _run(store: Store, config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--store", str(store.root), "alerts", "run", "--model", "gbm_champion", "--config", str(config)])
    return code, capsys.readouterr().out


def test_fired_once_then_resolved(store_copy: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    fires, quiet = tmp_path / "fires.toml", tmp_path / "quiet.toml"
    with webhook_receiver() as (url, bodies), smtp_server() as (port, inbox):
        monkeypatch.setenv("NOTIFY_TEST_HOOK", url)
        fires.write_text(CHANNELS.format(port=port) + FIRES)
        quiet.write_text(CHANNELS.format(port=port) + QUIET)
        code, out = _run(store_copy, fires, capsys)
        assert code == 1 and len(bodies) == 1 and len(inbox) == 1, out
        assert "gbm_champion: alert latency_p95 fired" in bodies[0]["text"]
        assert "vs threshold 0.001" in bodies[0]["text"]
        assert _run(store_copy, fires, capsys)[0] == 1 and len(bodies) == 1 and len(inbox) == 1
        code, out = _run(store_copy, quiet, capsys)
        assert code == 0 and len(bodies) == 2 and len(inbox) == 2, out
        assert "[RESOLVED] gbm_champion: alert latency_p95" in bodies[1]["text"]
    events = store_copy.read_events("notification")
    assert all(e["delivered"] and e["attempts"] == 1 for e in events)
    assert sorted((e["channel"], e["message"]) for e in events) == [
        ("hook", "fired"), ("hook", "resolved"), ("mail", "fired"), ("mail", "resolved")]
    assert len(store_copy.read_events("alerts_run")) == 3


def test_bad_channel_config_exits_2(store_copy: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[channels.hook]\ntype = "webhook"\nurl = "https://hooks.example/x"\n')
    code = main(["--store", str(store_copy.root), "alerts", "run", "--config", str(bad)])
    assert code == 2
    assert "secrets are not stored in the file" in capsys.readouterr().err
