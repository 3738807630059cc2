"""Model cards: each registered model's card with its live facts; Markdown export."""

from dashboard.ui.model_cards_page import render

render()
