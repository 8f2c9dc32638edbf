"""MetricRecord: the stored form of one metric of one run (one row of every repository).

Every repository stores the same flat record, so the in-memory, file and Delta repositories behave
identically: ``(result key, analyzer spec, entity, instance, name, value, state, source, run status,
written_at)``. Re-saving a key appends; when a key holds several records of the same analyzer the newest
one wins (Deequ's ``saveOrAppendResult``: new metrics are added to the stored result, same analyzers are
replaced).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spark_mlops.delta import TableVersion
from spark_mlops.errors import RepositoryError
from spark_mlops.quality.metrics import Distribution, DistributionValue, Entity, Metric
from spark_mlops.quality.repository.result_key import ResultKey

if TYPE_CHECKING:
    from spark_mlops.quality.analyzers.base import Analyzer, State
    from spark_mlops.quality.runner import AnalyzerContext

__all__ = [
    "AnalysisResult",
    "MetricRecord",
    "analyzer_spec_json",
    "records_from_context",
    "results_from_records",
]


def analyzer_spec_json(analyzer: Analyzer) -> str:
    """Canonical JSON of an analyzer's spec (sorted keys), the stored identity of an analyzer."""
    return json.dumps(analyzer.spec(), sort_keys=True, separators=(",", ":"))


def _value_to_store(value: Any) -> tuple[float | None, str | None]:
    if isinstance(value, Distribution):
        data = {
            "type": "distribution",
            "number_of_bins": value.number_of_bins,
            "values": {k: [v.absolute, v.ratio] for k, v in value.values.items()},
        }
        return None, json.dumps(data, sort_keys=True)
    if isinstance(value, Mapping):
        return None, json.dumps({"type": "keyed", "values": {str(k): float(v) for k, v in value.items()}})
    return float(value), None


def _value_from_store(value: float | None, value_json: str | None) -> Any:
    if value_json is None:
        return value
    data = json.loads(value_json)
    if data["type"] == "distribution":
        return Distribution(
            values={k: DistributionValue(int(a), float(r)) for k, (a, r) in data["values"].items()},
            number_of_bins=int(data["number_of_bins"]),
        )
    return {k: float(v) for k, v in data["values"].items()}


@dataclass(frozen=True)
class MetricRecord:
    """One successful metric of one run, as stored."""

    result_key: ResultKey
    analyzer: str  # canonical spec JSON
    entity: str
    instance: str
    name: str
    value: float | None
    value_json: str | None
    state: str | None
    source_table: str | None
    source_version: int | None
    run_status: str | None
    written_at_ns: int

    def metric(self) -> Metric:
        """The stored metric."""
        return Metric(
            entity=Entity(self.entity),
            instance=self.instance,
            name=self.name,
            value=_value_from_store(self.value, self.value_json),
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the file repository (NaN/Infinity survive as strings)."""
        return {
            "result_key": self.result_key.to_dict(),
            "analyzer": self.analyzer,
            "entity": self.entity,
            "instance": self.instance,
            "name": self.name,
            "value": None if self.value is None else _float_json(self.value),
            "value_json": self.value_json,
            "state": self.state,
            "source_table": self.source_table,
            "source_version": self.source_version,
            "run_status": self.run_status,
            "written_at_ns": self.written_at_ns,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetricRecord:
        """Inverse of :meth:`to_json`."""
        value = data.get("value")
        return cls(
            result_key=ResultKey.from_dict(data["result_key"]),
            analyzer=str(data["analyzer"]),
            entity=str(data["entity"]),
            instance=str(data["instance"]),
            name=str(data["name"]),
            value=None if value is None else float(value),
            value_json=data.get("value_json"),
            state=data.get("state"),
            source_table=data.get("source_table"),
            source_version=None if data.get("source_version") is None else int(data["source_version"]),
            run_status=data.get("run_status"),
            written_at_ns=int(data["written_at_ns"]),
        )


def _float_json(value: float) -> float | str:
    # Strict JSON has no NaN/Infinity; keep them as the strings float() reads back.
    return value if math.isfinite(value) else repr(value)


def records_from_context(
    result_key: ResultKey,
    context: AnalyzerContext,
    *,
    run_status: str | None = None,
    source: TableVersion | None = None,
    states: Mapping[Analyzer, State] | None = None,
) -> list[MetricRecord]:
    """The records to store for a run: its *successful* metrics only (as Deequ stores)."""
    now = time.time_ns()
    source = source if source is not None else getattr(context, "source", None)
    out = []
    for analyzer, metric in context.metric_map.items():
        if not metric.is_success:
            continue
        try:
            value, value_json = _value_to_store(metric.value)
        except (TypeError, ValueError) as exc:
            raise RepositoryError(
                f"metric {metric.name}({metric.instance}): cannot store its value: {exc}"
            ) from None
        state = (states or {}).get(analyzer)
        out.append(
            MetricRecord(
                result_key=result_key,
                analyzer=analyzer_spec_json(analyzer),
                entity=Entity(metric.entity).value,
                instance=metric.instance,
                name=metric.name,
                value=value,
                value_json=value_json,
                state=None if state is None else json.dumps(state.to_json(), sort_keys=True),
                source_table=None if source is None else source.table,
                source_version=None if source is None else source.version,
                run_status=run_status,
                written_at_ns=now,
            )
        )
    return out


@dataclass(frozen=True)
class AnalysisResult:
    """The stored metrics of one run.

    Attributes:
        result_key: The run's key.
        analyzer_context: Its metrics (successful ones only), by analyzer.
        run_status: The status of the verification run that produced them (``"Success"``,
            ``"Warning"``, ``"Error"``), None for plain analysis runs.
        source: The Delta table and version the metrics were computed from, when known.
    """

    result_key: ResultKey
    analyzer_context: AnalyzerContext
    run_status: str | None = None
    source: TableVersion | None = None


def results_from_records(records: Iterable[MetricRecord]) -> list[AnalysisResult]:
    """Group records by result key (newest record per analyzer wins), oldest dataset date first."""
    import spark_mlops.quality.analyzers  # noqa: F401 - registers every analyzer type for from_spec
    from spark_mlops.quality.analyzers.base import Analyzer
    from spark_mlops.quality.runner import AnalyzerContext

    by_key: dict[ResultKey, dict[str, MetricRecord]] = {}
    for record in records:
        slot = by_key.setdefault(record.result_key, {})
        known = slot.get(record.analyzer)
        if known is None or record.written_at_ns >= known.written_at_ns:
            slot[record.analyzer] = record
    results = []
    for key, slot in by_key.items():
        newest = max(slot.values(), key=lambda r: r.written_at_ns)
        metric_map = {}
        for spec, record in slot.items():
            try:
                analyzer = Analyzer.from_spec(json.loads(spec))
            except Exception as exc:  # noqa: BLE001 - a spec this version cannot read is a storage error
                raise RepositoryError(f"stored analyzer spec {spec} cannot be read: {exc}") from None
            metric_map[analyzer] = record.metric()
        source = (
            TableVersion(newest.source_table, newest.source_version)
            if newest.source_table is not None and newest.source_version is not None
            else None
        )
        results.append(AnalysisResult(key, AnalyzerContext(metric_map=metric_map), newest.run_status, source))
    results.sort(key=lambda r: (r.result_key.data_set_date_ms, sorted(r.result_key.tags.items())))
    return results
