"""A free upper bound on a DataFrame's rows, read from the plan when Spark already knows it (no job).

Why: the unique-key path (:mod:`.unique_keys`) collects one 64-bit hash per row to the driver only when
the rows are known to fit its budget. Without a bound it must wait for the run's scan job (whose
``count(1)`` is free) or run a count job. A materialized cache already knows its rows: Spark records
them while it builds the cached column buffers and reports them as the ``InMemoryRelation``'s
statistics. With the bound known up front, the scan job no longer has to run first, and the engine can
run it beside the uniqueness work (see :func:`spark_mlops.quality.engine.compute_metrics`).

The bound only sizes the driver's memory; every count stays exact whatever it says.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame

from spark_mlops.spark import is_connect

__all__ = ["cached_row_bound"]

log = logging.getLogger(__name__)

#: Plan nodes that never add rows: the rows of the cache below them bound theirs.
_NO_MORE_ROWS = frozenset({"Project", "Filter", "LocalLimit", "GlobalLimit"})
#: Nodes walked down at most (a deeper plan is not a cached frame with a few filters on top).
_MAX_DEPTH = 16


def cached_row_bound(df: DataFrame) -> int | None:
    """The rows of the materialized cache ``df`` reads (through projections, filters and limits only),
    or None when the plan reads anything else, the cache is not built yet, or this is Spark Connect.

    A few Py4J calls, no Spark job.
    """
    if is_connect(df.sparkSession):
        return None
    try:
        plan = df._jdf.queryExecution().optimizedPlan()
        for _ in range(_MAX_DEPTH):
            name = plan.getClass().getSimpleName()
            if name == "InMemoryRelation":
                # Before the buffers are built the statistics are the child plan's estimate.
                if not plan.cacheBuilder().isCachedColumnBuffersLoaded():
                    return None
                rows = plan.computeStats().rowCount()
                return int(rows.get()) if rows.isDefined() else None
            if name not in _NO_MORE_ROWS or plan.children().size() != 1:
                return None
            plan = plan.children().apply(0)
    except Exception as exc:  # noqa: BLE001 - an unreadable plan means "no bound": the caller counts
        log.debug("no row bound from the plan: %s", exc)
    return None
