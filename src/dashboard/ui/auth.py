"""Login and access: local mode or OpenID Connect (st.login), roles, refusals, audit of views.

"An identity provider is configured" means `.streamlit/secrets.toml` has an [auth] section
(what st.login reads). Then the role comes only from the login's claims through roles.toml.
Without it the app runs in local mode: it must be served on a loopback address, says so in
a banner, and lets the user pick a role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config as st_config
from streamlit.errors import StreamlitAuthError, StreamlitSecretNotFoundError

from dashboard.analytics.access import (
    RoleMapping,
    RoleMappingError,
    has_permission,
    identity_name,
    is_loopback,
    parse_role_mapping,
    role_for_claims,
)
from dashboard.services.audit import record_audit
from dashboard.services.stores import StoreError
from dashboard.settings import config_path
from dashboard.ui.data import get_store
from dashboard.ui.navigation import PageSpec
from dashboard.ui.session import (
    ROLE_LABELS,
    current_mode,
    current_role,
    current_user,
    resolve_role,
    set_identity,
)

LOCAL, OIDC = "local", "oidc"


def code(text: object) -> str:
    """Text from outside as an inline code span: literal, and an email is not turned into a link."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


@dataclass(frozen=True)
class Identity:
    mode: str  # "local" or "oidc"
    user: str
    role: str | None
    claims: dict[str, Any] = field(default_factory=dict)


def roles_file() -> Path:
    return config_path("DASHBOARD_ROLES_FILE")


def load_role_mapping(path: Path | None = None) -> RoleMapping:
    chosen = path or roles_file()
    return parse_role_mapping(chosen.read_text("utf-8"), str(chosen))


def auth_state() -> str:
    """"oidc" when secrets.toml has [auth], "local" when no secrets file or no [auth],
    "broken" when a secrets file exists but cannot be read (never fall back to local then)."""
    try:
        return OIDC if "auth" in st.secrets else LOCAL
    except StreamlitSecretNotFoundError as exc:
        return "broken" if "pars" in str(exc).lower() else LOCAL
    except FileNotFoundError:
        return LOCAL


def local_bind_problem() -> str | None:
    """Why local mode must not serve here, or None. Streamlit binds every interface when
    server.address is unset, so local mode wants it set to a loopback address."""
    # Read through the module: AppTest patches streamlit.config.get_option, not st.get_option.
    if st_config.get_option("global.appTest"):
        return None  # AppTest serves nothing: there is no socket to protect
    address = st_config.get_option("server.address")
    if is_loopback(address):
        return None
    where = f"on {address}" if address else "on every network interface (server.address is not set)"
    return (f"This app is running in local mode (no identity provider is configured) but is served {where}. "
            "Local mode has no login, so it only serves on 127.0.0.1. Start it with `dashboard serve` "
            "(or `streamlit run app/streamlit_app.py --server.address 127.0.0.1`), or configure an identity "
            "provider in `.streamlit/secrets.toml` (see the README) to serve it to others.")


# ---------------------------------------------------------------------- audit from the UI


def audit(action: str, *, model_id: str | None = None, application_id: str | None = None,
          detail: dict[str, Any] | None = None) -> None:
    """Record an audit event as the current user; a failing store never breaks the page."""
    try:
        record_audit(get_store(), current_user(), current_role(), action, model_id=model_id,
                     application_id=application_id, detail=detail)
    except (OSError, ValueError, StoreError) as exc:
        st.caption(f"The audit trail could not be written ({exc}).")


def audit_once(action: str, key: str, **kwargs: Any) -> None:
    """Record once per session and key: reruns of the same view are not new views."""
    seen: set[str] = st.session_state.setdefault("_audited", set())
    token = f"{current_user()}|{action}|{key}"
    if token in seen:
        return
    seen.add(token)
    audit(action, **kwargs)


def audit_application_view(application_id: str, model_id: str | None = None) -> None:
    """Call where an individual application is shown (the Decisions page)."""
    audit_once("view_application", f"{model_id}|{application_id}", model_id=model_id,
               application_id=application_id)


# ---------------------------------------------------------------------- screens


def render_login() -> None:
    st.title("Credit model operations")
    st.write("Sign in with your organisation's account to continue. What you can see depends on your role.")
    if st.button("Log in", type="primary", key="auth_login"):
        try:
            st.login()
        except StreamlitAuthError as exc:
            st.error(f"Login is not configured correctly in `.streamlit/secrets.toml`: {exc}")


def render_logout_button(key: str = "auth_logout") -> None:
    if st.button("Log out", key=key):
        audit("logout")
        st.session_state.pop("_audited", None)
        st.logout()


def render_unmapped(identity: Identity) -> None:
    st.title("No access yet")
    st.write(f"You are signed in as {code(identity.user)}, but no role of this dashboard is given to that "
             "account, so there is nothing to show you. If you need access, ask an administrator to add "
             "you to one of the groups listed in the role mapping (`roles.toml`).")
    render_logout_button("auth_logout_unmapped")


def render_forbidden(spec: PageSpec, role: str | None) -> None:
    """What a forbidden page's URL shows instead of the page."""
    st.title("Not available to your role")
    label = ROLE_LABELS.get(role or "", str(role))
    st.error(f"The {spec.title} page is not open to the {label} role, so it is not shown. "
             "Use the pages in the sidebar.")
    audit_once("page_refused", spec.slug, detail={"page": spec.slug})


def _claims() -> dict[str, Any]:
    data = st.user.to_dict()
    return {k: v for k, v in data.items() if k != "tokens"}


def resolve_identity() -> Identity:
    """Who is here; draws the login, the refusal or the configuration error and stops when
    nobody may go further."""
    state = auth_state()
    if state == "broken":
        st.error("`.streamlit/secrets.toml` exists but cannot be read, so it is unknown whether a login is "
                 "required. Fix the file (see `.streamlit/secrets.toml.example`).")
        st.stop()
    if state == LOCAL:
        problem = local_bind_problem()
        if problem:
            st.error(problem)
            st.stop()
        local_role = resolve_role()
        set_identity(LOCAL, f"local:{local_role}", local_role)
        return Identity(LOCAL, f"local:{local_role}", local_role)
    if st.user.get("is_logged_in") is not True:
        render_login()
        st.stop()
    claims = _claims()
    user = identity_name(claims)
    try:
        role = role_for_claims(claims, load_role_mapping())
    except (OSError, RoleMappingError) as exc:
        st.error(f"The role mapping cannot be read, so nobody is given a role: {exc}")
        render_logout_button()
        st.stop()
    st.session_state.pop("bad_role", None)
    if role is None:
        set_identity(OIDC, user, "")
        identity = Identity(OIDC, user, None, claims)
        audit_once("login_refused", user, detail={"reason": "no role mapped"})
        render_unmapped(identity)
        st.stop()
    set_identity(OIDC, user, role)
    audit_once("login", user)
    return Identity(OIDC, user, role, claims)


def can(action: str) -> bool:
    """For pages: whether to offer an action (the store checks again when it writes)."""
    return has_permission(current_role(), action)


__all__ = ["Identity", "audit", "audit_application_view", "auth_state", "can", "current_mode",
           "load_role_mapping", "render_forbidden", "render_logout_button", "resolve_identity"]
