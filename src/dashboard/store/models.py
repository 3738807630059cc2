"""Registered models: cards, skops artifacts, reference data, the bins and protected groups
fixed at first sight, and the one cache of loaded models (bounded)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.analytics.binning import compute_reference_bins
from dashboard.analytics.fairness import GroupSpec, compute_group_spec
from dashboard.analytics.reference_data import describe_reference_data
from dashboard.analytics.segments import SegmentSpec, compute_segment_spec, segment_columns
from dashboard.models.artifact import load_model
from dashboard.models.card import CardError, ModelCard, dump_card_yaml, parse_card_yaml
from dashboard.store.errors import StoreError
from dashboard.store.events import EventLog
from dashboard.store.files import (
    exclusive_lock,
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from dashboard.store.layout import Layout

REFERENCE_ROWS = 50_000       # reference rows kept per model (a sample of bigger files)
MODEL_CACHE_SIZE = 6          # loaded models kept in memory per process (champion + challengers)
log = logging.getLogger(__name__)


class ModelRegistry:
    def __init__(self, layout: Layout, events: EventLog) -> None:
        self.layout = layout
        self.events = events
        self._cards: tuple[tuple[Any, ...], dict[str, ModelCard]] | None = None
        self._models: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
        self._models_lock = threading.Lock()

    # ------------------------------------------------------------------ cards
    def signature(self) -> list[str]:
        """What changes when a card changes (part of Store.version)."""
        return [f"{Path(p).parent.name}:{mtime}" for p, mtime in self._card_signature()]

    def _card_signature(self) -> tuple[tuple[str, int], ...]:
        sig = []
        for p in sorted(self.layout.models.glob("*/card.yaml")):
            with contextlib.suppress(FileNotFoundError):
                sig.append((str(p), p.stat().st_mtime_ns))
        return tuple(sig)

    def list_cards(self) -> dict[str, ModelCard]:
        """Registered model cards by id (cached until a card file changes)."""
        sig = self._card_signature()
        if self._cards and self._cards[0] == sig:
            return dict(self._cards[1])
        cards: dict[str, ModelCard] = {}
        for path_text, _ in sig:
            path = Path(path_text)
            try:
                cards[path.parent.name] = parse_card_yaml(path.read_text("utf-8"), str(path))
            except (CardError, OSError) as exc:
                log.warning("skipped the unreadable card %s: %s", path, exc)  # one broken card never takes the app down
        self._cards = (sig, cards)
        return dict(cards)

    def load_card(self, model_id: str) -> ModelCard:
        cards = self.list_cards()
        if model_id not in cards:
            known = ", ".join(sorted(cards)) or "none"
            raise StoreError(f"model {model_id!r} is not registered (registered: {known})")
        return cards[model_id]

    # ------------------------------------------------------------------ files of a model
    def read_artifact(self, model_id: str) -> bytes | None:
        path = self.layout.model_dir(model_id) / "model.skops"
        return path.read_bytes() if path.exists() else None

    def load_model(self, model_id: str) -> Any | None:
        """The model's fitted estimator (None without an artifact), from the one bounded cache:
        keyed by the artifact file's time and size, so a re-registered model is loaded afresh."""
        path = self.layout.model_dir(model_id) / "model.skops"
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        key = (model_id, st.st_mtime_ns, st.st_size)
        # Loaded under the lock: two threads asking for the same model (a page and the warm-up)
        # load it once; the skops checks take most of a second.
        with self._models_lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            model = load_model(path.read_bytes())
            self._models[key] = model
            while len(self._models) > MODEL_CACHE_SIZE:
                self._models.popitem(last=False)
            return model

    def forget_models(self) -> None:
        """Drop the loaded models (a cold page view in the benchmarks)."""
        with self._models_lock:
            self._models.clear()

    def read_reference(self, model_id: str) -> pd.DataFrame | None:
        path = self.layout.model_dir(model_id) / "reference.parquet"
        return pq.read_table(path).to_pandas() if path.exists() else None

    def feature_bins(self, model_id: str) -> dict[str, Any]:
        path = self.layout.model_dir(model_id) / "bins.json"
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    # ------------------------------------------------------------------ registration
    def register(self, card: ModelCard, artifact: bytes | None = None, reference: pd.DataFrame | None = None,
                 actor: str = "cli", reference_source: str | None = None) -> list[str]:
        """Store a card (and optionally its skops artifact and reference data); notes for the user.

        Feature bins are fixed at the first registration with reference data, so rollups stay
        comparable across re-registrations. What the reference data is (`reference_source`, its
        file name; its rows and own dates) goes to reference.json, so drift can say what it
        compares with.
        """
        if artifact is not None:
            load_model(artifact)  # refuse a non-skops or untrusted file before writing anything
        mdir = self.layout.model_dir(card.id)
        notes: list[str] = []
        with exclusive_lock(self.layout.lock):
            existed = (mdir / "card.yaml").exists()
            write_text_atomic(mdir / "card.yaml", dump_card_yaml(card))
            if artifact is not None:
                write_bytes_atomic(mdir / "model.skops", artifact)
            if reference is not None and not reference.empty:
                notes += self._write_reference(card, reference, describe_reference_data(reference), reference_source)
            notes += self._register_group_specs(card, reference)
        self._cards = None
        self.events.append("registration", {"model_id": card.id, "version": card.version, "role": card.role,
                                            "replaced": existed}, actor=actor)
        notes.insert(0, f"{'updated' if existed else 'registered'} model {card.id} ({card.name} v{card.version})")
        return notes

    def _write_reference(self, card: ModelCard, reference: pd.DataFrame, about: dict[str, Any],
                         source: str | None) -> list[str]:
        mdir = self.layout.model_dir(card.id)
        ref = reference.sample(n=REFERENCE_ROWS, random_state=0) if len(reference) > REFERENCE_ROWS else reference
        write_parquet_atomic(mdir / "reference.parquet", pa.Table.from_pandas(ref, preserve_index=False))
        write_json_atomic(mdir / "reference.json", {"source": source, **about, "stored_rows": len(ref),
                                                    "registered_on": dt.datetime.now(dt.UTC).date().isoformat()})
        if (mdir / "bins.json").exists():
            return ["kept the existing feature bins so rollups stay comparable"]
        write_json_atomic(mdir / "bins.json", compute_reference_bins(reference, card))
        return []

    def ensure_bins(self, model_id: str, batch: pa.Table) -> dict[str, Any]:
        """Bins fixed from the reference data, or else from the model's rows in the first batch seen."""
        bins = self.feature_bins(model_id)
        card = self.load_card(model_id)
        missing = [f.name for f in card.features if f.name not in bins]
        if missing:
            rows = batch.filter(pc.equal(batch.column("model_id"), model_id))
            extra = compute_reference_bins(rows.select([c for c in missing if c in rows.column_names]).to_pandas(),
                                           card)
            bins.update({k: v for k, v in extra.items() if k in missing})
            write_json_atomic(self.layout.model_dir(model_id) / "bins.json", bins)
        return bins

    # ------------------------------------------------------------------ protected groups
    def group_specs(self, model_id: str) -> dict[str, GroupSpec]:
        """How each protected attribute of the model is grouped (fixed when first seen)."""
        path = self.layout.model_dir(model_id) / "groups.json"
        if not path.exists():
            return {}
        data = json.loads(path.read_text("utf-8"))
        return {name: GroupSpec.from_dict(name, spec) for name, spec in data.items()}

    def _write_group_specs(self, model_id: str, specs: dict[str, GroupSpec]) -> None:
        write_json_atomic(self.layout.model_dir(model_id) / "groups.json",
                          {name: spec.to_dict() for name, spec in sorted(specs.items())})

    def _register_group_specs(self, card: ModelCard, reference: pd.DataFrame | None) -> list[str]:
        """Bands declared in the card win; otherwise fix undeclared attributes from the reference."""
        specs = self.group_specs(card.id)
        changed = False
        notes = []
        for name in card.protected_attributes:
            declared = card.protected_bands.get(name)
            if declared:
                spec = compute_group_spec(name, None, declared)
                if name in specs and specs[name] != spec:
                    notes.append(f"the bands of {name} changed: run `dashboard rollup rebuild` to regroup "
                                 "the history")
            elif name in specs:
                continue
            elif reference is not None and name in reference.columns:
                spec = compute_group_spec(name, reference[name])
            else:
                continue  # fixed from the first logs that carry it
            if specs.get(name) != spec:
                specs[name] = spec
                changed = True
        if changed:
            self._write_group_specs(card.id, specs)
        return notes

    def ensure_group_specs(self, model_id: str, present: Sequence[str],
                           values_of: Callable[[str], pd.Series]) -> dict[str, GroupSpec]:
        """The grouping of each present protected attribute; one seen for the first time is fixed
        from `values_of(name)` (the first logs that carry it) and kept."""
        card = self.load_card(model_id)
        specs = self.group_specs(model_id)
        missing = [p for p in present if p not in specs]
        for name in missing:
            declared = card.protected_bands.get(name)
            specs[name] = compute_group_spec(name, None if declared else values_of(name), declared)
        if missing:
            self._write_group_specs(model_id, specs)
        return specs

    # ------------------------------------------------------------------ segments
    def segment_specs(self, model_id: str) -> dict[str, SegmentSpec]:
        """How each segment column of the model becomes values (fixed when first seen)."""
        path = self.layout.model_dir(model_id) / "segments.json"
        if not path.exists():
            return {}
        data = json.loads(path.read_text("utf-8"))
        return {name: SegmentSpec.from_dict(name, spec) for name, spec in data.items()}

    def ensure_segment_specs(self, model_id: str, present: Sequence[str],
                             values_of: Callable[[str], pd.Series]) -> dict[str, SegmentSpec]:
        """The segment columns of the model that are logged (`present`), each fixed from
        `values_of(name)` (the first logs that carry it) when first seen, and kept."""
        card = self.load_card(model_id)
        wanted = [c for c in segment_columns(card)[0] if c in set(present)]
        specs = self.segment_specs(model_id)
        # a column not seen yet, or whose declared bands changed in the card (declared bands win)
        missing = [c for c in wanted if c not in specs
                   or (c in card.segment_bands and specs[c].group.edges != card.segment_bands[c])]
        for name in missing:
            declared = card.segment_bands.get(name)
            specs[name] = compute_segment_spec(name, None if declared else values_of(name), declared)
        if missing:
            write_json_atomic(self.layout.model_dir(model_id) / "segments.json",
                              {name: spec.to_dict() for name, spec in sorted(specs.items())})
        return {c: specs[c] for c in wanted}
