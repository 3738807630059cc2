"""Validation of prediction logs, outcomes and model cards; quarantine of bad rows."""
