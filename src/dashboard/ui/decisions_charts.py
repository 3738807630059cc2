"""Figures of the Decisions page: pure functions returning plotly figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.explain.links import LINK_LABELS, to_score

RISK_UP = "#c0392b"
RISK_DOWN = "#2e7d32"
TOP_FEATURES = 10


def _top(contributions: pd.Series, top: int) -> pd.Series:
    order = contributions.abs().sort_values(ascending=False, kind="stable").index
    ranked = contributions.reindex(order)
    if len(ranked) <= top:
        return ranked
    rest = ranked.iloc[top - 1:]
    head = ranked.iloc[:top - 1]
    return pd.concat([head, pd.Series({f"{len(rest)} other features": float(rest.sum())})])


def plotly_waterfall(contributions: pd.Series, base_value: float, link: str,
                     labels: dict[str, str] | None = None, top: int = TOP_FEATURES,
                     title: str = "Why this score: contributions of each feature") -> go.Figure:
    """From the base value (average applicant) through each feature to this application's
    model output, on the explanation's scale; red raises the risk, green lowers it."""
    shown = _top(contributions.astype(float), top)
    names = [(labels or {}).get(str(k), str(k)) for k in shown.index]
    total = float(base_value + contributions.sum())
    score = float(to_score(total, link))
    y = ["average applicant (base value)", *names, "this application"]
    x = [float(base_value), *shown.to_numpy(dtype=float), total]
    measure = ["absolute", *["relative"] * len(shown), "total"]
    text = [f"{base_value:+.3f}", *[f"{v:+.3f}" for v in shown], f"{total:+.3f} (score {score:.3f})"]
    fig = go.Figure(go.Waterfall(
        orientation="h", y=y, x=x, measure=measure, text=text, textposition="outside",
        increasing={"marker": {"color": RISK_UP}}, decreasing={"marker": {"color": RISK_DOWN}},
        totals={"marker": {"color": "#1f4e79"}}, connector={"line": {"color": "#bbbbbb"}},
        hovertemplate="%{y}: %{x:+.4f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=LINK_LABELS.get(link, link), zeroline=True)
    fig.update_layout(title=title, height=max(320, 34 * len(y) + 90), showlegend=False,
                      margin={"l": 10, "r": 60, "t": 50, "b": 10})
    return fig


def plotly_attribution_change(before: pd.Series, after: pd.Series, link: str, top: int = TOP_FEATURES,
                              title: str = "Change in contributions after the edit") -> go.Figure:
    """After minus before, per feature, for the features whose contribution moved most."""
    change = (after.astype(float) - before.reindex(after.index).astype(float)).fillna(0.0)
    change = change[np.abs(change) > 1e-9]
    order = change.abs().sort_values(ascending=False, kind="stable").index[:top]
    change = change.reindex(order)
    fig = go.Figure(go.Bar(
        x=change.to_numpy(dtype=float), y=[str(i) for i in change.index], orientation="h",
        marker_color=[RISK_UP if v > 0 else RISK_DOWN for v in change],
        hovertemplate="%{y}: %{x:+.4f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=f"change in {LINK_LABELS.get(link, link)}")
    fig.update_layout(title=title, height=max(240, 30 * len(change) + 100), showlegend=False,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig
