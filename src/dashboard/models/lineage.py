"""The card of a retrained challenger: what it was trained on, how it validated, what a reviewer must add.

Feature descriptions, directions and reason templates are copied from the source card (the
retraining changes the fit, not what a feature means nor how a decline is explained). The
reject-inference bias is stated in `limitations`; the fields only a person can fill are listed
under `review.missing` and the card says it is a draft until they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard.models.card import ModelCard, parse_card

REJECT_INFERENCE = (
    "Trained only on approved loans whose outcome matured: declined applicants never have an outcome, so the "
    "model learns the risk of the population the previous policy approved (reject-inference bias). Its scores "
    "for applicants the old policy declined are extrapolations; no reject inference was applied.")
REVIEWER_FIELDS = (
    "review.approved_by: the validator who signs off this model",
    "review.approved_on: the date of that sign-off",
    "intended_use: confirm it for the retrained model (copied from the source card)",
    "limitations: add what this window's data cannot support, beyond the reject-inference bias stated",
    "cutoff: choose one for this model's scores on Thresholds (the source card's cutoff is copied)",
    "monitoring: the alert thresholds and the review date after promotion",
)


@dataclass(frozen=True)
class Lineage:
    source: ModelCard
    new_id: str
    algorithm: str               # same, logistic or hgb
    algorithm_text: str
    window: tuple[str, str]      # the window asked for, ISO dates
    train_months: tuple[str, ...]
    valid_months: tuple[str, ...]
    rows: int
    bads: int
    files: tuple[tuple[str, int], ...]   # prediction and outcome files read, with their rows
    files_sha256: str
    rows_sha256: str
    validation: dict[str, Any]   # figures of the new and the source model on the held-out months
    created_by: str
    created_at: str


def build_retrained_card(lin: Lineage) -> ModelCard:
    """The generated card (a challenger), parsed like any card so it is valid by construction."""
    src = lin.source
    data = src.to_dict()
    data.update({
        "id": lin.new_id, "name": f"{src.name}, {lin.algorithm} refit on {lin.train_months[0]} to {lin.train_months[-1]}",
        "version": "0.1.0-draft", "role": "challenger", "algorithm": lin.algorithm_text,
        "training": {
            "window": {"start": lin.window[0], "end": lin.window[1]},
            "data": f"matured approved loans of {src.id}'s prediction logs joined to their outcomes",
            "train_months": list(lin.train_months), "rows": lin.rows, "bads": lin.bads,
            "fingerprint": {"files_sha256": lin.files_sha256, "rows_sha256": lin.rows_sha256,
                            "files": [{"file": f, "rows": n} for f, n in lin.files]},
        },
        "validation_metrics": {k: round(float(v), 4) for k, v in lin.validation["summary"].items()},
        "validation": {"method": "out of time: the latest matured months of the window, never seen in training",
                       "months": list(lin.valid_months), **lin.validation["detail"]},
        "limitations": REJECT_INFERENCE + (" " + src.limitations if src.limitations else ""),
        "lineage": {"source_model": src.id, "source_version": src.version, "algorithm_choice": lin.algorithm,
                    "created_by": lin.created_by, "created_at": lin.created_at},
        "review": {"status": "draft: not validated", "missing": list(REVIEWER_FIELDS)},
    })
    return parse_card(data, source=f"retrained card {lin.new_id}")
