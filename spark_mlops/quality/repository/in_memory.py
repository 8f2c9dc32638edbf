"""InMemoryMetricsRepository: records in a list, for tests, notebooks and one-process pipelines."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from spark_mlops.quality.repository.base import LoadQuery, MetricsRepository
from spark_mlops.quality.repository.records import MetricRecord

__all__ = ["InMemoryMetricsRepository"]


class InMemoryMetricsRepository(MetricsRepository):
    """Keeps the records in memory (thread-safe; lost when the process ends)."""

    def __init__(self) -> None:
        self._records: list[MetricRecord] = []
        self._lock = threading.Lock()

    def _append(self, records: Sequence[MetricRecord]) -> None:
        with self._lock:
            self._records.extend(records)

    def _read(self, query: LoadQuery) -> Iterable[MetricRecord]:
        with self._lock:
            return [r for r in self._records if query.accepts(r)]
