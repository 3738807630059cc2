"""Challengers: champion against challengers on the same applications; promote with a record."""

from dashboard.ui.challengers_page import render

render()
