"""Entry point: the role, the navigation built with st.navigation, then the page."""

import streamlit as st

from dashboard.ui.shell import render_shell

st.set_page_config(page_title="Credit model operations", page_icon=":material/account_balance:", layout="wide")
render_shell().run()
