"""Cached access to the store for pages: the handle as a resource, small results as data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.services.overview import load_daily, load_latest_outcome
from dashboard.services.registry import current_roles
from dashboard.services.stores import open_store, resolve_store_path

if TYPE_CHECKING:
    from dashboard.store import Store

QUERY_TTL = 300  # seconds; keys include the store version, so new data shows at once


@st.cache_resource(show_spinner=False)
def store_at(path: str) -> Store:
    return open_store(path)


def get_store() -> Store:
    return store_at(str(resolve_store_path()))


def store_version() -> str:
    return get_store().version()


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_daily_cached(store_path: str, version: str) -> pd.DataFrame:
    return load_daily(store_at(store_path))


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_latest_outcome_cached(store_path: str, version: str) -> pd.Timestamp | None:
    return load_latest_outcome(store_at(store_path))


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_roles_cached(store_path: str, version: str) -> dict[str, str]:
    return current_roles(store_at(store_path))
