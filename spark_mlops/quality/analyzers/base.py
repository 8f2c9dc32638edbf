"""Base classes of analyzers and states, and the small helpers every analyzer shares.

An analyzer is small (Deequ's design): it names the aggregate expressions it needs, turns their result
into a mergeable :class:`State`, and turns a state into a :class:`~spark_mlops.quality.metrics.Metric`.
The engine, not the analyzer, decides how many Spark jobs run.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import DataType as SparkType
from pyspark.sql.types import DecimalType, NumericType, StringType, StructType

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.metrics import Entity, Metric, MetricValue

__all__ = [
    "Analyzer",
    "ScanShareableAnalyzer",
    "State",
    "column",
    "empty_state_message",
    "has_column",
    "in_scope",
    "is_numeric",
    "is_string",
    "normalize_columns",
    "quote",
    "scope",
    "sql_column",
    "sql_in_scope",
    "sql_scope",
    "sql_string",
]

NUMERIC_TYPES = "(ByteType,ShortType,IntegerType,LongType,FloatType,DoubleType,DecimalType)"


def quote(name: str) -> str:
    """Backtick-quote a column name so spaces, dots, backticks and unicode resolve literally."""
    return "`" + name.replace("`", "``") + "`"


def column(name: str) -> Column:
    """The top-level column ``name`` taken literally (never parsed as a nested path)."""
    return F.col(quote(name))


def in_scope(where: str | None) -> Column:
    """The row filter of an analyzer as a boolean column; NULL counts as out of scope."""
    return F.lit(True) if where is None else F.expr(sql_in_scope(where))


def scope(expr: Column, where: str | None) -> Column:
    """``expr`` on rows in scope, NULL elsewhere (so aggregates skip the rest)."""
    return expr if where is None else F.when(in_scope(where), expr)


# The scan-shareable analyzers write their aggregates as SQL text, not Column objects: the engine
# parses all of a run's aggregates from one string (a handful of Py4J calls) where building them
# with pyspark.sql.functions cost ~4 Py4J calls per function (each records its call site), ~600 per
# seed-suite run — ~0.15 s of fixed cost per run on a quiet 2-core box, measured.


def sql_column(name: str) -> str:
    """SQL text of the top-level column ``name`` taken literally (same quoting as :func:`column`)."""
    return quote(name)


def sql_string(value: str) -> str:
    """A SQL string literal of ``value``, exact whatever the parser's escape settings: written as the
    hex of its UTF-8 bytes cast to string (constant-folded by the optimizer)."""
    return f"CAST(X'{value.encode('utf-8').hex()}' AS STRING)"


def sql_in_scope(where: str | None) -> str:
    """SQL text of :func:`in_scope`: the row filter as a boolean, NULL counted as out of scope.

    The user's filter sits on lines of its own so a trailing ``--`` comment cannot swallow the rest.
    """
    if where is None:
        return "true"
    return f"coalesce(CAST((\n{where}\n) AS BOOLEAN), false)"


def sql_scope(expr: str, where: str | None) -> str:
    """SQL text of :func:`scope`: ``expr`` on rows in scope, NULL elsewhere."""
    return expr if where is None else f"CASE WHEN {sql_in_scope(where)} THEN {expr} END"


def normalize_columns(columns: str | Sequence[str], argument: str = "columns") -> tuple[str, ...]:
    """A str or a sequence of str as a non-empty tuple.

    Raises:
        InvalidArgumentError: empty, or not strings.
    """
    if isinstance(columns, str):
        return (columns,)
    cols = tuple(columns)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise InvalidArgumentError(
            f"{argument}: expected a column name or a non-empty list of names, got {columns!r}"
        )
    return cols


def _field(schema: StructType, name: str) -> SparkType | None:
    for f in schema.fields:
        if f.name == name:
            return f.dataType
    return None


def has_column(schema: StructType, name: str) -> str | None:
    """Deequ's missing-column failure message, or None when the column exists."""
    if _field(schema, name) is None:
        return f"Input data does not include column {name}!"
    return None


def is_numeric(schema: StructType, name: str) -> str | None:
    """Failure message unless ``name`` exists and is numeric (decimals included)."""
    missing = has_column(schema, name)
    if missing:
        return missing
    dtype = _field(schema, name)
    if isinstance(dtype, NumericType | DecimalType):
        return None
    return (
        f"Expected type of column {name} to be one of {NUMERIC_TYPES}, "
        f"but found {type(dtype).__name__} instead!"
    )


def is_string(schema: StructType, name: str) -> str | None:
    """Failure message unless ``name`` exists and is a string column."""
    missing = has_column(schema, name)
    if missing:
        return missing
    dtype = _field(schema, name)
    if isinstance(dtype, StringType):
        return None
    return f"Expected type of column {name} to be StringType, but found {type(dtype).__name__} instead!"


def empty_state_message(analyzer: Analyzer) -> str:
    """Deequ's message for an analyzer whose scope holds no (non-NULL) values."""
    return f"Empty state for analyzer {analyzer!r}, all input values were NULL."


class State(ABC):
    """A mergeable summary of data; states of the same analyzer add: ``state_a + state_b``."""

    _registry: ClassVar[dict[str, type[State]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        State._registry[cls.__name__] = cls

    @abstractmethod
    def __add__(self, other: State) -> State:
        """The state of the union of both datasets."""

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict with a ``type`` key (binary sketches as base64 text)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return {"type": type(self).__name__, **fields}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        """Inverse of :meth:`to_json`; called on :class:`State` it dispatches on ``type``."""
        target = cls
        if cls is State:
            name = data.get("type")
            if name not in State._registry:
                raise InvalidArgumentError(f"data: unknown state type {name!r}")
            target = State._registry[name]
        return target._from_fields({k: v for k, v in data.items() if k != "type"})

    @classmethod
    def _from_fields(cls, fields: dict[str, Any]) -> State:
        return cls(**fields)


class Analyzer(ABC):
    """Base of all analyzers: frozen dataclasses, hashable, equal when their specs are equal.

    Subclasses define ``name`` (Deequ's metric name), their fields (always including ``where``),
    :meth:`preconditions` and :meth:`_metric_value`.
    """

    name: ClassVar[str]
    where: str | None
    _registry: ClassVar[dict[str, type[Analyzer]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            Analyzer._registry[cls.__name__] = cls

    @property
    def entity(self) -> Entity:
        """Column by default; dataset- and multi-column analyzers override."""
        return Entity.COLUMN

    @property
    @abstractmethod
    def instance(self) -> str:
        """The column(s) or instance name the metric is about."""

    def spec(self) -> dict[str, Any]:
        """JSON-able description, e.g. ``{"type": "Completeness", "column": "a", "where": None}``."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @staticmethod
    def from_spec(spec: dict[str, Any]) -> Analyzer:
        """Build an analyzer from :meth:`spec` output.

        Raises:
            InvalidArgumentError: unknown ``type`` or fields.
        """
        kind = spec.get("type")
        cls = Analyzer._registry.get(str(kind))
        if cls is None:
            raise InvalidArgumentError(f"spec: unknown analyzer type {kind!r}")
        args = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items() if k != "type"}
        try:
            return cls(**args)
        except TypeError as exc:
            raise InvalidArgumentError(f"spec: bad fields for {kind}: {exc}") from None

    def preconditions(self, schema: StructType) -> str | None:
        """Failure message when the analyzer cannot run on ``schema`` (missing column, wrong type)."""
        return None

    def failure(self, message: str) -> Metric:
        """A failure metric of this analyzer."""
        return Metric.failed(self.entity, self.instance, self.name, message)

    def success(self, value: MetricValue) -> Metric:
        """A value metric of this analyzer."""
        return Metric(self.entity, self.instance, self.name, value)

    def compute_metric_from(self, state: State | None) -> Metric:
        """The metric of a state; a None or empty state is the Deequ "empty state" failure."""
        if state is None:
            return self.failure(empty_state_message(self))
        value = self._metric_value(state)
        if value is None:
            return self.failure(empty_state_message(self))
        if isinstance(value, Metric):
            return value
        return self.success(value)

    @abstractmethod
    def _metric_value(self, state: Any) -> MetricValue | Metric | None:
        """The metric value of a state (None when the state is empty, a Metric for other failures)."""


class ScanShareableAnalyzer(Analyzer):
    """An analyzer computed by aggregate expressions that the engine fuses with others into one job."""

    @abstractmethod
    def aggregations(self, schema: StructType) -> list[str]:
        """Aggregate expressions as Spark SQL text (each carrying ``where`` inside) over the input
        DataFrame; build them with :func:`sql_column`, :func:`sql_scope` and :func:`sql_string`."""

    @abstractmethod
    def state_from_row(self, values: Sequence[Any]) -> State:
        """The state from the values of :meth:`aggregations`, in order."""
