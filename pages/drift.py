"""Drift: is the model still looking at the world it was trained on, and does that world still behave the same?"""

from dashboard.ui.drift_page import render

render()
