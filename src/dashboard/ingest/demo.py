"""Building a store from a portfolio folder (the demo, and the test fixture store)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dashboard.ingest.registration import register_model_files
from dashboard.ingest.service import Progress, ingest_outcome_files, ingest_prediction_files
from dashboard.store import Store
from dashboard.store.portfolio import read_portfolio


def build_demo_store(store: Store, sample: Path, progress: Progress | None = None,
                     say: Callable[[str], None] | None = None) -> list[str]:
    """Register every model of the portfolio, then ingest its predictions and outcomes."""
    tell = say or (lambda _m: None)
    files = read_portfolio(sample)
    lines: list[str] = []
    for model_id, card_path in files.cards.items():
        tell(f"registering {model_id}")
        lines += register_model_files(store, card_path, files.artifacts.get(model_id), files.training,
                                      actor="demo")
    tell("ingesting predictions")
    report = ingest_prediction_files(store, files.predictions, progress)
    lines += report.lines()
    tell("ingesting outcomes")
    out = ingest_outcome_files(store, files.outcomes, progress)
    lines += out.lines()
    if not (report.ok and out.ok):
        raise ValueError("the sample did not ingest cleanly:\n" + "\n".join(lines))
    return lines
