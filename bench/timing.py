"""Timing of one benchmark case: warm-up, one job-counted run, then timed repeats (min/median)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

__all__ = ["Timing", "count_jobs", "timed"]


@dataclass
class Timing:
    """One engine on one workload at one size: seconds of each repeat, Spark jobs, verdicts by key."""

    engine: str
    workload: str
    rows: int
    seconds: list[float]
    jobs: int | None
    verdicts: dict[str, bool] = field(default_factory=dict)
    note: str = ""
    #: Workload name of this case's floor (same size; Deequ's own floors for Deequ).
    floor: str = "bare scan"
    #: Numbers compared across engines (e.g. completeness per column), key → value.
    values: dict[str, float] = field(default_factory=dict)
    #: The workload's own result object, for tests (not reported).
    output: Any = field(default=None, repr=False, compare=False)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def count_jobs(spark: SparkSession, fn: Callable[[], Any]) -> tuple[int, Any]:
    """Spark jobs of one call of ``fn`` and its result.

    Bench code, not library code: it may set a job group to count jobs with the status tracker.
    """
    sc, group = spark.sparkContext, f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench", interruptOnCancel=False)
    try:
        result = fn()
    finally:
        jobs = len(sc.statusTracker().getJobIdsForGroup(group))
        for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
            sc.setLocalProperty(key, None)  # type: ignore[arg-type]
    return jobs, result


def timed(
    spark: SparkSession,
    fn: Callable[[], Any],
    repeat: int,
    warmup: bool = True,
    budget: float | None = None,
) -> tuple[list[float], int, Any]:
    """Seconds of each of ``repeat`` runs, Spark jobs of one run and the last result.

    The first run counts the Spark jobs and, with ``warmup``, is the warm-up (not timed with the
    repeats). A case whose first run takes longer than ``budget`` seconds is not repeated: that one
    (cold) run is its only time, so ``len(seconds) < repeat`` marks it (Deequ's 200-column profile
    takes minutes per run on 2 cores).

    Bench code, not library code: it may set a job group to count jobs with the status tracker.
    """
    start = time.perf_counter()
    jobs, result = count_jobs(spark, fn)
    first = time.perf_counter() - start
    if budget is not None and first > budget:
        return [first], jobs, result
    seconds = [] if warmup else [first]
    while len(seconds) < repeat:
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, jobs, result
