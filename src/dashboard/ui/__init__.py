"""Streamlit helpers and plotly figure builders (the only package code importing streamlit)."""
