"""Cached loaders and render helpers of the Impact page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.analytics.impact import ImpactError
from dashboard.analytics.periods import (
    Period,
    custom_period,
    month_period,
    months_between,
    parse_period,
    quarter_period,
)
from dashboard.analytics.scorecard import (
    HEADLINE,
    POINTS,
    Figure,
    Scorecard,
    format_change,
    format_input,
    format_target,
    format_value,
    scorecard_frame,
)
from dashboard.reports.impact_charts import describe_impact_trend, svg_impact_trend
from dashboard.reports.impact_report import render_impact_html
from dashboard.services.impact import (
    ImpactResult,
    business_config_path,
    impact_targets_path,
    load_champion_span,
    load_impact,
)
from dashboard.ui.data import QUERY_TTL, store_at
from dashboard.ui.format import escape_markdown

STATUS_BADGE = {"on track": "green", "at risk": "orange", "off track": "red", "n/a": "violet",
                "no target": "gray", "no data": "gray"}
KINDS = ("Month", "Quarter", "Custom")


def config_signature() -> str:
    """Part of the cache key: editing the targets or business file shows at once."""
    parts = []
    for path in (impact_targets_path(), business_config_path()):
        try:
            parts.append(f"{path}:{path.stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:missing")
    return "|".join(parts)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_span_cached(store_path: str, version: str) -> tuple[dt.date, dt.date] | None:
    return load_champion_span(store_at(store_path))


@st.cache_data(ttl=QUERY_TTL, show_spinner="Computing the scorecard...")
def load_impact_cached(store_path: str, version: str, period_label: str, config_sig: str) -> ImpactResult:
    return load_impact(store_at(store_path), parse_period(period_label))


def render_period_picker(span: tuple[dt.date, dt.date]) -> Period | None:
    """Month, quarter or custom dates; ?period= (e.g. 2026-04, 2026-Q2) preselects a period."""
    asked = st.query_params.get("period")
    preset: Period | None = None
    if asked:
        try:
            preset = parse_period(asked)
        except ImpactError as exc:
            st.warning(f"The link's period is not used: {exc}")
    months = list(reversed(months_between(*span)))
    quarters = list(dict.fromkeys(quarter_period(m.start.year, (m.start.month - 1) // 3 + 1) for m in months))
    default_kind = {"month": "Month", "quarter": "Quarter", "custom": "Custom"}[preset.kind] if preset else "Month"
    kind = st.segmented_control("Period", KINDS, default=default_kind, key="impact_kind") or default_kind
    if kind == "Month":
        labels = [m.label for m in months]
        index = labels.index(preset.label) if preset and preset.label in labels else 0
        label = st.selectbox("Month", labels, index=index, key="impact_month")
        return month_period(int(label[:4]), int(label[5:7])) if label else None
    if kind == "Quarter":
        labels = [q.label for q in quarters]
        index = labels.index(preset.label) if preset and preset.label in labels else 0
        label = st.selectbox("Quarter", labels, index=index, key="impact_quarter")
        return parse_period(label) if label else None
    default = (preset.start, preset.end) if preset and preset.kind == "custom" else \
        (max(span[0], span[1] - dt.timedelta(days=29)), span[1])
    chosen = st.date_input("From / to (inclusive)", value=default, key="impact_custom", format="YYYY-MM-DD")
    if not isinstance(chosen, (tuple, list)) or len(chosen) != 2:
        st.info("Pick both the first and the last day of the period.")
        return None
    try:
        return custom_period(chosen[0], chosen[1])
    except ImpactError as exc:
        st.warning(str(exc))
        return None


def render_status_strip(card: Scorecard) -> None:
    cols = st.columns(len(POINTS))
    for col, (point, (title, _)) in zip(cols, POINTS.items(), strict=True):
        status = card.point_status(point)
        headline = card.figures[HEADLINE[point]]
        col.markdown(f"**{title}**  \n:{STATUS_BADGE[status]}-badge[{status}]  \n"
                     f"{format_value(headline.value, headline.spec.unit, card.currency)}")


def render_point(card: Scorecard, trend: pd.DataFrame, point: str, result: ImpactResult) -> None:
    title, definition = POINTS[point]
    status = card.point_status(point)
    with st.container(border=True):
        st.markdown(f"### {title} :{STATUS_BADGE[status]}-badge[{status}]")
        st.caption(definition)
        left, right = st.columns([3, 2])
        figures = card.point_figures(point)
        cols = left.columns(min(len(figures), 2))
        for i, f in enumerate(figures):
            unit = f.spec.unit
            target = format_target(f, card.currency)
            why = f" ({f.unreadable})" if f.unreadable else ""
            cols[i % len(cols)].metric(
                f.spec.label, format_value(f.value, unit, card.currency), format_change(f, card.currency),
                delta_color="off" if not f.change else "normal" if f.spec.higher_is_better else "inverse",
                delta_arrow="off" if not f.change else "auto",
                help=f"{f.spec.definition}\n\nTarget: {target}. Status: {f.status}{why}. "
                     f"Change against {card.previous_period.label}.")
            cols[i % len(cols)].caption(f":{STATUS_BADGE[f.status]}-badge[{f.status}] target {target}"
                                        + (f"  \n{escape_markdown(f.unreadable)}" if f.unreadable else ""))
        headline = card.figures[HEADLINE[point]]
        monthly = result.targets.by_figure.get(headline.key)
        right.image(svg_impact_trend(trend, headline.spec, monthly, (card.period.start, card.period.end),
                                     currency=card.currency),
                    width="stretch", alt=describe_impact_trend(trend, headline.spec, monthly, card.currency))
        with st.expander("How it was computed"):
            # one markdown block per point: the browser draws 7 of them faster than 16 tables and
            # their 50 captions (about 0.1-0.2 s of the page's cold view on 10M, A/B in Chromium)
            st.markdown(format_how_computed(figures, card.currency))


def format_how_computed(figures: list[Figure], currency: str) -> str:
    """Each figure's value, formula, basis and inputs, as markdown with a table of inputs."""
    def esc(value: object) -> str:  # one table cell: a line break in a group name would end the row
        return escape_markdown(" ".join(str(value).split()))

    parts = []
    for f in figures:
        text = (f"**{esc(f.spec.label)}** = {esc(format_value(f.value, f.spec.unit, currency))}  \n"
                f"Formula: {esc(f.formula)}.")
        if f.unreadable:
            text += f"  \nStatus n/a: {esc(f.unreadable)}."
        if f.basis:
            text += f"  \nRealized / expected: {esc(f.basis)}."
        rows = "\n".join(f"| {esc(k)} | {esc(format_input(v))} |" for k, v in f.inputs.items())
        parts.append(f"{text}\n\n| input | value |\n|:--|--:|\n{rows}" if rows else text)
    return "\n\n".join(parts)


def render_downloads(card: Scorecard, result: ImpactResult) -> None:
    html = render_impact_html(card, result.trend, result.assumptions)
    left, right = st.columns(2)
    left.download_button("Printable report (HTML, one page)", html, file_name=f"impact-{card.period.label}.html",
                         mime="text/html", key="impact_dl_html", icon=":material/print:")
    right.download_button("Figures (CSV)", scorecard_frame(card).to_csv(index=False),
                          file_name=f"impact-{card.period.label}.csv", mime="text/csv", key="impact_dl_csv",
                          icon=":material/download:")
