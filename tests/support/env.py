"""Environment variables set by helpers that have no `monkeypatch` at hand.

AppTest runs the app in this process, and the app reads its store from DASHBOARD_STORE, so
the helpers that open a page set it. They do it through this MonkeyPatch, which the autouse
fixture `restore_environment` (tests/conftest.py) undoes after every test: no test sees
another's environment.
"""

from __future__ import annotations

import pytest

_PATCH = pytest.MonkeyPatch()


def set_env(name: str, value: str) -> None:
    _PATCH.setenv(name, value)


def undo_env() -> None:
    _PATCH.undo()
