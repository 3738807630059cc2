"""Reasons (never a protected attribute) and what-if validation and counterfactuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.explain.reasons import compute_comparison, compute_reasons, compute_value_text
from dashboard.explain.whatif import compute_counterfactual, validate_whatif
from dashboard.models.card import parse_card

CARD = parse_card({
    "id": "m", "name": "m", "version": "1", "role": "champion", "algorithm": "a", "owner": "o",
    "training": {"data": "x"}, "target": "t", "cutoff": 0.5,
    "protected_attributes": ["sex", "age_band"], "personal_columns": ["name"],
    "features": [
        {"name": "debt_to_income", "type": "numeric", "min": 0, "max": 1.5, "actionable": True, "direction": 1,
         "reason_template": "Debt-to-income ratio {value}", "description": "Debt over income"},
        {"name": "income", "type": "numeric", "min": 0, "max": 1e6, "actionable": True, "direction": -1,
         "reason_template": "Annual income of {value}", "description": "Annual income in EUR"},
        {"name": "late_payments", "type": "numeric", "min": 0, "max": 30,
         "reason_template": "{value} late payments"},
        {"name": "home", "type": "categorical", "categories": ["rent", "own"], "reason_template": "Housing: {value}"},
        {"name": "cosigner", "type": "categorical", "categories": ["no", "yes"], "actionable": True,
         "reason_template": "Co-signer: {value}"},
    ]})
APPROVED = pd.DataFrame({"debt_to_income": np.arange(100) * 0.006, "income": 20e3 + 1e3 * np.arange(100),
                         "late_payments": [0] * 90 + [1] * 10, "home": ["own"] * 70 + ["rent"] * 30,
                         "cosigner": ["no"] * 100})


def test_decline_reasons_are_the_risk_raising_features_in_plain_language() -> None:
    contributions = pd.Series({"debt_to_income": 0.9, "income": 0.5, "late_payments": -0.2, "home": 0.1,
                               "cosigner": 0.05})
    applicant = {"debt_to_income": 0.48, "income": 30_000.0, "late_payments": 0.0, "home": "rent",
                 "cosigner": "no"}
    reasons = compute_reasons(contributions, applicant, CARD, "decline", APPROVED)
    assert [r.feature for r in reasons] == ["debt_to_income", "income", "home", "cosigner"]
    assert reasons[0].text == "Debt-to-income ratio 48% (higher than 80% of approved applicants)"
    assert reasons[1].text == "Annual income of EUR 30,000 (lower than 89% of approved applicants)"
    assert reasons[2].text == "Housing: rent (shared by 30% of approved applicants)"


def test_approval_lists_the_supporting_factors() -> None:
    contributions = pd.Series({"debt_to_income": -0.4, "income": 0.3, "late_payments": -0.1, "home": 0.0,
                               "cosigner": 0.0})
    reasons = compute_reasons(contributions, {"debt_to_income": 0.1, "late_payments": 0.0}, CARD, "approve",
                              APPROVED)
    assert [r.feature for r in reasons] == ["debt_to_income", "late_payments"]
    assert all(r.contribution < 0 for r in reasons)


def test_reasons_never_contain_a_protected_attribute() -> None:
    # Even when an explanation carries protected or personal columns with the largest
    # contributions, they are never given as reasons.
    contributions = pd.Series({"sex": 5.0, "age_band": 4.0, "name": 3.0, "SEX": 2.5, "debt_to_income": 0.2,
                               "income": 0.1})
    applicant = {"sex": "female", "age_band": "66+", "name": "Ann", "debt_to_income": 0.5, "income": 1e4}
    for decision in ("decline", "review", "approve"):
        for reason in compute_reasons(contributions, applicant, CARD, decision, APPROVED):
            assert reason.feature not in ("sex", "age_band", "name", "SEX")
            for word in ("sex", "female", "age", "66+", "Ann"):
                assert word not in reason.text.lower().split()
    assert [r.feature for r in compute_reasons(contributions, applicant, CARD, "decline")] == \
        ["debt_to_income", "income"]


def test_values_and_comparisons_read_naturally() -> None:
    spec = CARD.feature("late_payments")
    assert compute_value_text(spec, 2.0) == "2"
    assert compute_value_text(spec, None) == "not provided"
    assert compute_value_text(CARD.feature("home"), "own") == "own"
    assert compute_comparison(spec, 1.0, APPROVED["late_payments"]) == "higher than 90% of approved applicants"
    assert compute_comparison(spec, 1.0, None) == ""
    assert compute_comparison(spec, np.nan, pd.Series([1.0, np.nan])) == "not provided by 50% of approved applicants"
    missing = compute_reasons(pd.Series({"income": 0.3}), {"income": None}, CARD, "decline")
    assert missing[0].text == "Annual income in EUR: not provided"


def test_invalid_whatif_values_give_clear_messages() -> None:
    row, problems = validate_whatif(CARD, {"debt_to_income": "abc", "income": -5, "late_payments": 99,
                                           "home": "castle", "cosigner": "yes", "favourite colour": "red"})
    assert "'favourite colour' is not a feature of model m" in problems
    assert "Debt over income (debt_to_income): 'abc' is not a number" in problems
    assert "Annual income in EUR (income): -5 is below the card's minimum 0" in problems
    assert "late_payments: 99 is above the card's maximum 30" in problems
    assert "home: 'castle' is not one of rent, own" in problems
    assert len(problems) == 5
    _, problems = validate_whatif(CARD, {"debt_to_income": float("inf")})
    assert problems == ["Debt over income (debt_to_income): inf is not a finite number"]


def test_valid_whatif_values_and_missing_pass() -> None:
    row, problems = validate_whatif(CARD, {"debt_to_income": "0.3", "income": None, "late_payments": 2,
                                           "home": "own", "cosigner": ""})
    assert problems == []
    assert row.loc[0, "debt_to_income"] == 0.3
    assert np.isnan(row.loc[0, "income"])
    assert row.loc[0, "cosigner"] is None


def _score(frame: pd.DataFrame) -> np.ndarray:
    """A known model: risk rises with debt-to-income, falls with income and a co-signer."""
    dti = frame["debt_to_income"].astype(float).fillna(0.3).to_numpy()
    income = frame["income"].astype(float).fillna(40e3).to_numpy()
    cosigner = (frame["cosigner"] == "yes").to_numpy()
    z = 6 * dti - income / 40e3 - 1.5 * cosigner
    return np.asarray(1 / (1 + np.exp(-z)))


def test_counterfactual_finds_the_smallest_single_change() -> None:
    applicant = pd.DataFrame([{"debt_to_income": 0.4, "income": 40e3, "late_payments": 0.0, "home": "rent",
                               "cosigner": "no"}])
    assert _score(applicant)[0] > 0.5
    result = compute_counterfactual(_score, CARD, applicant, 0.5, APPROVED)
    assert result.found and result.score is not None and result.score < 0.5
    assert len(result.changes) == 1
    # A co-signer (cost 1) beats lowering debt-to-income by a whole interquartile range.
    assert result.changes[0].feature in ("debt_to_income", "cosigner")
    assert result.changes[0].text


def test_counterfactual_says_when_nothing_is_enough() -> None:
    applicant = pd.DataFrame([{"debt_to_income": 1.5, "income": 20e3, "late_payments": 0.0, "home": "rent",
                               "cosigner": "no"}])
    result = compute_counterfactual(lambda f: np.full(len(f), 0.9), CARD, applicant, 0.5, APPROVED)
    assert not result.found
    assert "No change" in result.message


def test_counterfactual_combines_features_when_one_is_not_enough() -> None:
    applicant = pd.DataFrame([{"debt_to_income": 0.6, "income": 20e3, "late_payments": 0.0, "home": "rent",
                               "cosigner": "no"}])
    result = compute_counterfactual(_score, CARD, applicant, 0.2, APPROVED)
    assert result.found, result.message
    assert len(result.changes) >= 2
    edited = applicant.copy()
    for change in result.changes:
        edited[change.feature] = change.after
    assert _score(edited)[0] < 0.2


@pytest.mark.parametrize("decision", ["approve"])
def test_no_change_needed_when_already_approved(decision: str) -> None:
    applicant = pd.DataFrame([{"debt_to_income": 0.0, "income": 90e3, "late_payments": 0.0, "home": "own",
                               "cosigner": "yes"}])
    result = compute_counterfactual(_score, CARD, applicant, 0.5, APPROVED)
    assert result.found and result.changes == []
