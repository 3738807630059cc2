"""A first model card inferred from a prediction log: pure inference and YAML text, no I/O.

`compute_card_draft` reads the log's columns: those of the prediction contract (and an
outcome's `label` and `outcome_timestamp`) are left out, columns named like personal data become `personal_columns`, columns named
like a protected characteristic become `protected_attributes`, and every other column is a
feature, numeric when every filled value is a number (as ingest will check) and
categorical otherwise. `render_card_yaml` writes the card as YAML text by hand, so that the
comments telling the user what to fill and what to review survive.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml

from dashboard.contracts import OUTCOME_REQUIRED, PREDICTION_OPTIONAL, PREDICTION_REQUIRED
from dashboard.errors import DashboardError

MAX_CATEGORIES = 50                  # more distinct values than this: categories are not listed
AGE_BANDS = (25, 35, 45, 55, 65)     # the fairness pages' default bands for an attribute named like age
NUMERIC_SHARE = 0.95                 # a protected attribute is numeric when this share of values parse...
NUMERIC_DISTINCT = 10                # ... and it has more distinct values than this (as the fairness pages)
PROTECTED_HINTS = frozenset({
    "sex", "gender", "age", "race", "racial", "ethnicity", "ethnic", "religion", "religious", "marital",
    "married", "nationality", "citizenship", "foreign", "disability", "disabled", "pregnancy", "pregnant",
    "color", "colour", "sexual", "orientation",
})
PERSONAL_HINTS: tuple[tuple[str, ...], ...] = (
    ("name",), ("firstname",), ("lastname",), ("surname",), ("fullname",), ("national", "id"), ("ssn",),
    ("address",), ("email",), ("mail",), ("phone",), ("telephone",), ("mobile",), ("iban",), ("passport",),
    ("dob",), ("birth",), ("birthdate",), ("postcode",), ("zip",),
)
# A duration or count about personal data is a feature, not personal data: months_at_address.
MEASURE_TOKENS = frozenset({"months", "month", "years", "year", "days", "day", "time", "since", "count", "changes"})


class DraftError(DashboardError, ValueError):
    """A log from which no card can be drafted; the message says why."""


@dataclass(frozen=True)
class DraftFeature:
    name: str
    type: str                                   # "numeric" or "categorical"
    categories: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False                       # every value a whole number: min/max written as integers
    note: str = ""


@dataclass(frozen=True)
class DraftAttribute:
    name: str
    bands: tuple[float, ...] = ()               # declared bands (numeric attributes named like age)
    note: str = ""


@dataclass(frozen=True)
class CardDraft:
    model_id: str
    rows: int
    features: tuple[DraftFeature, ...]
    protected: tuple[DraftAttribute, ...]
    personal: tuple[str, ...]
    left_out: tuple[str, ...]                   # columns of the contracts, not card fields
    first_day: str | None = None
    last_day: str | None = None
    cutoff: float | None = None
    cutoff_note: str = ""
    notes: list[str] = field(default_factory=list)


def name_tokens(column: str) -> list[str]:
    """Lower-case words of a column name: `Saving accounts`, `saving_accounts`, `savingAccounts` alike."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column)
    return re.findall(r"[a-z0-9]+", spaced.lower())


def is_personal_name(column: str) -> bool:
    tokens = name_tokens(column)
    if MEASURE_TOKENS & set(tokens):
        return False
    return any(tokens[i:i + len(hint)] == list(hint) for hint in PERSONAL_HINTS for i in range(len(tokens)))


def is_protected_name(column: str) -> bool:
    return bool(PROTECTED_HINTS & set(name_tokens(column)))


def is_age_name(column: str) -> bool:
    """`age`, `*_age` or `age_*` (any case or separator), as the fairness pages read it."""
    tokens = name_tokens(column)
    return bool(tokens) and "age" in (tokens[0], tokens[-1])


def _filled(series: pd.Series) -> pd.Series:
    """The non-missing values; blank text counts as missing, as ingest reads it."""
    values = series.dropna()
    if values.dtype == object:
        values = values[values.astype(str).str.strip() != ""]
    return values


def _as_text(value: object) -> str:
    """A value as ingest stores categorical text: whole floats without their '.0'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() if isinstance(value, str) else str(value)


def _numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    return pd.to_numeric(values, errors="coerce")  # as ingest reads a numeric feature


def _infer_feature(name: str, series: pd.Series) -> DraftFeature:
    values = _filled(series)
    if values.empty:
        return DraftFeature(name, "categorical", note="every value is empty in the log: check its type")
    numbers = _numbers(values)
    if numbers.notna().all():
        lo, hi = float(numbers.min()), float(numbers.max())
        whole = bool(np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0))
        return DraftFeature(name, "numeric", min=lo, max=hi, integer=whole,
                            note="min and max are the log's range: widen them to the valid range")
    distinct = sorted({_as_text(v) for v in values})
    if len(distinct) > MAX_CATEGORIES:
        return DraftFeature(name, "categorical",
                            note=f"{len(distinct):,} distinct values, categories not listed: an identifier or "
                                 "free text? Leave it out if the model does not use it")
    parsed = int(numbers.notna().sum())
    note = f"{parsed:,} of {len(values):,} values are numbers: categorical" if parsed else ""
    return DraftFeature(name, "categorical", categories=tuple(distinct), note=note)


def _infer_protected(name: str, series: pd.Series) -> DraftAttribute:
    values = _filled(series)
    numbers = _numbers(values) if not values.empty else pd.Series(dtype=float)
    numeric = not values.empty and numbers.notna().mean() >= NUMERIC_SHARE and \
        numbers.dropna().nunique() > NUMERIC_DISTINCT
    if numeric and is_age_name(name):
        return DraftAttribute(name, bands=AGE_BANDS,
                              note="numeric and named like age: the default age bands; edit the edges if needed")
    if numeric:
        return DraftAttribute(name, note="numeric: grouped into quintile bands unless you declare bands: [...]")
    return DraftAttribute(name, note="suggested by its name: one group per value; review")


def _infer_cutoff(frame: pd.DataFrame) -> tuple[float | None, str]:
    """The cutoff the logged decisions imply: every approval below it, every decline or review at or above."""
    if "decision" not in frame or "score" not in frame:
        return None, "no decision column in the log: set the cutoff your policy uses (approve below it)"
    decision = frame["decision"].astype(str).str.strip().str.lower()
    score = pd.to_numeric(frame["score"], errors="coerce")
    approved = score[decision == "approve"].dropna()
    refused = score[decision.isin(["decline", "review"])].dropna()
    if approved.empty or refused.empty:
        return None, "the log holds no approvals or no declines to infer it from: set the cutoff (approve below it)"
    if approved.max() >= refused.min():
        return None, (f"approvals and declines overlap in score ({refused.min():.4f} to {approved.max():.4f}; "
                      "overrides?): set the cutoff your policy uses (approve below it)")
    return float(refused.min()), (f"inferred from the logged decisions: approvals scored up to "
                                  f"{approved.max():.4f}, declines and reviews from {refused.min():.4f}")


def compute_card_draft(frame: pd.DataFrame, model_id: str) -> CardDraft:
    """Infer a card for `model_id` from its prediction log (all rows when there is no model_id column)."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    notes: list[str] = []
    if "model_id" in frame:
        ids = frame["model_id"].astype(str).str.strip()
        if not (ids == model_id).any():
            found = ", ".join(sorted(set(ids.dropna()))[:10]) or "none"
            raise DraftError(f"the log has no rows of model {model_id!r} (model_id values in it: {found})")
        frame = frame[ids == model_id]
    if frame.empty:
        raise DraftError("the log holds no rows")
    # The outcome's own columns are no input either; loan_amount may well be one (the requested amount).
    contract = (*PREDICTION_REQUIRED, *PREDICTION_OPTIONAL, *(c for c in OUTCOME_REQUIRED if c != "application_id"))
    left_out = tuple(c for c in frame.columns if c in contract)
    features, protected, personal = [], [], []
    for column in frame.columns:
        if column in contract:
            continue
        if is_personal_name(column):
            personal.append(column)
        elif is_protected_name(column):
            protected.append(_infer_protected(column, frame[column]))
        else:
            features.append(_infer_feature(column, frame[column]))
    if not features:
        raise DraftError("the log has no column besides the prediction contract and personal or protected ones, "
                         "so there is no feature to describe: log the model's input features beside each score")
    first = last = None
    if "timestamp" in frame:
        stamps = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True, format="mixed").dropna()
        if not stamps.empty:
            first, last = stamps.min().date().isoformat(), stamps.max().date().isoformat()
    cutoff, cutoff_note = _infer_cutoff(frame)
    return CardDraft(model_id=model_id, rows=len(frame), features=tuple(features), protected=tuple(protected),
                     personal=tuple(personal), left_out=left_out, first_day=first, last_day=last,
                     cutoff=cutoff, cutoff_note=cutoff_note, notes=notes)


# ---------------------------------------------------------------------------- YAML text
def yaml_scalar(value: object) -> str:
    """A scalar as YAML: plain when it reads back as itself, else a double-quoted (JSON) string."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    plain = text == text.strip() and text != "" and not text.startswith(("-", "?", "[", "{", "'", '"', "!", "&",
                                                                        "*", "%", "@", "`", "|", ">"))
    if plain:
        try:
            plain = yaml.safe_load(text) == text and "#" not in text and ": " not in text
        except yaml.YAMLError:
            plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _number(value: float, integer: bool) -> str:
    return str(int(value)) if integer else repr(float(value))


def _comment(text: str, indent: int) -> list[str]:
    return [f"{' ' * indent}# {text}"] if text else []


def _feature_lines(f: DraftFeature) -> list[str]:
    lines = [f"  - name: {yaml_scalar(f.name)}", f"    type: {f.type}", *_comment(f.note, 4),
             '    description: ""', '    reason_template: ""         # e.g. "Credit amount of {value}"']
    if f.type == "numeric" and f.min is not None and f.max is not None:
        lines += [f"    min: {_number(f.min, f.integer)}", f"    max: {_number(f.max, f.integer)}",
                  "    # direction: 1                # 1: a higher value should raise the risk; -1: lower it"]
    if f.categories:
        lines.append("    categories: [" + ", ".join(yaml_scalar(c) for c in f.categories) + "]")
    lines.append("    actionable: false            # true when the applicant can change it (what-if)")
    return lines


def _protected_lines(draft: CardDraft) -> list[str]:
    if not draft.protected:
        return ["protected_attributes: []        # none recognised by name: list the columns to check for fairness"]
    lines = ["protected_attributes:           # suggested from column names: review; never model features"]
    for p in draft.protected:
        if p.bands:
            lines += [f"  - name: {yaml_scalar(p.name)}", "    bands: [" + ", ".join(str(b) for b in p.bands) + "]"]
        else:
            lines.append(f"  - {yaml_scalar(p.name)}")
        lines += _comment(p.note, 4)
    return lines


def render_card_yaml(draft: CardDraft, source: str) -> str:
    """The card as YAML text with comments for review; `source` names the log it came from."""
    span = f", {draft.first_day} to {draft.last_day}" if draft.first_day else ""
    lines = [
        f"# Model card drafted by `dashboard card draft` from {source} ({draft.rows:,} rows of {draft.model_id}{span}).",
        "# See 'Writing a model card' in the README for what each field changes.",
        "#",
        "# Fill before registering (register-model refuses the card while a required one is empty):",
        "#   owner, algorithm, target                  required",
        "#   training.window (start, end), training.data",
        "#   features: each description and reason_template (what reviewers and declined applicants read)",
        "# Review: name and version; each feature's type, categories and min/max (read from the log);",
        "#   direction and actionable (left unset); protected_attributes and personal_columns (suggested",
        "#   from column names); cutoff; validation_metrics, intended_use, limitations.",
    ]
    if draft.left_out:
        lines.append("# Left out, columns of the log contracts: " + ", ".join(draft.left_out) + ".")
    lines += [
        "",
        f"id: {yaml_scalar(draft.model_id)}",
        f"name: {yaml_scalar(draft.model_id)}            # a readable name",
        'version: "1"',
        "role: champion                 # champion (decides) or challenger (scores in shadow)",
        'algorithm: ""                  # e.g. scikit-learn GradientBoostingClassifier in a Pipeline',
        'owner: ""                      # the team or person answerable for the model',
        "training:",
        "  window:                      # the dates of the training data's applications, YYYY-MM-DD",
        '    start: ""',
        '    end: ""',
        '  data: ""                     # what the training data was (source, rows, outcome definition)',
        'target: ""                     # e.g. label = 1 when 90+ days past due within 12 months',
        "features:",
    ]
    for f in draft.features:
        lines += _feature_lines(f)
    lines += _protected_lines(draft)
    if draft.personal:
        lines.append("personal_columns:               # suggested from column names: masked for most roles; review")
        lines += [f"  - {yaml_scalar(p)}" for p in draft.personal]
    else:
        lines.append("personal_columns: []")
    lines += _comment(draft.cutoff_note, 0)
    lines.append(f"cutoff: {draft.cutoff!r}" if draft.cutoff is not None else "cutoff: 0.5")
    lines += [
        "validation_metrics: {}          # e.g. {auc: 0.78, ks: 0.42} on your validation sample",
        'intended_use: ""',
        'limitations: ""',
    ]
    return "\n".join(lines) + "\n"
