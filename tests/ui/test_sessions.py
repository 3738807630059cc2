"""Sessions of different roles in one server process share its caches, never what a role may see.

Each AppTest is a new session of the same process: the Streamlit caches (data and resources),
the store handle and the frozen heap are shared, as in a served app with many users. An
administrator fills the caches first; a credit officer and an executive then open the same
pages and addresses, and must see only what their role allows. Then the administrator again,
after them, must see the full page (nothing of the lesser role's view is served back).
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.support.apptest import errors, open_page, open_url

REFUSED = "Not available to your role"


def _declined(store: Store) -> str:
    source = store.predictions_source(store.prediction_files("gbm_champion"))
    frame = store.sql(f"SELECT application_id FROM {source} WHERE decision = 'decline' ORDER BY score DESC LIMIT 1")
    return str(frame["application_id"].iloc[0])


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "error", "warning", "success")
             for e in getattr(at, kind)]
    parts += [m.label + " " + str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def _buttons(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def test_an_admins_cached_pages_show_nothing_more_to_other_roles(small_store: Store, small_store_dir: Path) -> None:
    app_id = _declined(small_store)
    admin = open_page(small_store_dir, "admin", "thresholds")
    assert errors(admin) == [] and "Apply policy" in _buttons(admin)
    admin_app = open_page(small_store_dir, "admin", "decisions", query={"application": app_id})
    assert errors(admin_app) == [] and f"Application {app_id}" in _texts(admin_app)
    admin_audit = open_page(small_store_dir, "admin", "audit")
    assert errors(admin_audit) == [] and REFUSED not in _texts(admin_audit)

    # An executive, same process, same caches: the lever but not the form, and no application.
    executive = open_page(small_store_dir, "executive", "thresholds")
    assert errors(executive) == []
    assert "Apply policy" not in _buttons(executive)
    assert "only a data scientist or an administrator" in _texts(executive)
    deep = open_page(small_store_dir, "executive", query={"application": app_id})
    deep = open_url(deep, "decisions")
    assert errors(deep) == [] and REFUSED in _texts(deep)
    assert app_id not in _texts(deep) and not deep.dataframe and not deep.metric

    # A credit officer: the application (the role's own page), refused Audit, Thresholds, Performance.
    officer = open_page(small_store_dir, "credit_officer", "decisions", query={"application": app_id})
    assert errors(officer) == [] and f"Application {app_id}" in _texts(officer)
    for slug in ("audit", "thresholds", "performance"):
        refused = open_url(officer, slug)
        assert errors(refused) == [] and REFUSED in _texts(refused), slug
        assert "Apply policy" not in _buttons(refused) and not refused.dataframe, slug

    # And the administrator after them still gets the full page.
    again = open_page(small_store_dir, "admin", "thresholds")
    assert errors(again) == [] and "Apply policy" in _buttons(again)
    audit = open_url(again, "audit")
    assert errors(audit) == [] and REFUSED not in _texts(audit)
