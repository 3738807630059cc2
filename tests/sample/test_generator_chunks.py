"""The chunked large-N path: deterministic, time-ordered chunks covering the 18 months."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.sample.generator import MONTHS, Portfolio, generate_portfolio_chunks
from dashboard.store.portfolio import read_portfolio, write_portfolio_chunks

APPS, CHUNK = 2_500, 1_000


def _chunks(seed: int = 5) -> list[Portfolio]:
    return list(generate_portfolio_chunks(APPS, seed=seed, chunk_size=CHUNK, training_rows=2_000))


# Every test here shares a generated three-chunk portfolio with trained models (about 20 s to build).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chunks() -> list[Portfolio]:
    return _chunks()


def test_same_seed_same_chunks(chunks: list[Portfolio]) -> None:
    again = _chunks()
    assert len(again) == len(chunks) == 3
    for a, b in zip(chunks, again, strict=True):
        for mid in a.predictions:
            pd.testing.assert_frame_equal(a.predictions[mid], b.predictions[mid])
        pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert chunks[-1].manifest == again[-1].manifest
    # chunks draw from their own streams: no two chunks repeat the same applicants
    incomes = [c.predictions["gbm_champion"]["annual_income"].head(50).tolist() for c in chunks]
    assert incomes[0] != incomes[1] != incomes[2]


def test_chunks_are_consecutive_and_cover_the_period(chunks: list[Portfolio]) -> None:
    champ = pd.concat([c.predictions["gbm_champion"] for c in chunks], ignore_index=True)
    assert [len(c.predictions["gbm_champion"]) for c in chunks] == [1_000, 1_000, 500]
    assert champ["application_id"].tolist() == [f"APP-{i:08d}" for i in range(1, APPS + 1)]
    assert champ["timestamp"].is_monotonic_increasing
    assert champ["timestamp"].dt.to_period("M").nunique() == MONTHS
    # every chunk is scored by the same models: one cutoff, the champion decides, shadows do not
    for c in chunks:
        assert set(c.predictions) == {"gbm_champion", "logit_scorecard", "hgb_challenger"}
        assert c.models is chunks[0].models
        assert c.predictions["logit_scorecard"]["decision"].isna().all()
        approve = c.predictions["gbm_champion"]["decision"] == "approve"
        assert (c.predictions["gbm_champion"]["score"][approve] < c.manifest["cutoff"]).all()
        assert set(c.outcomes["application_id"]) <= set(c.predictions["gbm_champion"]["application_id"][approve])
    last = chunks[-1].manifest
    assert last["applications"] == APPS and last["chunks"] == 3
    assert last["outcomes"] == sum(len(c.outcomes) for c in chunks)
    decisions = champ["decision"]
    assert last["approval_rate"] == pytest.approx((decisions == "approve").mean())


def test_written_chunks_are_found_by_read_portfolio(tmp_path: Path, chunks: list[Portfolio]) -> None:
    files = write_portfolio_chunks(tmp_path / "big", iter(chunks), readme=lambda m, _c: f"{m['applications']} apps")
    names = sorted(p.name for p in files.predictions)
    assert names[:3] == ["gbm_champion-000.parquet", "gbm_champion-001.parquet", "gbm_champion-002.parquet"]
    assert len(files.predictions) == 9
    assert len(files.outcomes) == sum(1 for c in chunks if len(c.outcomes))  # no empty outcome files
    assert set(files.cards) == {"gbm_champion", "logit_scorecard", "hgb_challenger"}
    assert files.manifest["applications"] == APPS
    assert (tmp_path / "big" / "README.md").read_text() == f"{APPS} apps"
    stored = pd.concat([pd.read_parquet(p) for p in files.outcomes], ignore_index=True)
    assert len(stored) == files.manifest["outcomes"]


def test_cli_uses_the_chunked_path_above_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      chunks: list[Portfolio]) -> None:
    from dashboard.sample import generator
    calls: list[tuple[int, int]] = []

    def generated(applications: int, seed: int, chunk_size: int, progress: Any) -> Iterator[Portfolio]:
        calls.append((applications, chunk_size))  # the models were trained once, by the fixture
        return iter(chunks)

    monkeypatch.setattr(generator, "CHUNKED_ABOVE", 1_000)   # the CLI reads both when it runs
    monkeypatch.setattr(generator, "generate_portfolio_chunks", generated)
    out = tmp_path / "cli"
    assert main(["sample", "--out", str(out), "--applications", str(APPS), "--chunk-size", str(CHUNK)]) == 0
    files = read_portfolio(out)
    assert len(files.predictions) == 9 and files.outcomes
    assert f"{APPS:,} applications x 3 models" in capsys.readouterr().out
    assert calls == [(APPS, CHUNK)]
