"""The money model: per-bin sums and single rows give the rule's figures, checked loan by loan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.money import (
    MoneyBasis,
    MoneySums,
    compute_expected_money,
    compute_loan_money,
    compute_money,
)

A = BusinessAssumptions(average_amount=9_000.0, loss_given_default=0.6, interest_margin=0.05,
                        average_term_years=2.0)
RATE = 0.05 * 2.0


def _loans(n: int = 3_000, seed: int = 1) -> pd.DataFrame:
    """Loans with every combination of missing amount, missing loss and no outcome yet."""
    rng = np.random.default_rng(seed)
    label = np.where(rng.random(n) < 0.7, (rng.random(n) < 0.3).astype(float), np.nan)
    amount = np.where(rng.random(n) < 0.4, np.nan, rng.lognormal(9, 0.8, n))
    loss = np.where((label == 1) & (rng.random(n) < 0.5), rng.uniform(0, 1, n) * np.nan_to_num(amount, nan=5e3), np.nan)
    loss[(label == 1) & (rng.random(n) < 0.05)] = 0.0           # a full recovery is a loss of 0, not missing
    amount[np.isnan(label)] = np.nan                             # no outcome: no amount known either
    return pd.DataFrame({"bin": rng.integers(0, 1000, n), "label": label, "amount": amount, "loss": loss})


def _by_hand(row: pd.Series) -> tuple[float, float]:
    """(realized loss, realized interest) of one matured loan, straight from the rule's words."""
    exposure = A.average_amount if np.isnan(row.amount) else row.amount
    if not np.isnan(row.loss):
        loss = row.loss
    else:
        loss = exposure * A.loss_given_default if row.label == 1 else 0.0
    interest = exposure * RATE if row.label == 0 else 0.0
    return loss, interest


def _sums(loans: pd.DataFrame) -> pd.DataFrame:
    """What the `scores` rollup keeps per bin, computed with pandas from the rows."""
    lab = loans["label"].notna()
    good, bad = loans["label"] == 0, loans["label"] == 1
    has_amt, has_loss = loans["amount"].notna(), loans["loss"].notna()
    cents = (loans["amount"].fillna(0) * 100).round()
    loss_cents = (loans["loss"].fillna(0) * 100).round()
    frame = pd.DataFrame({
        "bin": loans["bin"], "n": 1, "n_labelled": lab.astype(int), "n_bad": bad.astype(int),
        "amount_cents": cents.where(lab, 0), "n_amount": (lab & has_amt).astype(int),
        "good_amount_cents": cents.where(good, 0), "n_good_amount": (good & has_amt).astype(int),
        "loss_cents": loss_cents.where(lab, 0), "n_bad_loss": (bad & has_loss).astype(int),
        "bad_noloss_amount_cents": cents.where(bad & ~has_loss, 0),
        "n_bad_noloss_amount": (bad & ~has_loss & has_amt).astype(int)})
    return frame.groupby("bin", as_index=False).sum()


def test_bin_sums_give_the_loan_by_loan_figures() -> None:
    loans = _loans()
    per_bin = _sums(loans)
    pd_ = (per_bin["bin"].to_numpy() + 0.5) / 1000
    money = compute_money(MoneySums.from_frame(per_bin), pd_, A)
    matured = loans[loans["label"].notna()]
    hand = np.array([_by_hand(r) for r in matured.itertuples()])
    cents = 0.005 * len(matured)  # rollups keep amounts in whole cents: at most half a cent per loan
    assert money.realized_loss.sum() == pytest.approx(hand[:, 0].sum(), abs=cents)
    assert money.realized_interest.sum() == pytest.approx(hand[:, 1].sum(), abs=cents * RATE)
    exposure = matured["amount"].fillna(A.average_amount).sum()
    assert money.matured_exposure.sum() == pytest.approx(exposure, abs=cents)
    open_pd = (loans.loc[loans["label"].isna(), "bin"] + 0.5) / 1000
    assert money.expected_loss.sum() == pytest.approx((open_pd * A.loss_given_default * A.average_amount).sum())
    assert money.expected_interest.sum() == pytest.approx(((1 - open_pd) * A.average_amount * RATE).sum())
    assert money.expected_defaults.sum() == pytest.approx(open_pd.sum())


def test_missing_loss_amount_is_not_a_zero_loss() -> None:
    """The bug a real portfolio showed: outcomes without loss_amount read as zero losses."""
    loans = pd.DataFrame({"bin": [10, 10, 500], "label": [1.0, 1.0, 0.0], "amount": [np.nan, 4_000.0, 2_000.0],
                          "loss": [np.nan, np.nan, np.nan]})
    money = compute_money(MoneySums.from_frame(_sums(loans)), np.array([0.0105, 0.5005]), A)
    assert money.realized_loss.sum() == pytest.approx((9_000 + 4_000) * 0.6)
    assert money.realized_interest.sum() == pytest.approx(2_000 * RATE)


def test_rows_follow_the_same_rule() -> None:
    loans = _loans(500, seed=4)
    out = compute_loan_money(loans["label"].to_numpy(), loans["amount"].to_numpy(), loans["loss"].to_numpy(), A)
    for row, value in zip(loans.itertuples(), out, strict=True):
        if np.isnan(row.label):
            assert np.isnan(value)
        else:
            loss, interest = _by_hand(pd.Series(row._asdict()))
            assert value == pytest.approx(interest - loss)
    assert compute_expected_money(np.array([0.1]), None, A)[0] == pytest.approx(0.9 * 9_000 * RATE - 0.1 * 9_000 * 0.6)
    assert compute_expected_money(np.array([0.1, 0.2]), np.array([np.nan, 1_000.0]), A)[1] == \
        pytest.approx(0.8 * 1_000 * RATE - 0.2 * 1_000 * 0.6)


def test_basis_says_what_was_observed_and_what_assumed() -> None:
    loans = _loans(2_000, seed=7)
    basis = MoneyBasis.of(MoneySums.from_frame(_sums(loans)))
    matured = loans[loans["label"].notna()]
    bad = matured[matured["label"] == 1]
    assert basis.matured == len(matured) and basis.amount_observed == int(matured["amount"].notna().sum())
    assert basis.bad == len(bad) and basis.loss_observed == int(bad["loss"].notna().sum())
    assert basis.loss_from_amount == int((bad["loss"].isna() & bad["amount"].notna()).sum())
    assert basis.open == int(loans["label"].isna().sum())
    text = basis.inputs(A, "CHF")
    assert "CHF 9,000" in text["assumed"] and "loss given default 0.6" in text["assumed"]
    assert f"of {len(matured):,} matured loans" in text["observed"]
    nothing = MoneyBasis.of(MoneySums.zeros((3,)))
    assert nothing.inputs(A, "CHF") == {"observed": "no amount or loss observed", "assumed": "nothing"}
