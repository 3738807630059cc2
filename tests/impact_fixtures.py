"""Fixtures shared by the Impact CLI and page tests: the hand-computed tiny store and its targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.test_impact import TINY_BUSINESS, TINY_TARGETS, build_tiny_store


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny") / "store"
    build_tiny_store(root)
    return root


@pytest.fixture(autouse=True)
def tiny_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TINY_TARGETS, "utf-8")
    monkeypatch.setenv("DASHBOARD_IMPACT_TARGETS", str(path))
    business = tmp_path / "business.toml"
    business.write_text(TINY_BUSINESS, "utf-8")
    monkeypatch.setenv("DASHBOARD_BUSINESS_CONFIG", str(business))
    return path
