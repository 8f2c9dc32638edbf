"""Exact mergeable states of the scan-shareable analyzers (pure Python, no Spark).

Every state here is a monoid: adding the states of two datasets gives the state of their union, and an
"empty" state (count 0) is the identity, so the empty-input failure is decided when the metric is
computed, not by dropping the state (Deequ drops NULL states, which would lose the denominator of a
Compliance whose predicate was NULL everywhere in one part).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers.base import State

__all__ = [
    "ComplianceState",
    "CorrelationState",
    "DataTypeState",
    "MaxState",
    "MeanState",
    "MinState",
    "NumMatches",
    "NumMatchesAndCount",
    "StandardDeviationState",
    "SumState",
]


def _same(a: State, b: State) -> None:
    if type(a) is not type(b):
        raise InvalidArgumentError(f"other: cannot add a {type(b).__name__} to a {type(a).__name__}")


@dataclass(frozen=True)
class NumMatches(State):
    """A row count (Size)."""

    num_matches: int

    def __add__(self, other: State) -> NumMatches:
        _same(self, other)
        assert isinstance(other, NumMatches)
        return NumMatches(self.num_matches + other.num_matches)


@dataclass(frozen=True)
class NumMatchesAndCount(State):
    """Matching rows and rows in scope (Completeness, PatternMatch)."""

    num_matches: int
    count: int

    def __add__(self, other: State) -> NumMatchesAndCount:
        _same(self, other)
        assert isinstance(other, NumMatchesAndCount)
        return NumMatchesAndCount(self.num_matches + other.num_matches, self.count + other.count)


@dataclass(frozen=True)
class ComplianceState(State):
    """Rows where the predicate is TRUE, rows in scope, and rows where it is not NULL."""

    num_matches: int
    count: int
    num_evaluated: int

    def __add__(self, other: State) -> ComplianceState:
        _same(self, other)
        assert isinstance(other, ComplianceState)
        return ComplianceState(
            self.num_matches + other.num_matches,
            self.count + other.count,
            self.num_evaluated + other.num_evaluated,
        )


@dataclass(frozen=True)
class MeanState(State):
    """Sum and count of the non-NULL values."""

    total: float
    count: int

    def __add__(self, other: State) -> MeanState:
        _same(self, other)
        assert isinstance(other, MeanState)
        return MeanState(self.total + other.total, self.count + other.count)


@dataclass(frozen=True)
class SumState(State):
    """Sum (as a double) and count of the non-NULL values."""

    total: float
    count: int

    def __add__(self, other: State) -> SumState:
        _same(self, other)
        assert isinstance(other, SumState)
        return SumState(self.total + other.total, self.count + other.count)


def _spark_order(value: float) -> tuple[int, float]:
    # Spark orders NaN above every other double (including +Infinity).
    return (1, 0.0) if math.isnan(value) else (0, value)


@dataclass(frozen=True)
class MinState(State):
    """Smallest non-NULL value (None when there is none)."""

    value: float | None

    def __add__(self, other: State) -> MinState:
        _same(self, other)
        assert isinstance(other, MinState)
        values = [v for v in (self.value, other.value) if v is not None]
        return MinState(min(values, key=_spark_order) if values else None)


@dataclass(frozen=True)
class MaxState(State):
    """Largest non-NULL value (None when there is none); NaN is the largest, as in Spark."""

    value: float | None

    def __add__(self, other: State) -> MaxState:
        _same(self, other)
        assert isinstance(other, MaxState)
        values = [v for v in (self.value, other.value) if v is not None]
        return MaxState(max(values, key=_spark_order) if values else None)


@dataclass(frozen=True)
class StandardDeviationState(State):
    """Count, mean and sum of squared deviations (M2) of the non-NULL values."""

    n: int
    avg: float
    m2: float

    def __add__(self, other: State) -> StandardDeviationState:
        _same(self, other)
        assert isinstance(other, StandardDeviationState)
        if self.n == 0:
            return other
        if other.n == 0:
            return self
        # Chan et al. (1979) pairwise update of count, mean and M2.
        n = self.n + other.n
        delta = other.avg - self.avg
        avg = self.avg + delta * other.n / n
        m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        return StandardDeviationState(n, avg, m2)


@dataclass(frozen=True)
class CorrelationState(State):
    """Co-moments of two columns over rows where both are non-NULL (Deequ's CorrelationState)."""

    n: int
    x_avg: float
    y_avg: float
    ck: float
    x_mk: float
    y_mk: float

    def __add__(self, other: State) -> CorrelationState:
        _same(self, other)
        assert isinstance(other, CorrelationState)
        if self.n == 0:
            return other
        if other.n == 0:
            return self
        # Pairwise co-moment update (Chan et al. / Bennett et al. 2009).
        n = self.n + other.n
        dx = other.x_avg - self.x_avg
        dy = other.y_avg - self.y_avg
        x_avg = self.x_avg + dx * other.n / n
        y_avg = self.y_avg + dy * other.n / n
        factor = self.n * other.n / n
        ck = self.ck + other.ck + dx * dy * factor
        x_mk = self.x_mk + other.x_mk + dx * dx * factor
        y_mk = self.y_mk + other.y_mk + dy * dy * factor
        return CorrelationState(n, x_avg, y_avg, ck, x_mk, y_mk)


DATA_TYPES = ("Unknown", "Fractional", "Integral", "Boolean", "String")


@dataclass(frozen=True)
class DataTypeState(State):
    """Row counts per inferred type (Unknown = NULL, Fractional, Integral, Boolean, String)."""

    unknown: int
    fractional: int
    integral: int
    boolean: int
    string: int

    def __add__(self, other: State) -> DataTypeState:
        _same(self, other)
        assert isinstance(other, DataTypeState)
        return DataTypeState(
            self.unknown + other.unknown,
            self.fractional + other.fractional,
            self.integral + other.integral,
            self.boolean + other.boolean,
            self.string + other.string,
        )

    def counts(self) -> dict[str, float]:
        """Counts keyed by Deequ's type names."""
        values = (self.unknown, self.fractional, self.integral, self.boolean, self.string)
        return {name: float(v) for name, v in zip(DATA_TYPES, values, strict=True)}

    @classmethod
    def _from_fields(cls, fields: dict[str, Any]) -> DataTypeState:
        return cls(**{k: int(v) for k, v in fields.items()})
