"""Local ``count_jobs``: the shared fixture calls ``SparkContext.clearJobGroup``, which PySpark 4.2 lacks.

Same counting (a job group + ``statusTracker``); the group is cleared by unsetting its local property.
Delete this file once tests/conftest.py is fixed.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest


class _JobCounter:
    def __init__(self, spark) -> None:  # type: ignore[no-untyped-def]
        self._sc = spark.sparkContext
        self.group = f"count-{uuid.uuid4().hex}"
        self.count = 0

    def __enter__(self) -> _JobCounter:
        self._sc.setJobGroup(self.group, "job counting in a test", interruptOnCancel=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.count = len(self._sc.statusTracker().getJobIdsForGroup(self.group))
        self._sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
        self._sc.setLocalProperty("spark.job.description", None)  # type: ignore[arg-type]


@pytest.fixture
def count_jobs(spark):  # type: ignore[no-untyped-def]
    """``with count_jobs() as c: ...; assert c.count == 1``."""

    @contextlib.contextmanager
    def _counter() -> Iterator[_JobCounter]:
        with _JobCounter(spark) as counter:
            yield counter

    return _counter
