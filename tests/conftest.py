"""Shared fixtures. The fixture stores are built by the same code that builds data/sample."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.ingest.demo import build_demo_store
from dashboard.sample.generator import generate_portfolio
from dashboard.store import Store
from dashboard.store.portfolio import write_portfolio
from tests.support.env import undo_env

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
SMALL_APPLICATIONS = 6_000
# Fixtures that build a store from a generated or the committed sample portfolio (20 to 70 s here):
# every test that uses one, directly or through another fixture, is marked slow, so that
# `make test-fast` (pytest -m "not e2e and not slow") builds none.
STORE_BUILDS = {"small_portfolio_dir", "small_store_dir", "demo_store_dir"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if STORE_BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """Undo after each test what helpers set in the environment (tests/support/env.py)."""
    yield
    undo_env()


@pytest.fixture(scope="session")
def small_portfolio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated portfolio (6,000 applications, models trained on 6,000 rows)."""
    out = tmp_path_factory.mktemp("portfolio")
    write_portfolio(out, generate_portfolio(SMALL_APPLICATIONS, seed=11, training_rows=6_000))
    return out


@pytest.fixture(scope="session")
def small_store_dir(small_portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small-store") / "store"
    build_demo_store(Store(root), small_portfolio_dir)
    return root


@pytest.fixture(scope="session")
def small_store(small_store_dir: Path) -> Store:
    """Read-only shared store; tests that write use `store_copy`."""
    return Store(small_store_dir)


@pytest.fixture
def store_copy(small_store_dir: Path, tmp_path: Path) -> Iterator[Store]:
    """A private, writable copy of the small store."""
    dest = tmp_path / "store"
    shutil.copytree(small_store_dir, dest)
    yield Store(dest)


@pytest.fixture(scope="session")
def demo_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed demo portfolio (data/sample) ingested into a store (about 30 s)."""
    root = tmp_path_factory.mktemp("demo-store") / "store"
    build_demo_store(Store(root), SAMPLE_DIR)
    return root


@pytest.fixture(scope="session")
def demo_store(demo_store_dir: Path) -> Store:
    return Store(demo_store_dir)


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    return Store(tmp_path / "empty-store")
