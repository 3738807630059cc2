"""Roles from claims, the permission table and masking of personal columns (pure)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.analytics.access import (
    MASK,
    PERMISSIONS,
    RoleMapping,
    RoleMappingError,
    has_permission,
    identity_name,
    mask_personal,
    mask_record,
    neutralize_formulas,
    parse_role_mapping,
    require_permission,
    role_for_claims,
    roles_for_claims,
)
from dashboard.contracts import ROLES
from dashboard.sample.generator import build_card

ROLES_TOML = Path(__file__).resolve().parents[2] / "src" / "dashboard" / "config" / "roles.toml"

MAPPING = parse_role_mapping("""
[emails]
"Boss@Bank.example" = "executive"
[domains]
"bank.example" = "credit_officer"
[groups]
"data-scientists" = "data_scientist"
"dashboard-admins" = "admin"
""")


def test_shipped_roles_file_parses_and_maps_each_documented_group() -> None:
    mapping = parse_role_mapping(ROLES_TOML.read_text("utf-8"), str(ROLES_TOML))
    assert set(mapping.groups.values()) == set(ROLES)
    assert role_for_claims({"groups": ["credit-officers"]}, mapping) == "credit_officer"
    assert role_for_claims({"email": "nobody@elsewhere.example"}, mapping) is None


@pytest.mark.parametrize("claims,role", [
    ({"email": "boss@bank.example", "groups": ["dashboard-admins"]}, "executive"),  # exact email decides alone
    ({"email": "BOSS@bank.EXAMPLE"}, "executive"),  # case-insensitive
    ({"email": "ann@bank.example"}, "credit_officer"),
    ({"email": "ann@bank.example", "groups": ["data-scientists"]}, "data_scientist"),  # precedence
    ({"email": "x@y.example", "groups": ["data-scientists", "dashboard-admins"]}, "admin"),
    ({"groups": "data-scientists other"}, "data_scientist"),  # a space separated string
    ({"groups": "a,dashboard-admins"}, "admin"),
    ({"email": "ann@sub.bank.example"}, None),  # domains match exactly, not as suffix
    ({"email": "ann@evil-bank.example"}, None),
    ({"email": "ann@bank.example.evil.example"}, None),
    ({"email": "ann@bank.example", "email_verified": False}, None),  # unverified emails are never used
    ({"email": "not-an-email"}, None),
    ({"groups": ["Data-Scientists"]}, "data_scientist"),
    ({"groups": 42}, None),
    ({}, None),
])
def test_role_from_claims(claims: dict[str, object], role: str | None) -> None:
    assert role_for_claims(claims, MAPPING) == role


def test_several_roles_are_listed_by_precedence() -> None:
    roles = roles_for_claims({"email": "a@bank.example", "groups": ["data-scientists", "dashboard-admins"]}, MAPPING)
    assert roles == ("admin", "data_scientist", "credit_officer")


def test_require_verified_email_option() -> None:
    strict = RoleMapping(domains={"bank.example": "credit_officer"}, require_verified_email=True)
    assert role_for_claims({"email": "a@bank.example"}, strict) is None
    assert role_for_claims({"email": "a@bank.example", "email_verified": True}, strict) == "credit_officer"


def test_custom_groups_claim() -> None:
    mapping = parse_role_mapping('[options]\ngroups_claim = "roles"\n[groups]\n"Risk" = "data_scientist"\n')
    assert role_for_claims({"roles": ["risk"]}, mapping) == "data_scientist"
    assert role_for_claims({"groups": ["risk"]}, mapping) is None


@pytest.mark.parametrize("text,needle", [
    ('[groups]\n"x" = "root"\n', "'root' is not a role"),
    ("[groups\n", "not valid TOML"),
    ('groups = "admin"\n', "[groups] must be a table"),
    ('[options]\ngroups_claim = 3\n', "groups_claim"),
    ('[options]\nrequire_verified_email = "yes"\n', "require_verified_email"),
])
def test_bad_mapping_is_named(text: str, needle: str) -> None:
    with pytest.raises(RoleMappingError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        parse_role_mapping(text, "my-roles.toml")


def test_identity_name_prefers_email_then_subject() -> None:
    assert identity_name({"email": "a@b.example", "sub": "123"}) == "a@b.example"
    assert identity_name({"sub": "123"}) == "123"
    assert identity_name({}) == "unknown"


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_permission_table_is_enforced(action: str) -> None:
    for role in (*ROLES, None, "", "Admin", "admin "):
        allowed = role in PERMISSIONS[action]
        assert has_permission(role, action) is allowed
        if allowed:
            require_permission(role, action)
        else:
            with pytest.raises(PermissionError, match="may not"):
                require_permission(role, action)


def test_writes_are_limited_to_their_roles() -> None:
    assert PERMISSIONS["override"] == ("credit_officer", "admin")
    assert PERMISSIONS["apply_policy"] == PERMISSIONS["promote"] == PERMISSIONS["edit_assumptions"] == (
        "data_scientist", "admin")
    with pytest.raises(PermissionError, match="only credit_officer or admin may"):
        require_permission("executive", "override")


def test_unknown_action_fails_closed() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        require_permission("admin", "drop_tables")


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"application_id": ["A1", "A2"], "applicant_name": ["Ann Lee", None],
                         "national_id": ["SYN-1", "SYN-22"], "score": [0.1, 0.2]})


@pytest.mark.parametrize("role", ROLES)
def test_mask_personal_by_role(role: str) -> None:
    card = build_card("gbm_champion", 0.8, 0.3, "2023-01-01", "2024-12-31")
    assert set(card.personal_columns) == {"applicant_name", "national_id", "address"}
    frame = _frame()
    out = mask_personal(frame, card, role)
    if role in ("credit_officer", "admin"):
        pd.testing.assert_frame_equal(out, frame)
    else:
        assert list(out["applicant_name"]) == [MASK, None]  # a missing value stays missing
        assert list(out["national_id"]) == [MASK, MASK]  # same mask whatever the length
        assert list(out["application_id"]) == ["A1", "A2"] and list(out["score"]) == [0.1, 0.2]
    assert list(frame["national_id"]) == ["SYN-1", "SYN-22"]  # the input is not changed


def test_mask_with_a_column_list_and_unknown_role() -> None:
    out = mask_personal(_frame(), ["national_id", "not_there"], None)
    assert list(out["national_id"]) == [MASK, MASK] and list(out["applicant_name"]) == ["Ann Lee", None]


def test_mask_record() -> None:
    row = {"application_id": "A1", "address": "1 Elm Road", "applicant_name": None}
    assert mask_record(row, ["address", "applicant_name"], "executive") == {
        "application_id": "A1", "address": MASK, "applicant_name": None}
    assert mask_record(row, ["address"], "admin") == row


def test_neutralize_formulas() -> None:
    frame = pd.DataFrame({"t": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "ok", None], "n": range(6)})
    out = neutralize_formulas(frame)
    assert list(out["t"])[:5] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "ok"]
    assert list(out["n"]) == list(range(6))
