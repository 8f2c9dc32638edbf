"""The free row bound of a materialized cache, and the helper that runs the scan beside the groupings."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from spark_mlops.quality.engine.overlap import Beside
from spark_mlops.quality.engine.row_bound import cached_row_bound


def test_a_materialized_cache_bounds_its_rows(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    rows = 1_234
    # JVM-generated rows (no Python worker to start for a cache this small)
    plain = spark.range(rows).selectExpr(
        "id", "CASE WHEN id % 7 = 0 THEN NULL ELSE concat('v', id % 50) END AS s"
    )
    cached = plain.cache()
    try:
        assert cached_row_bound(plain.where("id > 3")) is None  # not built yet: no bound, no job
        assert cached.count() == rows
        with count_jobs() as jobs:
            # Projections, filters and limits never add rows: the cache's count bounds them (an upper
            # bound, not their own count: 1,230 rows pass the filter).
            assert cached_row_bound(cached) == rows
            assert cached_row_bound(cached.where(F.col("id") > 3).select("s")) == rows
            assert cached_row_bound(cached.limit(10)) == rows
            # A join or a union may add rows, an explode too: no bound.
            assert cached_row_bound(cached.unionByName(cached)) is None
            assert cached_row_bound(cached.join(cached, "id")) is None
            assert cached_row_bound(cached.select(F.explode(F.array("id", "id")))) is None
        assert jobs.count == 0
    finally:
        cached.unpersist()
    assert cached_row_bound(plain) is None  # no cache at all


def test_beside_returns_the_result_and_raises_the_thread_error() -> None:
    job = Beside(lambda: 1)
    job.start(0.01)
    job.start()  # started once
    assert job.result() == 1
    with pytest.raises(ZeroDivisionError):
        Beside(lambda: 1 // 0).result()  # started by result() when nobody started it
