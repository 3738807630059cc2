"""Registering a model from a card file, an optional skops artifact and reference data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.errors import DashboardError
from dashboard.models.artifact import ArtifactError, load_model, predict_scores
from dashboard.models.card import CardError, ModelCard, parse_card_yaml
from dashboard.store import Store
from dashboard.store.reader import InputFileError, read_table


class RegistrationError(DashboardError, ValueError):
    pass


def _read_card(card_path: Path) -> ModelCard:
    if not card_path.is_file():
        raise RegistrationError(f"{card_path}: card file not found")
    try:
        return parse_card_yaml(card_path.read_text("utf-8"), str(card_path))
    except UnicodeDecodeError:
        raise RegistrationError(f"{card_path}: not UTF-8 text") from None
    except CardError as exc:
        raise RegistrationError(str(exc)) from None


def _read_artifact(artifact_path: Path) -> tuple[bytes, Any]:
    """The artifact's bytes and its model, refused unless it is a skops classifier."""
    if not artifact_path.is_file():
        raise RegistrationError(f"{artifact_path}: artifact file not found")
    artifact = artifact_path.read_bytes()
    try:
        model = load_model(artifact)
    except ArtifactError as exc:
        raise RegistrationError(f"{artifact_path}: {exc}") from None
    if not hasattr(model, "predict_proba"):
        raise RegistrationError(f"{artifact_path}: the model has no predict_proba; a classifier is needed")
    return artifact, model


def _read_reference(reference_path: Path, card: ModelCard) -> pd.DataFrame:
    try:
        reference = read_table(reference_path)
    except InputFileError as exc:
        raise RegistrationError(str(exc)) from None
    missing = [f for f in card.feature_names if f not in reference.columns]
    if missing:
        raise RegistrationError(f"{reference_path}: reference data lacks feature column(s) {', '.join(missing)}")
    for spec in card.features:  # CSV cells arrive as text
        if spec.type == "numeric":
            reference[spec.name] = pd.to_numeric(reference[spec.name], errors="coerce")
    return reference


def _check_scores(model: Any, reference: pd.DataFrame, card: ModelCard, artifact_path: Path | None) -> None:
    try:
        predict_scores(model, reference[card.feature_names].head(50))
    except Exception as exc:  # noqa: BLE001  (the user's model may raise anything on bad columns)
        raise RegistrationError(f"{artifact_path}: the model could not score the card's features "
                                f"({type(exc).__name__}: {exc})") from None


def register_model_files(store: Store, card_path: Path, artifact_path: Path | None = None,
                         reference_path: Path | None = None, actor: str = "cli") -> list[str]:
    """Validate everything first; write nothing unless the card, artifact and reference all pass."""
    card = _read_card(card_path)
    artifact, model = _read_artifact(artifact_path) if artifact_path is not None else (None, None)
    reference = _read_reference(reference_path, card) if reference_path is not None else None
    if reference is not None and artifact is not None:
        _check_scores(model, reference, card, artifact_path)
    notes = store.register_model(card, artifact, reference, actor=actor,
                                 reference_source=reference_path.name if reference_path is not None else None)
    missing_fields = card.missing_recommended()
    if missing_fields:
        notes.append("card fields a reviewer will look for are empty: " + ", ".join(missing_fields[:10]))
    return notes
