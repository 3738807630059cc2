"""Explanations of single decisions: SHAP in raw feature terms, reasons and what-if."""
