"""Builders and helpers shared by test modules: test modules import from here, never from each other."""
