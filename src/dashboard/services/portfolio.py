"""Writing a generated portfolio (models, cards, logs, outcomes) as plain files, for `dashboard sample`.

The files are written atomically by `store.portfolio`; the data comes from `sample`.
"""

from __future__ import annotations

from dashboard.store.portfolio import write_portfolio, write_portfolio_chunks

__all__ = ["write_portfolio", "write_portfolio_chunks"]
