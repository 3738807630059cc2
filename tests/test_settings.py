"""Settings: one list of environment variables and files, read through one module, documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.settings import SETTINGS, config_path, refresh_seconds, settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_table_is_the_settings_list() -> None:
    assert settings_table() in (ROOT / "README.md").read_text("utf-8")


def test_no_module_reads_the_environment_itself() -> None:
    offenders = []
    for path in (ROOT / "src" / "dashboard").rglob("*.py"):
        text = path.read_text("utf-8")
        if path.name != "settings.py" and re.search(r"os\.environ(\.get|\[)|os\.getenv", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    used = set()
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "app").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]:
        used |= set(re.findall(r"DASHBOARD_[A-Z_]+", path.read_text("utf-8")))
    assert used <= set(SETTINGS), used - set(SETTINGS)


def test_files_and_numbers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DASHBOARD_ALERTS_CONFIG", raising=False)
    assert config_path("DASHBOARD_ALERTS_CONFIG").is_file()
    monkeypatch.setenv("DASHBOARD_ALERTS_CONFIG", str(tmp_path / "mine.toml"))
    assert config_path("DASHBOARD_ALERTS_CONFIG") == tmp_path / "mine.toml"
    for value, expected in (("30", 30), ("1", 2), ("99999", 3600), ("soon", 10)):
        monkeypatch.setenv("DASHBOARD_REFRESH_SECONDS", value)
        assert refresh_seconds() == expected
    with pytest.raises(KeyError):
        config_path("DASHBOARD_STORE")
