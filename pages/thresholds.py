"""Thresholds: move the cutoff (and a review band) and see approvals, losses, profit, workload
and fairness move together; backtest it, apply it as a new policy version."""

from dashboard.ui.thresholds_page import render

render()
