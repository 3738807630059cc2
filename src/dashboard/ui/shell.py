"""The shared frame of every page: who is here, the navigation, the sidebar, the local-mode banner.

Every built page is registered with st.navigation: the role's pages as themselves, the
others as hidden pages at the same URL that only show a refusal. So /drift opened by a
credit officer says "not available to your role" instead of quietly showing the default
page, and the page's script (and its data) never runs.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.services.registry import champion_id
from dashboard.services.stores import open_store, resolve_store_path, warm_rollup_tables
from dashboard.settings import configure_logging
from dashboard.ui.auth import (
    LOCAL,
    Identity,
    code,
    render_forbidden,
    render_logout_button,
    resolve_identity,
)
from dashboard.ui.figure_view import render_interactive_switch
from dashboard.ui.format import escape_markdown
from dashboard.ui.navigation import PageSpec, forbidden_for, pages_for
from dashboard.ui.session import ROLE_LABELS, render_role_switcher

# Modules the pages import on their first view (shap behind Drift's feature importance is the
# big one), imported once per server process in the background after the first page is drawn.
WARM_MODULES = ("dashboard.ui.drift", "dashboard.ui.drift_charts", "dashboard.ui.impact",
                "dashboard.ui.performance", "dashboard.ui.performance_charts", "dashboard.ui.thresholds",
                "dashboard.analytics.overview", "dashboard.analytics.estimation")
_WARM_LOCK = threading.Lock()
_warm_thread: threading.Thread | None = None
_active_runs = 0  # page script runs going on in this process

LOCAL_BANNER = (":orange-background[:material/lan: **Local mode**] no login: served on this machine only "
                "(127.0.0.1), and the role is picked in the sidebar.")

log = logging.getLogger(__name__)


def _refusal(spec: PageSpec, role: str | None) -> Callable[[], None]:
    def refuse() -> None:
        render_forbidden(spec, role)
    refuse.__name__ = f"refuse_{spec.slug}"
    return refuse


def build_pages(role: str | None) -> dict[str, list[StreamlitPage]]:
    """Sections of visible pages for `role`, plus hidden refusal pages at the forbidden URLs."""
    allowed = pages_for(role or "")
    default = "overview" if any(p.slug == "overview" for p in allowed) else (allowed[0].slug if allowed else "")
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in allowed:
        page = st.Page(str(spec.path), title=spec.title, icon=spec.icon, url_path=spec.slug,
                       default=spec.slug == default)
        sections.setdefault(spec.section, []).append(page)
    hidden = [st.Page(_refusal(spec, role), title=spec.title, icon=spec.icon, url_path=spec.slug,
                      visibility="hidden") for spec in forbidden_for(role)]
    if hidden:
        sections.setdefault(next(iter(sections), "Pages"), []).extend(hidden)
    return sections


def render_sidebar(identity: Identity) -> None:
    with st.sidebar:
        if identity.mode == LOCAL:
            st.caption("Local mode: no login; serving on this machine only. Pick the role to act as.")
            render_role_switcher(identity.role or "")
        else:
            st.caption(f"Signed in as {code(identity.user)} · {ROLE_LABELS.get(identity.role or '', '')}")
            render_logout_button()
        st.caption(f"Store: `{resolve_store_path()}`")
        render_interactive_switch()


def render_shell() -> StreamlitPage:
    """Resolve who is here (may stop at a login or a refusal), then return the navigation."""
    configure_logging()   # once per process: the warm-up and the store log where the server's output goes
    identity = resolve_identity()
    nav = st.navigation(build_pages(identity.role))
    render_sidebar(identity)
    if identity.mode == LOCAL:
        st.markdown(LOCAL_BANNER)
        bad = st.session_state.pop("bad_role", None)
        if bad:
            st.warning(f"Unknown role {escape_markdown(repr(bad))} in the address; showing the app as {ROLE_LABELS[identity.role or '']}.")
    outdated = open_store(resolve_store_path()).rollups_outdated()
    if outdated:
        st.warning(escape_markdown(outdated))
    return nav


@contextlib.contextmanager
def page_running() -> Iterator[None]:
    """Mark a page's script run, so the warm-up steps aside while one is going (2 cores, one GIL)."""
    global _active_runs
    with _WARM_LOCK:
        _active_runs += 1
    try:
        yield
    finally:
        with _WARM_LOCK:
            _active_runs -= 1


def _wait_for_idle(limit_s: float = 30.0) -> None:
    """Before each warm-up step: wait while a page runs (bounded, so warming still ends)."""
    deadline = time.monotonic() + limit_s
    while _active_runs > 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def warm_imports() -> None:
    """Import the pages' modules, build one figure of each kind (plotly loads its validators
    on first use) and load the store's rollup tables, so that no page's first view pays for them.
    Each step waits until no page is running: warming must not slow the page a user is on."""
    for name in WARM_MODULES:
        _wait_for_idle()
        importlib.import_module(name)
    warm_store()
    warm_champion()
    _wait_for_idle()
    from dashboard.ui.charts import Overlays, figure, two_axes

    figure([{"type": "scatter", "x": [0], "y": [0]}, {"type": "bar", "x": [0], "y": [0], "yaxis": "y2"},
            {"type": "heatmap", "z": [[0]]}], {"title": {"text": ""}, **two_axes({}, {})},
           Overlays().hline(0, {}, "x").vline(0, {}, "x").vrect(0, 1, "#fff", 0.1)).to_json()
    freeze_heap()


def freeze_heap() -> None:
    """Move what the process holds now (the libraries' modules, the loaded models and tables) out
    of the garbage collector's sight. Streamlit runs a full collection after every page run
    (runner.postScriptGC), which otherwise walks these millions of long-lived objects each time:
    about 40% of the server's CPU per page view under load (issue 21). Objects created later are
    still collected; a frozen one is still freed when its last reference goes."""
    _wait_for_idle()
    gc.collect()
    gc.freeze()
    log.info("froze %d long-lived objects out of the per-run garbage collection", gc.get_freeze_count())


def warm_champion() -> None:
    """Load the champion's model, the profile of its reference data and its feature importance
    into the caches Drift's default view reads (about 0.6 s of its first view otherwise), then
    compute Challengers' default comparison (about 1.3 s of its first view on the 10M store)."""
    try:
        from dashboard.services.drift import load_reference_profile
        from dashboard.ui.drift import load_importance_cached

        store = open_store(resolve_store_path())
        model_id = champion_id(store)
        if model_id is None:
            return
        _wait_for_idle()
        load_reference_profile(store, model_id)
        _wait_for_idle()
        load_importance_cached(str(store.root), store.version(), model_id)
    except Exception:
        log.warning("the warm-up could not load the champion's model and reference", exc_info=True)
    try:
        from dashboard.ui.challengers import warm_default_comparison

        _wait_for_idle()
        warm_default_comparison(str(resolve_store_path()))
    except Exception:
        log.warning("the warm-up could not compute the default challenger comparison", exc_info=True)


def warm_store() -> None:
    """Load every rollup table of the process's store handle, one table at a time, so a page's
    own query never waits long behind it. A store that cannot be opened is left to the pages."""
    try:
        warm_rollup_tables(open_store(resolve_store_path()), _wait_for_idle)
    except Exception:
        log.warning("the warm-up could not load the rollup tables", exc_info=True)


def start_warming() -> threading.Thread:
    """Start `warm_imports` in a daemon thread, once per process (later calls return the same thread)."""
    global _warm_thread
    with _WARM_LOCK:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=warm_imports, name="dashboard-warm-imports", daemon=True)
            _warm_thread.start()
        return _warm_thread
