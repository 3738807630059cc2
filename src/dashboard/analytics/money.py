"""The money model: one rule for every page and report that shows an amount.

- A loan is matured once an outcome row for its application has been ingested (the latest
  one counts); only matured loans have realized figures.
- Exposure = the outcome's `loan_amount` when given, else the assumed `average_amount`.
- Realized loss = `loss_amount` when given (0 is a real value: a full recovery), else, for a bad
  loan, exposure x loss given default; a good loan without `loss_amount` loses nothing.
- Interest earned by a matured good loan = exposure x interest margin x term.
- An approved loan that has not matured is valued from its score read as a calibrated P(bad):
  expected loss = PD x LGD x average amount, expected interest = (1 - PD) x average amount x
  margin x term (no amount is known before the outcome arrives).

Rollups keep, per (day, decision, score bin), the integer sums this needs (MONEY_COLUMNS), so a
figure costs bins, not rows; `compute_loan_money` applies the same rule to single rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions

# Per-bin sums kept by the `scores` rollup (amounts in cents). Matured = labelled.
MONEY_COLUMNS = ("n", "n_labelled", "n_bad", "amount_cents", "n_amount", "good_amount_cents",
                 "n_good_amount", "loss_cents", "n_bad_loss", "bad_noloss_amount_cents",
                 "n_bad_noloss_amount")


@dataclass(frozen=True)
class MoneySums:
    """The rollup's money sums as arrays of one shape (rows of a frame, or decisions x bins)."""

    n: np.ndarray                         # applications
    n_labelled: np.ndarray                # matured (an outcome arrived)
    n_bad: np.ndarray                     # matured and bad
    amount_cents: np.ndarray              # sum of observed loan amounts of matured loans
    n_amount: np.ndarray                  # matured loans with an observed amount
    good_amount_cents: np.ndarray         # ... of the good ones
    n_good_amount: np.ndarray
    loss_cents: np.ndarray                # sum of observed loss amounts of matured loans
    n_bad_loss: np.ndarray                # bad loans with an observed loss
    bad_noloss_amount_cents: np.ndarray   # amounts of bad loans without an observed loss
    n_bad_noloss_amount: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MoneySums:
        """From rollup rows; a column the frame lacks counts as zero."""
        n = len(frame)
        return cls(**{c: (frame[c].fillna(0).to_numpy(dtype=float) if c in frame else np.zeros(n))
                      for c in MONEY_COLUMNS})

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> MoneySums:
        return cls(**{c: np.zeros(shape) for c in MONEY_COLUMNS})

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def map(self, fn: Any) -> MoneySums:
        """Each array through `fn` (a sum over an axis, a mask, ...)."""
        return MoneySums(**{k: np.asarray(fn(v), dtype=float) for k, v in self.arrays().items()})


@dataclass(frozen=True)
class Money:
    """Money of the loans behind each element of a MoneySums (same shape), in currency units."""

    open: np.ndarray                 # applications without a matured outcome
    matured_exposure: np.ndarray     # observed amounts + assumed average for the rest
    realized_loss: np.ndarray
    realized_interest: np.ndarray    # interest of matured good loans
    expected_loss: np.ndarray        # of the open applications, if approved
    expected_interest: np.ndarray
    expected_defaults: np.ndarray    # open x PD
    expected_exposure: np.ndarray    # open x average amount


def interest_rate(a: BusinessAssumptions) -> float:
    """Interest earned per unit lent over a loan's life."""
    return a.interest_margin * a.average_term_years


def compute_money(s: MoneySums, pd_: np.ndarray, a: BusinessAssumptions) -> Money:
    """The money rule on per-bin sums; `pd_` is each element's calibrated P(bad)."""
    avg = a.average_amount
    goods = s.n_labelled - s.n_bad
    bad_no_anything = np.maximum(s.n_bad - s.n_bad_loss - s.n_bad_noloss_amount, 0.0)
    realized_loss = (s.loss_cents / 100 + a.loss_given_default
                     * (s.bad_noloss_amount_cents / 100 + bad_no_anything * avg))
    good_exposure = s.good_amount_cents / 100 + np.maximum(goods - s.n_good_amount, 0.0) * avg
    open_n = np.maximum(s.n - s.n_labelled, 0.0)
    return Money(
        open=open_n,
        matured_exposure=s.amount_cents / 100 + np.maximum(s.n_labelled - s.n_amount, 0.0) * avg,
        realized_loss=realized_loss,
        realized_interest=good_exposure * interest_rate(a),
        expected_loss=open_n * pd_ * a.loss_given_default * avg,
        expected_interest=open_n * (1 - pd_) * avg * interest_rate(a),
        expected_defaults=open_n * pd_,
        expected_exposure=open_n * avg,
    )


# ---------------------------------------------------------------------------- rows
def compute_loan_money(label: np.ndarray, amount: np.ndarray, loss: np.ndarray,
                       a: BusinessAssumptions) -> np.ndarray:
    """Realized money of matured approved loans, row by row: interest when good, minus the loss.

    NaN where there is no label yet (the loan has not matured).
    """
    lab = np.asarray(label, dtype=float)
    amt = np.asarray(amount, dtype=float)
    lost = np.asarray(loss, dtype=float)
    exposure = np.where(np.isnan(amt), a.average_amount, amt)
    loss_value = np.where(np.isnan(lost), np.where(lab == 1, exposure * a.loss_given_default, 0.0), lost)
    gain = np.where(lab == 1, 0.0, exposure * interest_rate(a))
    return np.where(np.isnan(lab), np.nan, gain - loss_value)


def compute_expected_money(score: np.ndarray, amount: np.ndarray | None, a: BusinessAssumptions) -> np.ndarray:
    """Expected money of approving an application whose P(bad) is `score`: its exposure (the
    amount where known, else the average) x ((1 - PD) x margin x term - PD x LGD)."""
    p = np.asarray(score, dtype=float)
    exposure = np.full(p.shape, a.average_amount) if amount is None else \
        np.where(np.isnan(np.asarray(amount, dtype=float)), a.average_amount, amount)
    return exposure * ((1 - p) * interest_rate(a) - p * a.loss_given_default)


# ---------------------------------------------------------------------------- provenance
@dataclass(frozen=True)
class MoneyBasis:
    """Which money inputs were observed and which assumed, for the loans behind a figure."""

    matured: int
    amount_observed: int
    bad: int
    loss_observed: int
    loss_from_amount: int          # bad loans valued at their observed amount x LGD
    open: int                      # approved loans valued from the score (not matured)

    @classmethod
    def of(cls, s: MoneySums, mask: np.ndarray | None = None) -> MoneyBasis:
        def total(x: np.ndarray) -> int:
            return int(round(float(x[mask].sum() if mask is not None else x.sum())))

        return cls(matured=total(s.n_labelled), amount_observed=total(s.n_amount), bad=total(s.n_bad),
                   loss_observed=total(s.n_bad_loss), loss_from_amount=total(s.n_bad_noloss_amount),
                   open=total(np.maximum(s.n - s.n_labelled, 0.0)))

    def observed(self) -> list[str]:
        out = []
        if self.amount_observed:
            out.append(f"loan amounts of {self.amount_observed:,} of {self.matured:,} matured loans")
        if self.loss_observed:
            out.append(f"loss amounts of {self.loss_observed:,} of {self.bad:,} defaults")
        return out

    def assumed(self, a: BusinessAssumptions, currency: str) -> list[str]:
        avg = f"{currency} {a.average_amount:,.0f}"
        out = []
        if self.matured > self.amount_observed:
            out.append(f"the average amount {avg} for {self.matured - self.amount_observed:,} matured loans "
                       "without a loan amount")
        no_loss = self.bad - self.loss_observed
        if no_loss > 0:
            out.append(f"loss given default {a.loss_given_default:g} x amount for {no_loss:,} defaults without "
                       f"a loss amount ({self.loss_from_amount:,} at their own amount, "
                       f"{no_loss - self.loss_from_amount:,} at the average)")
        if self.open:
            out.append(f"{self.open:,} loans without a matured outcome valued from their score (PD) at the "
                       f"average amount {avg}")
        return out

    def inputs(self, a: BusinessAssumptions, currency: str) -> dict[str, str]:
        """The two lines a figure's "how it was computed" shows."""
        return {"observed": "; ".join(self.observed()) or "no amount or loss observed",
                "assumed": "; ".join(self.assumed(a, currency)) or "nothing"}


def describe_money_inputs(a: BusinessAssumptions) -> Mapping[str, str]:
    """The assumptions every money figure uses, for a page's note."""
    return {"average amount": f"{a.currency} {a.average_amount:,.0f}",
            "loss given default": f"{a.loss_given_default:g}",
            "interest margin x term": f"{a.interest_margin:g} x {a.average_term_years:g} years"}
