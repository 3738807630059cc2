"""Who may do what: roles from identity claims, the permission table, masking of personal data.

Pure: the UI passes the claims of the logged-in identity (st.user) and the parsed
roles.toml; the store's write functions call `require_permission` with the caller's role,
so a refused action is refused on the server whatever the page showed.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboard.contracts import ROLES
from dashboard.errors import DashboardError
from dashboard.models.card import ModelCard

# When one identity maps to several roles, the first of this order wins. Roles are not
# nested (an executive does not see Decisions), so the order is a documented choice, and
# admin, the only role that sees everything, comes first.
ROLE_PRECEDENCE = ("admin", "data_scientist", "credit_officer", "executive")

# action -> the roles allowed to do it. Every write and every sensitive read is listed.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "override": ("credit_officer", "admin"),
    "view_application": ("credit_officer", "admin"),
    "view_personal": ("credit_officer", "admin"),
    "apply_policy": ("data_scientist", "admin"),
    "edit_assumptions": ("data_scientist", "admin"),
    "promote": ("data_scientist", "admin"),
    "retrain": ("data_scientist", "admin"),
    "view_audit": ("admin",),
    "export_audit": ("admin",),
}

ACTION_LABELS = {
    "override": "override a credit decision",
    "view_application": "open an individual application",
    "view_personal": "see personal data of applicants",
    "apply_policy": "apply a decision policy",
    "edit_assumptions": "change the business assumptions",
    "promote": "promote a model to champion",
    "retrain": "retrain a challenger from the store",
    "view_audit": "read the audit trail",
    "export_audit": "export the audit trail",
}

MASK = "•••• (masked)"


class RoleMappingError(DashboardError, ValueError):
    """roles.toml is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class RoleMapping:
    """Claims -> role. Keys are lower-cased; values are roles from contracts.ROLES."""

    emails: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    groups_claim: str = "groups"
    require_verified_email: bool = False


def _role_table(raw: object, section: str, source: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RoleMappingError(f"{source}: [{section}] must be a table of \"key\" = \"role\"")
    out: dict[str, str] = {}
    for key, role in raw.items():
        if role not in ROLES:
            raise RoleMappingError(f"{source}: [{section}] {key!r} = {role!r} is not a role; "
                                   f"use one of {', '.join(ROLES)}")
        out[str(key).strip().lower()] = str(role)
    return out


def parse_role_mapping(text: str, source: str = "roles.toml") -> RoleMapping:
    """Parse the TOML text of a role mapping; a bad role or section raises RoleMappingError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoleMappingError(f"{source} is not valid TOML: {exc}") from None
    options = data.get("options", {})
    if not isinstance(options, Mapping):
        raise RoleMappingError(f"{source}: [options] must be a table")
    groups_claim = options.get("groups_claim", "groups")
    if not isinstance(groups_claim, str) or not groups_claim:
        raise RoleMappingError(f"{source}: [options] groups_claim must be a claim name")
    verified = options.get("require_verified_email", False)
    if not isinstance(verified, bool):
        raise RoleMappingError(f"{source}: [options] require_verified_email must be true or false")
    return RoleMapping(emails=_role_table(data.get("emails"), "emails", source),
                       domains=_role_table(data.get("domains"), "domains", source),
                       groups=_role_table(data.get("groups"), "groups", source),
                       groups_claim=groups_claim, require_verified_email=verified)


def _claim_groups(value: object) -> list[str]:
    if isinstance(value, str):
        # Some providers send one group, some a space- or comma-separated string.
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, (list, tuple)):
        return [str(g) for g in value]
    return []


def roles_for_claims(claims: Mapping[str, Any], mapping: RoleMapping) -> tuple[str, ...]:
    """Every role the identity maps to, by precedence (empty: no role, refuse).

    An exact email entry decides alone (it is the most specific rule). Otherwise groups
    and the email's domain add roles. A domain matches exactly: "bank.example" does not
    match "evil-bank.example" nor "sub.bank.example". An email the provider marks as not
    verified (email_verified = false) is never used, since anyone can type one.
    """
    email = claims.get("email")
    email_ok = isinstance(email, str) and "@" in email and claims.get("email_verified") is not False
    if mapping.require_verified_email and claims.get("email_verified") is not True:
        email_ok = False
    if email_ok:
        assert isinstance(email, str)
        exact = mapping.emails.get(email.strip().lower())
        if exact:
            return (exact,)
    found: set[str] = set()
    for group in _claim_groups(claims.get(mapping.groups_claim)):
        role = mapping.groups.get(group.strip().lower())
        if role:
            found.add(role)
    if email_ok:
        assert isinstance(email, str)
        domain = email.strip().lower().rsplit("@", 1)[1]
        if domain in mapping.domains:
            found.add(mapping.domains[domain])
    return tuple(r for r in ROLE_PRECEDENCE if r in found)


def role_for_claims(claims: Mapping[str, Any], mapping: RoleMapping) -> str | None:
    """The one role the app gives this identity, or None (refused)."""
    roles = roles_for_claims(claims, mapping)
    return roles[0] if roles else None


def identity_name(claims: Mapping[str, Any]) -> str:
    """The name written into events: the email, else the provider's subject id."""
    for key in ("email", "preferred_username", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "unknown"


def has_permission(role: str | None, action: str) -> bool:
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(sorted(PERMISSIONS))}")
    return role in PERMISSIONS[action]


def require_permission(role: str | None, action: str) -> None:
    """Raise PermissionError (with who may) unless `role` may do `action`."""
    if not has_permission(role, action):
        allowed = " or ".join(PERMISSIONS[action])
        raise PermissionError(f"the role {role!r} may not {ACTION_LABELS[action]}; only {allowed} may")


def personal_columns(card: ModelCard | Iterable[str] | None) -> tuple[str, ...]:
    if card is None:
        return ()
    if isinstance(card, ModelCard):
        return card.personal_columns
    return tuple(card)


def mask_personal(frame: pd.DataFrame, card: ModelCard | Iterable[str] | None, role: str | None) -> pd.DataFrame:
    """A copy with the card's personal columns masked, unless the role may see them.

    Missing values stay missing (that a value is absent is not personal); every present
    value becomes the same mask, so nothing of its length or shape leaks.
    """
    out = frame.copy()
    if has_permission(role, "view_personal"):
        return out
    for name in personal_columns(card):
        if name in out.columns:
            col = out[name]
            out[name] = pd.Series([MASK if pd.notna(v) else None for v in col], index=out.index, dtype=object)
    return out


def mask_record(record: Mapping[str, Any], card: ModelCard | Iterable[str] | None, role: str | None) -> dict[str, Any]:
    """The same masking for one application shown as a mapping (a row, a dict)."""
    out = dict(record)
    if has_permission(role, "view_personal"):
        return out
    for name in personal_columns(card):
        if name in out and out[name] is not None and not (isinstance(out[name], float) and pd.isna(out[name])):
            out[name] = MASK
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to open in a spreadsheet: text starting like a formula gets a leading '.

    Override notes and rationales are free text; "=HYPERLINK(...)" in an exported CSV
    would otherwise run when someone opens it in Excel (CSV injection, OWASP).
    """
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def is_loopback(host: str | None) -> bool:
    """True for addresses only this machine can reach (local mode may serve only there)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
