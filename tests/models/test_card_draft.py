"""Drafting a card from a log: types, categories, ranges and suggestions against pandas on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from dashboard.models.card import parse_card
from dashboard.models.card_draft import (
    AGE_BANDS,
    DraftError,
    compute_card_draft,
    is_age_name,
    is_personal_name,
    is_protected_name,
    render_card_yaml,
    yaml_scalar,
)


def _log(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A log as read from CSV (every cell text, blanks for missing) with traps in its columns."""
    rng = np.random.default_rng(seed)
    income = rng.integers(8_000, 120_000, n).astype(float)
    income[::17] = np.nan
    score = np.round(rng.random(n), 4)
    frame = pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(n)], "model_id": "m1",
        "timestamp": pd.date_range("2026-03-01", periods=n, freq="h").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "application_id": [f"a{i}" for i in range(n)], "score": score.astype(str),
        "decision": np.where(score < 0.4, "approve", np.where(score < 0.6, "review", "decline")),
        "latency_ms": rng.integers(5, 50, n).astype(str),
        "annual income": income,                                          # a space in the name, missing values
        "debt_ratio": np.round(rng.random(n) * 1.2, 3),
        "housing": rng.choice(["own", "rent", "free", "yes", "no"], n),   # YAML 1.1 booleans as categories
        "product_code": rng.choice(["10", "20", "X1"], n),                # numbers and text mixed: categorical
        "comment": [f"free text {i}" for i in range(n)],                  # too many values to list
        "Sex": rng.choice(["female", "male"], n),
        "applicant_age": rng.integers(18, 80, n),
        "marital_status": rng.choice(["single", "married"], n),
        "nationality_code": rng.integers(0, 40, n),
        "customer_name": [f"Name {i}" for i in range(n)],
        "Email": [f"x{i}@example.com" for i in range(n)],
        "national_id": [f"ID{i}" for i in range(n)],
        "mortgage_balance": rng.integers(0, 300_000, n),                 # 'age' inside a word: not protected
        "label": rng.integers(0, 2, n),                                   # an outcome column: left out
        "loan_amount": rng.integers(1_000, 50_000, n),                    # an outcome column name, yet an input
    })
    text = frame.astype(str).where(frame.notna(), "")
    return text


def test_features_types_categories_and_ranges_follow_the_rows() -> None:
    log = _log()
    draft = compute_card_draft(log, "m1")
    got = {f.name: f for f in draft.features}
    assert list(got) == ["annual income", "debt_ratio", "housing", "product_code", "comment", "mortgage_balance",
                         "loan_amount"]
    for name in ("annual income", "debt_ratio", "mortgage_balance", "loan_amount"):
        values = pd.to_numeric(log[name].replace("", np.nan)).dropna()
        assert got[name].type == "numeric"
        assert (got[name].min, got[name].max) == (values.min(), values.max())
    assert got["mortgage_balance"].integer and not got["debt_ratio"].integer
    for name in ("housing", "product_code"):
        assert got[name].type == "categorical"
        assert list(got[name].categories) == sorted(log[name].unique())
    assert got["comment"].type == "categorical" and got["comment"].categories == ()
    assert "400 distinct values" in got["comment"].note
    assert draft.left_out == ("prediction_id", "model_id", "timestamp", "application_id", "score", "decision",
                              "latency_ms", "label")
    assert (draft.first_day, draft.last_day, draft.rows) == ("2026-03-01", "2026-03-17", 400)


def test_protected_and_personal_columns_are_suggested_by_name() -> None:
    draft = compute_card_draft(_log(), "m1")
    protected = {p.name: p for p in draft.protected}
    assert list(protected) == ["Sex", "applicant_age", "marital_status", "nationality_code"]
    assert protected["applicant_age"].bands == AGE_BANDS          # numeric and named like age
    assert protected["nationality_code"].bands == () and "quintile" in protected["nationality_code"].note
    assert protected["Sex"].bands == ()
    assert draft.personal == ("customer_name", "Email", "national_id")


@pytest.mark.parametrize(("name", "protected", "age", "personal"), [
    ("age", True, True, False), ("AGE", True, True, False), ("age_years", True, True, False),
    ("ApplicantAge", True, True, False), ("mortgage", False, False, False), ("stage", False, False, False),
    ("Gender", True, False, False), ("ethnic_group", True, False, False), ("religion", True, False, False),
    ("first_name", False, False, True), ("lastName", False, False, True), ("phone_number", False, False, True),
    ("home address", False, False, True), ("SSN", False, False, True), ("national_id", False, False, True),
    ("nationality", True, False, False), ("income", False, False, False), ("application_id", False, False, False),
    ("months_at_address", False, False, False), ("years_at_address", False, False, False),
])
def test_name_hints(name: str, protected: bool, age: bool, personal: bool) -> None:
    assert (is_protected_name(name), is_age_name(name), is_personal_name(name)) == (protected, age, personal)


def test_a_text_age_is_not_banded() -> None:
    log = _log()
    log["age_band"] = np.where(log["applicant_age"].astype(int) < 40, "18-39", "40+")
    draft = compute_card_draft(log, "m1")
    band = next(p for p in draft.protected if p.name == "age_band")
    assert band.bands == ()


def test_yaml_round_trips_with_comments_and_the_band_form() -> None:
    log = _log()
    draft = compute_card_draft(log, "m1")
    text = render_card_yaml(draft, "log.csv")
    data = yaml.safe_load(text)
    assert data["id"] == "m1" and data["role"] == "champion" and data["owner"] == ""
    assert [f["name"] for f in data["features"]] == [f.name for f in draft.features]
    housing = next(f for f in data["features"] if f["name"] == "housing")
    assert housing["categories"] == sorted(log["housing"].unique())   # 'yes' and 'no' stay text
    income = next(f for f in data["features"] if f["name"] == "annual income")
    assert income["min"] == pd.to_numeric(log["annual income"].replace("", np.nan)).min()
    assert {"name": "applicant_age", "bands": list(AGE_BANDS)} in data["protected_attributes"]
    assert "Sex" in data["protected_attributes"]
    assert data["personal_columns"] == ["customer_name", "Email", "national_id"]
    # Every feature's description and reason template are left for the user, and the header says so.
    assert all(f["description"] == "" and f["reason_template"] == "" for f in data["features"])
    assert "# Fill before registering" in text and "description and reason_template" in text
    assert text.count("# suggested from column names") == 2
    assert "# Left out, columns of the log contracts: prediction_id," in text
    # What the parser needs besides: owner, algorithm and target.
    filled = {**data, "owner": "risk", "algorithm": "logit", "target": "label 1 = bad",
              "protected_attributes": [p["name"] if isinstance(p, dict) else p for p in data["protected_attributes"]]}
    card = parse_card(filled)
    assert card.feature("housing").categories == tuple(sorted(log["housing"].unique()))
    assert card.cutoff == data["cutoff"]


def test_cutoff_is_inferred_only_from_separated_decisions() -> None:
    log = _log()
    draft = compute_card_draft(log, "m1")
    score = log["score"].astype(float)
    assert draft.cutoff == score[log["decision"] != "approve"].min()
    assert score[log["decision"] == "approve"].max() < draft.cutoff
    log.loc[0, ["score", "decision"]] = ["0.9", "approve"]     # an override: no clean boundary
    overlapping = compute_card_draft(log, "m1")
    assert overlapping.cutoff is None and "overlap" in overlapping.cutoff_note
    assert "cutoff: 0.5" in render_card_yaml(overlapping, "log.csv")


def test_only_the_models_rows_are_read_and_a_missing_model_is_named() -> None:
    log = _log()
    other = log.copy()
    other["model_id"] = "m2"
    other["debt_ratio"] = "9.5"
    both = pd.concat([log, other], ignore_index=True)
    draft = compute_card_draft(both, "m1")
    assert next(f for f in draft.features if f.name == "debt_ratio").max < 9.5 and draft.rows == len(log)
    with pytest.raises(DraftError, match=r"no rows of model 'm3' \(model_id values in it: m1, m2\)"):
        compute_card_draft(both, "m3")


def test_a_log_without_features_is_refused() -> None:
    log = _log()[["prediction_id", "model_id", "timestamp", "application_id", "score", "Sex"]]
    with pytest.raises(DraftError, match="no feature to describe"):
        compute_card_draft(log, "m1")


@pytest.mark.parametrize("value", ["plain", "Saving accounts", "yes", "no", "1", "0.5", "a: b", "x # y", " pad",
                                   "-lead", "null", "true", "[x]", "quote's", 'dq"s', "ünï", "", "on"])
def test_yaml_scalar_reads_back_as_itself(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}")["k"] == value
