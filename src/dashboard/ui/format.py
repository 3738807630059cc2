"""Number and text formatting shared by pages."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: object) -> str:
    """Text for st.markdown shown as typed: never markdown, a link, an image, HTML or LaTeX."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def fmt_money(value: float | None, currency: str) -> str:
    """An amount in the lender's currency, scaled for a metric tile (CHF 1.25m, -PLN 950)."""
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for size, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if v >= size:
            return f"{sign}{currency} {v / size:,.2f}{unit}"
    return f"{sign}{currency} {v:,.0f}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}%}"


def fmt_int(value: int | float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_delta_pct_points(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.1f} pts"


def fmt_delta_ratio(now: float | None, before: float | None) -> str | None:
    if now is None or not before:
        return None
    return f"{now / before - 1:+.1%}"
