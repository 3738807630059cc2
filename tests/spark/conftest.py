"""One local Spark session for the Spark tests (the JVM starts once: about 10 s here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from dashboard.spark.session import spark_session

    session = spark_session("local[2]", app_name="dashboard tests", shuffle_partitions=2, ui=False)
    yield session
    session.stop()
