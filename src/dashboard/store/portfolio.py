"""Reading and writing a portfolio folder such as data/sample/ (not a store: its inputs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from dashboard.models.artifact import dump_model
from dashboard.models.card import dump_card_yaml
from dashboard.store.files import (
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)


@dataclass
class PortfolioFiles:
    root: Path
    cards: dict[str, Path]
    artifacts: dict[str, Path]
    training: Path | None
    predictions: list[Path]
    outcomes: list[Path]
    manifest: dict[str, Any]


def write_portfolio(root: Path, portfolio: Any, readme: str | None = None) -> PortfolioFiles:
    """Write a generated Portfolio as plain files a user could also have brought."""
    root.mkdir(parents=True, exist_ok=True)
    for mid, card in portfolio.cards.items():
        write_text_atomic(root / "models" / mid / "card.yaml", dump_card_yaml(card))
        write_bytes_atomic(root / "models" / mid / "model.skops", dump_model(portfolio.models[mid]))
    write_parquet_atomic(root / "training.parquet", pa.Table.from_pandas(portfolio.training, preserve_index=False))
    for mid, frame in portfolio.predictions.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        write_parquet_atomic(root / "predictions" / f"{mid}.parquet", table)
    write_parquet_atomic(root / "outcomes.parquet", pa.Table.from_pandas(portfolio.outcomes, preserve_index=False))
    write_json_atomic(root / "manifest.json", portfolio.manifest)
    if readme:
        write_text_atomic(root / "README.md", readme)
    return read_portfolio(root)


def write_portfolio_chunks(root: Path, chunks: Iterable[Any],
                           readme: Callable[[dict[str, Any], dict[str, Any]], str] | None = None) -> PortfolioFiles:
    """Write a portfolio generated chunk by chunk: predictions/<model>-<k>.parquet, outcomes-<k>.parquet.

    Only one chunk is in memory at a time; models, cards and training data come with the
    first chunk, the manifest (and the README rendered from it) after the last one.
    """
    root.mkdir(parents=True, exist_ok=True)
    last: Any = None
    for k, part in enumerate(chunks):
        if k == 0:
            for mid, card in part.cards.items():
                write_text_atomic(root / "models" / mid / "card.yaml", dump_card_yaml(card))
                write_bytes_atomic(root / "models" / mid / "model.skops", dump_model(part.models[mid]))
            write_parquet_atomic(root / "training.parquet", pa.Table.from_pandas(part.training, preserve_index=False))
        for mid, frame in part.predictions.items():
            write_parquet_atomic(root / "predictions" / f"{mid}-{k:03d}.parquet",
                                 pa.Table.from_pandas(frame, preserve_index=False))
        if len(part.outcomes):  # the last months' loans have no outcome yet: no empty file to reject
            write_parquet_atomic(root / f"outcomes-{k:03d}.parquet",
                                 pa.Table.from_pandas(part.outcomes, preserve_index=False))
        last = part
    if last is None:
        raise ValueError("no chunks to write")
    write_json_atomic(root / "manifest.json", last.manifest)
    if readme:
        write_text_atomic(root / "README.md", readme(last.manifest, last.cards))
    return read_portfolio(root)


def read_portfolio(root: Path) -> PortfolioFiles:
    """Find the parts of a portfolio folder; raises FileNotFoundError naming what is missing."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    cards = {p.parent.name: p for p in sorted((root / "models").glob("*/card.yaml"))}
    if not cards:
        raise FileNotFoundError(f"{root}/models/<id>/card.yaml: no model cards found")
    artifacts = {p.parent.name: p for p in sorted((root / "models").glob("*/model.skops"))}
    predictions = sorted((root / "predictions").glob("*.parquet"))
    outcomes = sorted(root.glob("outcomes*.parquet"))
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    training = root / "training.parquet"
    return PortfolioFiles(root=root, cards=cards, artifacts=artifacts,
                          training=training if training.exists() else None,
                          predictions=predictions, outcomes=outcomes, manifest=manifest)


def read_text(path: Path) -> str:
    return path.read_text("utf-8")


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def read_frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)
