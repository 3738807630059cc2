"""HTML, script and markdown in model card text, reasons, override notes and the address are
shown as text: no element is rendered with unsafe HTML, no st.html carries them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from streamlit.testing.v1 import AppTest

from dashboard.services.overrides import record_override
from dashboard.store import Store
from dashboard.store.decisions import QueueFilter, decision_queue
from dashboard.ui.preload import build_preload_html, find_chart_chunk
from tests.support.apptest import errors, open_page

SCRIPT = "<script>alert('xss')</script>"
PAYLOAD = f"{SCRIPT}<img src=x onerror=alert(1)>[click](javascript:alert(1)) $\\\\frac{{1}}{{0}}$ {{0.__class__}}"


def _unsafe(at: AppTest) -> list[str]:
    """Text elements that could run HTML: markdown allowed to render raw HTML, or st.html.

    The one st.html allowed is the app's own chart preload (ui/preload.py), and only byte for
    byte: it is built from the installed Streamlit's file names and carries no data."""
    chunk = find_chart_chunk()
    preload = build_preload_html(chunk) if chunk else None
    found = [m.value for m in (*at.markdown, *at.caption) if m.proto.allow_html]
    found += [str(h.proto) for h in at.get("html") if h.proto.body != preload]
    return found


def _hostile_card(store: Store, model_id: str, new_id: str | None = None) -> None:
    card = store.load_card(model_id)
    features = tuple(dataclasses.replace(f, description=f"{f.description} {PAYLOAD}",
                                         reason_template=f"{PAYLOAD} {{value}}") for f in card.features)
    store.register_model(dataclasses.replace(
        card, id=new_id or card.id, name=f"Evil {PAYLOAD}", owner=PAYLOAD, intended_use=PAYLOAD,
        limitations=PAYLOAD, target=PAYLOAD, features=features), actor=PAYLOAD)


def test_model_card_text_is_shown_as_text(store_copy: Store) -> None:
    _hostile_card(store_copy, "gbm_champion", "xss_model")
    at = open_page(store_copy.root, "data_scientist", "models", query={"model": "xss_model"})
    assert errors(at) == []
    assert _unsafe(at) == []
    shown = " ".join(e.value for e in (*at.markdown, *at.caption) if isinstance(e.value, str))
    assert "Evil" in shown or any("Evil" in str(t.value) for t in (*at.title, *at.subheader, *at.header))


def test_reasons_and_override_notes_are_shown_as_text(store_copy: Store) -> None:
    _hostile_card(store_copy, "gbm_champion")
    flt = QueueFilter(model_id="gbm_champion", start=dt.date(2025, 5, 1), end=dt.date(2026, 12, 31),
                      decisions=("decline",))
    declined = str(decision_queue(store_copy, flt, page_size=1)[0]["application_id"].iloc[0])
    record_override(store_copy, declined, "gbm_champion", "decline", "approve", PAYLOAD, actor=PAYLOAD)
    at = open_page(store_copy.root, "credit_officer", "decisions", query={"application": declined})
    assert errors(at) == []
    assert _unsafe(at) == []
    history = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert history and history[0]["reason"].iloc[0] == PAYLOAD  # kept exactly, shown as data
    reasons = [m.value for m in at.markdown if "alert" in m.value]
    assert reasons and all(SCRIPT not in r for r in reasons)  # escaped: the tag is not live markdown


def test_hostile_role_in_the_address_is_escaped(small_store_dir: object) -> None:
    at = open_page(str(small_store_dir), f"admin{PAYLOAD}")
    assert errors(at) == []
    warning = next(w.value for w in at.warning if "Unknown role" in w.value)
    assert re.search(r"(?<!\\)[<\[]", warning) is None  # every < and [ is escaped: no tag, no link
    assert "\\<script" in warning
    assert _unsafe(at) == []
