"""The SparkSession of a rebuild, with the settings the rollups rely on."""

from __future__ import annotations

import logging
import os
import sys

from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# Settings the results depend on, whatever the cluster's defaults:
RESULT_CONF = {
    # timestamps are read and returned as written (wall-clock microseconds, no zone)
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    # partition folders stay text: a model id of digits is not a number, a day is parsed once
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    # CAST and arithmetic as in DuckDB's TRY_CAST: a bad value is NULL, not an error
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


# On one machine (local[N]): list partition folders on the driver instead of in a Spark job,
# pack many small day files into few tasks, and keep the console for the command's own output.
LOCAL_CONF = {
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "1000000",
    "spark.sql.files.openCostInBytes": str(64 * 1024),
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(master: str | None = None, app_name: str = "dashboard rollup rebuild",
                  shuffle_partitions: int | None = None, ui: bool | None = None,
                  conf: dict[str, str] | None = None) -> SparkSession:
    """The active session, or a new one on `master` (None: spark-submit's, else local[*]).

    `shuffle_partitions` and `ui` are set only when given, so a cluster's own settings stay;
    `conf`: more settings (`--conf key=value`), applied last.
    """
    builder = SparkSession.builder.appName(app_name)
    local = bool(master) and str(master).startswith("local")
    for key, value in (LOCAL_CONF if local else {}).items():
        builder = builder.config(key, value)
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        # local workers run this interpreter (it has the package); PySpark reads the variable,
        # not spark.pyspark.python, when it starts them
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if ui is not None:
        builder = builder.config("spark.ui.enabled", "true" if ui else "false")
    for key, value in {**RESULT_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    for key, value in RESULT_CONF.items():  # an existing session (spark-submit, a notebook) too
        spark.conf.set(key, value)
    log.info("Spark %s on %s", spark.version, spark.sparkContext.master)
    return spark
