"""The rollups computed by Apache Spark (`dashboard rollup rebuild --engine spark`).

The only package that imports pyspark (scripts/check_layers.py); nothing on the app's import
path imports it, and `pip install -e ".[spark]"` brings it in. It reads the store's Parquet
layout, computes every rollup kind as DuckDB does (`kinds.py`: one function per kind, a
registry keyed by kind) and hands the tables to the store's writer, which publishes them by
rename as for any rebuild. Counts and integer sums only, so the files are equal row for row to
DuckDB's (tests/spark/test_equality.py).

- session.py: the SparkSession (local, or a cluster's master), with the settings the results rely on;
- kinds.py: one builder per rollup kind, `MODEL_KINDS` and `outcomes_rollup`;
- engine.py: `SparkRollups`, the store's `RollupSource` over Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashboard.spark.engine import SparkRollups


def __getattr__(name: str) -> Any:
    if name == "SparkRollups":  # lazily: importing the package starts no JVM and loads no pyspark
        from dashboard.spark.engine import SparkRollups
        return SparkRollups
    raise AttributeError(name)


__all__ = ["SparkRollups"]
