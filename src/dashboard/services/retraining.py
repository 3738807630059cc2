"""Retrain a challenger from the store, register it and backfill it in shadow: what `dashboard
retrain` and the button on Drift and Challengers both run.

Every check runs before anything is written (role, ids, the source pipeline, the features in
the logs, enough matured loans and bads, the backfill window): bad input changes nothing.
Then the card and skops artifact are registered as a challenger, the champion's applications
of the backfill window are scored and written as prediction logs marked `backfilled` (their
original timestamps kept), and a `backfill` and an audit `retrain` event record who did it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard.analytics.access import require_permission
from dashboard.analytics.retraining import (
    RetrainError,
    Validation,
    check_counts,
    fingerprint_files,
    fingerprint_rows,
    fit_and_validate,
    split_out_of_time,
)
from dashboard.contracts import check_id
from dashboard.ingest.service import ingest_frame
from dashboard.models.artifact import ArtifactError, dump_model, predict_scores
from dashboard.models.card import ModelCard
from dashboard.models.estimators import (
    ALGORITHMS,
    EstimatorError,
    build_estimator,
    describe_algorithm,
)
from dashboard.models.lineage import Lineage, build_retrained_card
from dashboard.store.audit import record_audit
from dashboard.store.challengers import data_window
from dashboard.store.registry import champion_id
from dashboard.store.retraining import (
    backfill_history,
    backfilled_counts,
    load_matured_rows,
    load_window_applications,
    write_backfill_event,
)

if TYPE_CHECKING:
    from dashboard.store import Store

Progress = Callable[[str, float], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrainRequest:
    source: str
    start: dt.date
    end: dt.date
    algorithm: str = "same"
    new_id: str | None = None
    backfill_start: dt.date | None = None   # default: the first validation month
    backfill_end: dt.date | None = None     # default: the champion's newest day of logs


@dataclass
class RetrainResult:
    model_id: str
    card: ModelCard
    train_months: tuple[str, ...]
    rows: int
    bads: int
    validation: Validation
    backfill: tuple[dt.date, dt.date]
    backfilled: int
    champion: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Prepared:
    request: RetrainRequest
    new_id: str
    source: ModelCard
    source_model: Any
    estimator: Any
    split: Any
    files: list[tuple[str, int]]
    champion: str
    backfill: tuple[dt.date, dt.date]
    applications: pd.DataFrame


def retrain(store: Store, request: RetrainRequest, actor: str, role: str | None,
            progress: Progress | None = None) -> RetrainResult:
    """Check, train, validate, register and backfill; raise RetrainError (nothing written) on bad input."""
    say = progress or (lambda _step, _done: None)
    require_permission(role, "retrain")
    say("reading the matured loans of the window", 0.05)
    prep = _prepare(store, request)
    say(f"fitting on {len(prep.split.train):,} loans of {', '.join(prep.split.train_months)}", 0.25)
    model, validation = fit_and_validate(prep.estimator, prep.split, prep.source.feature_names, prep.source.id,
                                         prep.source_model, prep.new_id)
    card = _card(prep, validation, actor)
    say("scoring the backfill window", 0.6)
    scores = predict_scores(model, prep.applications[prep.source.feature_names])
    say("registering the challenger", 0.7)
    notes = store.register_model(card, dump_model(model), _reference(prep), actor=actor,
                                 reference_source=f"training rows of {prep.new_id}")
    say(f"writing {len(scores):,} backfilled shadow scores", 0.8)
    written = _write_backfill(store, prep, scores, actor, role)
    record_audit(store, actor, role, "retrain", model_id=prep.new_id,
                 detail={"source": prep.source.id, "window": f"{request.start}:{request.end}",
                         "algorithm": request.algorithm, "rows": str(len(prep.split.train)),
                         "backfilled": str(written)})
    say("done", 1.0)
    return RetrainResult(model_id=prep.new_id, card=card, train_months=prep.split.train_months,
                         rows=len(prep.split.train), bads=int(prep.split.train["label"].sum()),
                         validation=validation, backfill=prep.backfill, backfilled=written,
                         champion=prep.champion, notes=notes)


def _prepare(store: Store, request: RetrainRequest) -> _Prepared:
    """Every check of the request, reading only; the data the fit and the backfill need."""
    cards = store.list_cards()
    if request.source not in cards:
        raise RetrainError(f"unknown model {request.source!r}; registered models: {', '.join(sorted(cards)) or 'none'}")
    if request.algorithm not in ALGORITHMS:
        raise RetrainError(f"unknown algorithm {request.algorithm!r}; use one of {', '.join(ALGORITHMS)}")
    if request.start > request.end:
        raise RetrainError(f"the window starts ({request.start}) after it ends ({request.end})")
    new_id = request.new_id or _default_id(request, cards)
    try:
        check_id(new_id, "new model id")
    except ValueError as exc:
        raise RetrainError(str(exc)) from None
    if new_id in cards:
        raise RetrainError(f"a model with id {new_id!r} is already registered: choose another --id")
    source = cards[request.source]
    try:
        source_model = store.load_model(source.id)
        estimator = build_estimator(request.algorithm, source, source_model)
    except (EstimatorError, ArtifactError) as exc:
        raise RetrainError(str(exc)) from None
    rows = load_matured_rows(store, source.id, request.start, request.end, source.feature_names)
    _refuse_missing(rows.missing, f"{source.id}'s prediction logs of {request.start} to {request.end}")
    if rows.frame.empty:
        raise RetrainError(f"no matured loan of {source.id} in {request.start} to {request.end}: outcomes arrive "
                           "months after the decision; choose an older window")
    split = split_out_of_time(rows.frame)
    check_counts(split)
    champion = champion_id(store) or source.id
    backfill = _backfill_window(store, request, split, champion)
    apps = load_window_applications(store, champion, backfill[0], backfill[1],
                                    [*source.feature_names, *source.protected_attributes])
    _refuse_missing([c for c in apps.missing if c in source.feature_names],
                    f"the champion {champion}'s logs of {backfill[0]} to {backfill[1]} (the backfill window)")
    if apps.frame.empty:
        raise RetrainError(f"the champion {champion} scored no application in {backfill[0]} to {backfill[1]}")
    return _Prepared(request=request, new_id=new_id, source=source, source_model=source_model,
                     estimator=estimator, split=split, files=rows.files, champion=champion, backfill=backfill,
                     applications=apps.frame)


def _refuse_missing(missing: list[str], where: str) -> None:
    if missing:
        raise RetrainError(f"feature(s) {', '.join(missing)} of the source card are missing from {where}; "
                           "the model cannot be trained or scored without them")


def _default_id(request: RetrainRequest, cards: dict[str, ModelCard]) -> str:
    base = f"{request.source[:40]}_rt_{request.end:%Y%m}"
    return next(f"{base}_{k}" if k else base for k in range(len(cards) + 2) if (f"{base}_{k}" if k else base)
                not in cards)


def _backfill_window(store: Store, request: RetrainRequest, split: Any, champion: str) -> tuple[dt.date, dt.date]:
    """The window of applications scored in shadow; refused when it overlaps the training months
    (Challengers would then compare scores on loans the model was fitted on)."""
    first_valid = dt.date.fromisoformat(f"{split.valid_months[0]}-01")
    first_train = max(request.start, dt.date.fromisoformat(f"{split.train_months[0]}-01"))
    start = request.backfill_start or first_valid
    newest = data_window(store, champion)
    end = request.backfill_end or (newest[1] if newest else request.end)
    if start > end:
        raise RetrainError(f"the backfill window starts ({start}) after it ends ({end})")
    if start < first_valid and end >= first_train:
        raise RetrainError(f"the backfill window {start} to {end} overlaps the training months ({first_train} to "
                           f"{first_valid - dt.timedelta(days=1)}): Challengers would compare in-sample scores; "
                           f"start it on or after {first_valid}")
    return start, end


def _card(prep: _Prepared, validation: Validation, actor: str) -> ModelCard:
    metrics = validation.metrics.set_index("model_id")
    detail = {"rows": validation.rows, "bads": validation.bads,
              "models": {m: {k: _num(metrics.loc[m, k]) for k in ("auc", "auc_lo", "auc_hi", "brier", "ks")}
                         | {f"calibration_{k}": _num(v) for k, v in validation.calibration[m].items()}
                         for m in metrics.index}}
    train = prep.split.train
    lin = Lineage(source=prep.source, new_id=prep.new_id, algorithm=prep.request.algorithm,
                  algorithm_text=describe_algorithm(prep.request.algorithm, prep.source),
                  window=(prep.request.start.isoformat(), prep.request.end.isoformat()),
                  train_months=prep.split.train_months, valid_months=prep.split.valid_months,
                  rows=len(train), bads=int(train["label"].sum()), files=tuple(prep.files),
                  files_sha256=fingerprint_files(prep.files),
                  rows_sha256=fingerprint_rows(train, ["application_id", "label", *prep.source.feature_names]),
                  validation={"summary": validation.summary, "detail": detail}, created_by=actor,
                  created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"))
    return build_retrained_card(lin)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def _reference(prep: _Prepared) -> pd.DataFrame:
    """The training rows (features and label): the drift reference of the new model."""
    return prep.split.train[[*prep.source.feature_names, "label"]].copy()


def _write_backfill(store: Store, prep: _Prepared, scores: Any, actor: str, role: str | None) -> int:
    apps = prep.applications
    frame = pd.DataFrame({"prediction_id": [f"{a}-{prep.new_id}-backfill" for a in apps["application_id"]],
                          "model_id": prep.new_id, "timestamp": apps["timestamp"],
                          "application_id": apps["application_id"], "score": scores, "decision": None,
                          "backfilled": True})
    extra = [c for c in apps.columns if c not in frame.columns]
    frame = pd.concat([frame, apps[extra].reset_index(drop=True)], axis=1)
    report = ingest_frame(store, "predictions", frame, source=f"backfill of {prep.new_id}")
    if report.problems:
        log.warning("backfill of %s: %s", prep.new_id, "; ".join(report.problems))
    written = int(report.stored)
    write_backfill_event(store, {"model_id": prep.new_id, "source_model": prep.source.id,
                                 "scored_from": prep.champion, "start": prep.backfill[0].isoformat(),
                                 "end": prep.backfill[1].isoformat(), "rows": written, "role": role or ""}, actor)
    return written


__all__ = ["ALGORITHMS", "RetrainError", "RetrainRequest", "RetrainResult", "backfill_history",
           "backfilled_counts", "retrain"]
