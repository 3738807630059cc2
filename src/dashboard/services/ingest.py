"""Bringing files in, for the CLI: prediction and outcome logs, model registration, the demo store,
and reading one user file (the card draft).

The checks and the writes are `ingest`'s and `store`'s; this module is the CLI's one door to them.
"""

from __future__ import annotations

from dashboard.ingest.demo import build_demo_store
from dashboard.ingest.registration import RegistrationError, register_model_files
from dashboard.ingest.service import IngestReport, ingest_outcome_files, ingest_prediction_files
from dashboard.store.reader import InputFileError, read_table

__all__ = ["IngestReport", "InputFileError", "RegistrationError", "build_demo_store",
           "ingest_outcome_files", "ingest_prediction_files", "read_table", "register_model_files"]
