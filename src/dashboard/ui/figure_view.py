"""Show a chart: drawn on the server as SVG by default, or with Plotly when the user asks for it.

A chart as SVG costs the browser next to nothing, where each Plotly chart costs about 0.1 s to
draw and a page's first one about as much again to load Plotly (see `svg_figure`). The sidebar's
"Interactive charts" switch, kept for the session, brings back Plotly's zoom and hover.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    import plotly.graph_objects as go

INTERACTIVE_KEY = "interactive_charts"
log = logging.getLogger(__name__)


def render_interactive_switch() -> None:
    """The sidebar switch between static (fast) and Plotly (zoom, hover, export) charts."""
    st.toggle("Interactive charts", key=INTERACTIVE_KEY,
              help="Draw the charts with Plotly (zoom, pan, download as PNG). Off: charts are static "
                   "pictures drawn on the server, which load much faster.")


def alt_text(fig: go.Figure) -> str:
    """The chart's title and its series, for screen readers and as the image's description."""
    title = fig.layout.title.text or "chart"
    names = [str(t.name) for t in fig.data if t.name]
    return f"{title}" + (f" ({', '.join(names)})" if names else "")


def render_figure(fig: go.Figure, where: Any = None, width: int | None = None) -> None:
    """Draw `fig` in `where` (a column or container; the page by default). `width`: the drawing's
    width in pixels, so that its text keeps a readable size once scaled to the space it gets
    (default: 900 on the page's full width, 560 in a column)."""
    # imported here, not at the top: the shell imports this module on every page
    from dashboard.ui.svg_figure import svg_from_figure

    target = st if where is None else where
    if not st.session_state.get(INTERACTIVE_KEY, False):
        try:
            svg = svg_from_figure(fig, width or (900 if where is None else 560))
        except Exception:  # a figure the drawing does not handle: Plotly draws it, the page goes on
            log.warning("could not draw %r as an image; showing it with Plotly", alt_text(fig), exc_info=True)
            svg = None
        if svg is not None:  # an image: st.html's sanitizer drops inline SVG in the browser
            target.image(svg, width="stretch", alt=alt_text(fig))
            return
    target.plotly_chart(fig, width="stretch")
