"""What the pages and the CLI call: store reads combined with analytics, and writes with their checks.

`store/` only reads and writes; a services module per page or area composes those reads with
the pure analytics, and checks roles before any write. The UI and the CLI import services,
never the store (see scripts/check_layers.py).
"""
