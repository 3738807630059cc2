"""Session fixtures: each foreign portfolio built, registered and ingested once.

`portfolio` gives one built portfolio per test (parametrized over all of them) with the
lender's environment set (their business.toml, when they brought one). `record` keeps the
worst difference seen per portfolio and figure; the table is written to
test-artifacts/conformance/worst.md at the end of the session (the closing note's table).
The helpers behind them live in checks.py, which the test modules import.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.checks import ARTIFACTS, Checks, Recorder, built_portfolio
from tests.conformance.portfolios import PORTFOLIO_NAMES, Portfolio

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of this folder carries the `conformance` marker (`pytest -m conformance`), and
    `slow`: each portfolio is generated, registered and ingested first (`make test-fast` skips them)."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.conformance)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def conformance_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conformance")


@pytest.fixture(scope="session", params=PORTFOLIO_NAMES)
def built(request: pytest.FixtureRequest, conformance_root: Path) -> Portfolio:
    return built_portfolio(request.param, conformance_root)


@pytest.fixture
def portfolio(built: Portfolio, monkeypatch: pytest.MonkeyPatch) -> Portfolio:
    """The portfolio with the lender's shell environment (their business.toml if any)."""
    monkeypatch.delenv("DASHBOARD_BUSINESS_CONFIG", raising=False)
    for key, value in built.env().items():
        monkeypatch.setenv(key, value)
    return built


@pytest.fixture(scope="session")
def record() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.write(ARTIFACTS)


@pytest.fixture
def checks(record: Recorder, built: Portfolio) -> Checks:
    return Checks(record, built.name)
