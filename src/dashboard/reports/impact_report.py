"""The printable one-page Impact report: self-contained HTML (no Streamlit, no scripts).

Used by the page's download button and by `dashboard report impact --format html`.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.scorecard import (
    HEADLINE,
    POINTS,
    Figure,
    Scorecard,
    format_change,
    format_compact,
    format_input,
    format_value,
)
from dashboard.reports.impact_charts import svg_impact_trend

STATUS_COLORS = {"on track": "#1e7b34", "at risk": "#b7791f", "off track": "#b42318", "n/a": "#6d28d9",
                 "no target": "#6b7280", "no data": "#6b7280"}

CSS = """
@page { size: A4 landscape; margin: 7mm; }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 6.6pt; color: #1f2937; margin: 0; }
h1 { font-size: 12pt; margin: 0 0 1px 0; }
.meta { color: #4b5563; margin-bottom: 4px; }
.grid { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 4px; }
.card { border: 1px solid #d1d5db; border-radius: 3px; padding: 3px 4px; break-inside: avoid; min-width: 0; }
.head { display: flex; justify-content: space-between; align-items: center; gap: 4px; }
.title { font-weight: bold; font-size: 8.5pt; }
.badge { color: #fff; border-radius: 3px; padding: 0 4px; font-size: 6.2pt; white-space: nowrap; }
.def { color: #4b5563; margin: 1px 0 2px 0; }
.headline { font-size: 10.5pt; font-weight: bold; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin-top: 1px; }
td, th { text-align: left; padding: 0 2px; vertical-align: top; overflow-wrap: anywhere; }
th { color: #6b7280; font-weight: normal; border-bottom: 1px solid #e5e7eb; }
td.num { text-align: right; }
.how { color: #6b7280; font-size: 5.6pt; line-height: 1.15; padding-bottom: 1px; }
.notes { color: #92400e; margin: 2px 0; }
.foot { color: #6b7280; font-size: 5.8pt; margin-top: 3px; }
"""
COLUMNS = "<colgroup><col style='width:29%'><col style='width:20%'><col style='width:16%'>" \
          "<col style='width:22%'><col style='width:13%'></colgroup>"


def _target_text(f: Figure, currency: str) -> str:
    if f.target is None:
        return "not set"
    sign = "&ge;" if f.spec.higher_is_better else "&le;"
    unit = f.spec.unit
    target = html.escape(format_compact(f.target.target, unit, currency))
    return f"{sign} {target} (risk {html.escape(format_compact(f.target.at_risk, unit, currency))})"


def _change_text(f: Figure, currency: str) -> str:
    if f.change is None:
        return ""
    unit = f.spec.unit
    if unit in ("money", "hours", "count") and abs(f.change) >= 10_000:
        return ("+" if f.change >= 0 else "") + format_compact(f.change, unit, currency)
    return format_change(f, currency) or ""


def _inputs_text(inputs: dict[str, object]) -> str:
    return "; ".join(f"{key}: {format_input(value)}" for key, value in inputs.items())


def render_impact_html(card: Scorecard, trend: pd.DataFrame, assumptions: BusinessAssumptions | None = None,
                       generated_at: dt.datetime | None = None) -> str:
    """The whole report as one HTML document that prints on one landscape page."""
    esc = html.escape
    cur = card.currency
    when = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    cards = []
    for point, (title, definition) in POINTS.items():
        status = card.point_status(point)
        headline = card.figures[HEADLINE[point]]
        rows = []
        for f in card.point_figures(point):
            unit = f.spec.unit
            rows.append(
                f"<tr><td>{esc(f.spec.label)}</td><td class='num'>{esc(format_compact(f.value, unit, cur))}</td>"
                f"<td class='num'>{esc(_change_text(f, cur))}</td>"
                f"<td class='num'>{_target_text(f, cur)}</td>"
                f"<td style='color:{STATUS_COLORS[f.status]}'>{esc(f.status)}</td></tr>"
                f"<tr><td colspan='5' class='how'><b>How:</b> {esc(f.formula)}. "
                + (f"<b>Status n/a:</b> {esc(f.unreadable)}. " if f.unreadable else "") +
                f"{esc(_inputs_text(f.inputs))}{'. ' + esc(f.basis) if f.basis else ''}</td></tr>")
        cards.append(f"""
<div class="card">
  <div class="head"><span class="title">{esc(title)}</span>
    <span class="badge" style="background:{STATUS_COLORS[status]}">{esc(status)}</span></div>
  <div class="def">{esc(definition)}</div>
  <div class="head"><span class="headline">{esc(format_value(headline.value, headline.spec.unit, cur))}</span>
    {svg_impact_trend(trend, headline.spec, width=150, height=26, compact=True)}</div>
  <table>{COLUMNS}<tr><th>figure</th><th class='num'>value</th><th class='num'>vs prev.</th>
  <th class='num'>target</th><th>status</th></tr>
  {''.join(rows)}</table>
</div>""")
    notes = "".join(f"<div class='notes'>{esc(n)}</div>" for n in card.notes)
    assumptions_text = ""
    if assumptions is not None:
        assumptions_text = "Assumptions: " + esc(", ".join(f"{k} {v:g}" for k, v in assumptions.numbers().items())
                                                     + f", minimum group size {assumptions.min_group_size}")
    first = trend["label"].iloc[0] if not trend.empty else ""
    last = trend["label"].iloc[-1] if not trend.empty else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Impact scorecard {esc(card.period.label)}</title><style>{CSS}</style></head>
<body>
<h1>AI impact scorecard: {esc(card.period.label)}</h1>
<div class="meta">Decisions by the champion <b>{esc(card.model_id)}</b> from {card.period.start} to {card.period.end},
compared with {esc(card.previous_period.label)}. Lines show the headline figure by month{f' ({esc(first)} to {esc(last)})' if first else ''}.
Generated {when}.</div>
{notes}
<div class="grid">{''.join(cards)}</div>
<div class="foot">Money in {esc(cur)}: realized where the loan's outcome has matured (its amounts where the outcome gives
them, the assumptions where it does not); expected (calibrated score x loss given default x average amount) otherwise.
Amount, hour and count targets are per month, scaled to the period. {assumptions_text}</div>
</body></html>"""

