"""Rollups: additive per-day (and per-month) histograms computed from the logs.

- schemas.py: the one source of every rollup table's columns and the month grain;
- builders.py: one SQL builder per rollup kind over the joined predictions and outcomes;
- counting.py: the histograms counted in numpy (features, latency) from Arrow columns;
- months.py: recomputed days merged into the month files;
- compute.py: one model's rollups for a set of days; writer.py: writing, rebuilding and the
  rollup format.
"""
