"""Model registry: model cards and skops artifacts."""
