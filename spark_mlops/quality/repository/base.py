"""MetricsRepository and its loader: store the metrics of every run, query them back by key and tags.

A repository only stores and filters (Deequ's ``MetricsRepository``); anomaly strategies learn from what
it returns. The three implementations differ only in where the records live.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.repository.records import (
    AnalysisResult,
    MetricRecord,
    analyzer_spec_json,
    records_from_context,
    results_from_records,
)
from spark_mlops.quality.repository.result_key import ResultKey

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from spark_mlops.delta import TableVersion
    from spark_mlops.quality.analyzers.base import Analyzer, State
    from spark_mlops.quality.runner import AnalyzerContext

__all__ = ["LoadQuery", "MetricsRepository", "MetricsRepositoryLoader"]

_FIXED_COLUMNS = ("entity", "instance", "name", "value", "dataset_date")


@dataclass(frozen=True)
class LoadQuery:
    """The filters of a load (all optional; dates are inclusive, as in Deequ)."""

    tag_values: Mapping[str, str] = field(default_factory=dict)
    after_ms: int | None = None
    before_ms: int | None = None
    analyzers: tuple[str, ...] | None = None  # canonical spec JSON
    run_statuses: tuple[str, ...] | None = None

    def accepts(self, record: MetricRecord) -> bool:
        """True when ``record`` passes every filter."""
        key = record.result_key
        return (
            key.matches(self.tag_values)
            and (self.after_ms is None or key.data_set_date_ms >= self.after_ms)
            and (self.before_ms is None or key.data_set_date_ms <= self.before_ms)
            and (self.analyzers is None or record.analyzer in self.analyzers)
        )


class MetricsRepository(ABC):
    """Stores the successful metrics of runs under a :class:`ResultKey`."""

    def save(
        self,
        result_key: ResultKey,
        analyzer_context: AnalyzerContext,
        *,
        run_status: str | None = None,
        source: TableVersion | None = None,
        states: Mapping[Analyzer, State] | None = None,
    ) -> None:
        """Store the successful metrics of ``analyzer_context`` under ``result_key``.

        Saving a key again adds its metrics to the stored result (an analyzer saved twice keeps the newest
        metric), like Deequ's ``saveOrAppendResult``.

        Args:
            result_key: The run's key.
            analyzer_context: The metrics (failed metrics are not stored).
            run_status: The verification status of the run (e.g. ``"Error"``), stored with each metric.
            source: The Delta table and version the metrics were computed from.
            states: Optional analyzer states to store next to the metrics (JSON).
        """
        if not isinstance(result_key, ResultKey):
            raise InvalidArgumentError(f"result_key: expected a ResultKey, got {type(result_key).__name__}")
        records = records_from_context(
            result_key, analyzer_context, run_status=run_status, source=source, states=states
        )
        if records:
            self._append(records)

    def load_by_key(self, result_key: ResultKey) -> AnalyzerContext | None:
        """The stored metrics of exactly this key (same date and same tags), or None."""
        query = LoadQuery(
            tag_values=dict(result_key.tags),
            after_ms=result_key.data_set_date_ms,
            before_ms=result_key.data_set_date_ms,
        )
        for result in results_from_records(r for r in self._read(query) if r.result_key == result_key):
            return result.analyzer_context
        return None

    def load(self) -> MetricsRepositoryLoader:
        """A loader to filter the stored results: ``repo.load().with_tag_values({...}).after(ms).get()``."""
        return MetricsRepositoryLoader(self, LoadQuery())

    @abstractmethod
    def _append(self, records: Sequence[MetricRecord]) -> None:
        """Durably add records (all or nothing)."""

    @abstractmethod
    def _read(self, query: LoadQuery) -> Iterable[MetricRecord]:
        """Records passing ``query`` (an implementation may return more; they are filtered again)."""


@dataclass(frozen=True)
class MetricsRepositoryLoader:
    """Immutable query builder over a repository (Deequ's ``MetricsRepositoryMultipleResultsLoader``)."""

    repository: MetricsRepository
    query: LoadQuery

    def with_tag_values(self, tag_values: Mapping[str, str]) -> MetricsRepositoryLoader:
        """Keep results whose key has all these tags with these values."""
        if not isinstance(tag_values, Mapping):
            raise InvalidArgumentError(f"tag_values: expected a mapping of str to str, got {tag_values!r}")
        return replace(self, query=replace(self.query, tag_values=dict(tag_values)))

    def after(self, date_ms: int) -> MetricsRepositoryLoader:
        """Keep results with ``data_set_date_ms >= date_ms``."""
        return replace(self, query=replace(self.query, after_ms=_date("after", date_ms)))

    def before(self, date_ms: int) -> MetricsRepositoryLoader:
        """Keep results with ``data_set_date_ms <= date_ms``."""
        return replace(self, query=replace(self.query, before_ms=_date("before", date_ms)))

    def for_analyzers(self, analyzers: Sequence[Analyzer]) -> MetricsRepositoryLoader:
        """Keep only the metrics of these analyzers."""
        specs = tuple(sorted({analyzer_spec_json(a) for a in analyzers}))
        return replace(self, query=replace(self.query, analyzers=specs))

    def with_run_statuses(self, statuses: Sequence[Any]) -> MetricsRepositoryLoader:
        """Keep results whose run status is one of these (e.g. ``[CheckStatus.SUCCESS, "Warning"]``)."""
        values = tuple(str(getattr(s, "value", s)) for s in statuses)
        return replace(self, query=replace(self.query, run_statuses=values))

    def get(self) -> list[AnalysisResult]:
        """The matching results, oldest dataset date first."""
        query = self.query
        records = [r for r in self.repository._read(query) if query.accepts(r)]
        results = results_from_records(records)
        if query.run_statuses is not None:
            results = [r for r in results if r.run_status in query.run_statuses]
        return results

    def get_success_metrics_as_json(self, with_tags: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """One dict per (flattened) metric: entity, instance, name, value, dataset_date and the tags.

        Args:
            with_tags: Tag names to add as fields (default: every tag seen). A tag named like a fixed
                field is prefixed with ``tag_``.
        """
        results = self.get()
        tag_names = _tag_names(results, with_tags)
        rows = []
        for result in results:
            for metric in _flat_metrics(result):
                row: dict[str, Any] = {
                    "entity": str(getattr(metric.entity, "value", metric.entity)),
                    "instance": metric.instance,
                    "name": metric.name,
                    "value": float(metric.value),
                    "dataset_date": result.result_key.data_set_date_ms,
                }
                for tag, column in tag_names.items():
                    row[column] = result.result_key.tags.get(tag)
                rows.append(row)
        return rows

    def get_success_metrics_as_dataframe(
        self, spark: SparkSession, with_tags: Sequence[str] | None = None
    ) -> DataFrame:
        """The rows of :meth:`get_success_metrics_as_json` as a DataFrame (a small, local one)."""
        from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

        tag_columns = list(_tag_names(self.get(), with_tags).values())
        schema = StructType(
            [
                StructField("entity", StringType(), False),
                StructField("instance", StringType(), False),
                StructField("name", StringType(), False),
                StructField("value", DoubleType(), True),
                StructField("dataset_date", LongType(), False),
                *[StructField(c, StringType(), True) for c in tag_columns],
            ]
        )
        rows = [tuple(r[f.name] for f in schema.fields) for r in self.get_success_metrics_as_json(with_tags)]
        return spark.createDataFrame(rows, schema)


def _date(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name}: expected epoch milliseconds (int), got {value!r}")
    return value


def _flat_metrics(result: AnalysisResult) -> list[Any]:
    out = []
    for metric in result.analyzer_context.metric_map.values():
        for flat in metric.flatten():
            if flat.is_success and isinstance(flat.value, (int, float)):
                out.append(flat)
    return out


def _tag_names(results: list[AnalysisResult], with_tags: Sequence[str] | None) -> dict[str, str]:
    names = sorted({t for r in results for t in r.result_key.tags}) if with_tags is None else list(with_tags)
    return {t: (f"tag_{t}" if t in _FIXED_COLUMNS else t) for t in names}
