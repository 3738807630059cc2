"""The shell's background warm-up: started once per process, imports the pages' modules."""

from __future__ import annotations

import sys

from dashboard.ui.shell import WARM_MODULES, start_warming


def test_warming_runs_once_and_imports_the_page_modules() -> None:
    thread = start_warming()
    assert start_warming() is thread  # a second page view does not start another
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert all(name in sys.modules for name in WARM_MODULES)
    assert "shap" in sys.modules  # Drift's first view no longer imports it
