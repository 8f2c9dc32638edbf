"""Timing of one benchmark case: warm-up, one job-counted run, then timed repeats (min/median)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

__all__ = ["Timing", "count_jobs", "timed", "timed_rounds"]


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
    return timed_rounds(spark, [("", fn)], repeat, warmup, budget)[""]


def timed_rounds(
    spark: SparkSession,
    cases: Sequence[tuple[str, Callable[[], Any]]],
    repeat: int,
    warmup: bool = True,
    budget: float | None = None,
) -> dict[str, tuple[list[float], int, Any]]:
    """:func:`timed` for cases compared with each other, in interleaved rounds (one case: :func:`timed`).

    Each case first runs once (job count, warm-up, ``budget`` as in :func:`timed`); then every round
    times each remaining case once, the order rotated by one each round. A change of load during the
    measurement then moves every case alike instead of the ones that happened to run last: on this
    2-core box, three back-to-back sequential 7-run processes put (a) at 0.92x, 1.35x and 1.55x of the
    same bare scan.

    Returns:
        Per label: the seconds of each timed run, the Spark jobs of one run and the last result.
    """
    seconds: dict[str, list[float]] = {}
    jobs: dict[str, int] = {}
    last: dict[str, Any] = {}
    looping: list[tuple[str, Callable[[], Any]]] = []
    for label, fn in cases:
        start = time.perf_counter()
        jobs[label], last[label] = count_jobs(spark, fn)
        first = time.perf_counter() - start
        over = budget is not None and first > budget
        seconds[label] = [first] if over or not warmup else []
        if not over:
            looping.append((label, fn))
    for turn in range(repeat - (0 if warmup else 1)):
        shift = turn % len(looping) if looping else 0
        for label, fn in looping[shift:] + looping[:shift]:
            start = time.perf_counter()
            last[label] = fn()
            seconds[label].append(time.perf_counter() - start)
    return {label: (seconds[label], jobs[label], last[label]) for label, _ in cases}
