"""What a page's money figures rest on: the inputs observed in the logs and those assumed."""

from __future__ import annotations

import streamlit as st

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.money import MoneyBasis


def render_money_basis(basis: MoneyBasis, a: BusinessAssumptions) -> None:
    """Two lines under money figures: observed inputs, then assumed ones (with the values used)."""
    observed = basis.observed()
    assumed = basis.assumed(a, a.currency)
    st.caption("**Observed:** " + ("; ".join(observed) if observed else "no loan or loss amount in the outcomes")
               + ".  \n**Assumed:** " + ("; ".join(assumed) if assumed else "nothing") + ". Amounts in "
               f"{a.currency} (business.toml [money] currency).")
