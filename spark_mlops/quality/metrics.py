"""Metrics: the result of an analyzer, a value *or* a failure (never both), Deequ style.

A failure is data: an empty input, a missing column or a wrong type gives a :class:`Metric` whose
``failure`` carries the reason, so a constraint on it can fail with that message instead of the run
raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["Distribution", "DistributionValue", "Entity", "Metric", "MetricValue"]


class Entity(str, Enum):
    """What a metric is about (Deequ's entity names)."""

    DATASET = "Dataset"
    COLUMN = "Column"
    MULTICOLUMN = "Multicolumn"


@dataclass(frozen=True)
class DistributionValue:
    """One bin of a distribution: its row count and its share of all rows in scope."""

    absolute: int
    ratio: float


@dataclass(frozen=True)
class Distribution:
    """A histogram: detail bins by value plus the full number of bins (which may exceed the details)."""

    values: dict[str, DistributionValue]
    number_of_bins: int

    def __getitem__(self, key: str) -> DistributionValue:
        return self.values[key]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return {
            "number_of_bins": self.number_of_bins,
            "values": {k: {"absolute": v.absolute, "ratio": v.ratio} for k, v in self.values.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Distribution:
        """Inverse of :meth:`to_dict`."""
        values = {
            str(k): DistributionValue(int(v["absolute"]), float(v["ratio"]))
            for k, v in data["values"].items()
        }
        return cls(values=values, number_of_bins=int(data["number_of_bins"]))


MetricValue = float | Distribution | dict[str, float]


@dataclass(frozen=True)
class Metric:
    """The value of one analyzer on one dataset, or the reason it could not be computed.

    Attributes:
        entity: Dataset, Column or Multicolumn.
        instance: The column(s) (``"a"``, ``"a,b"``), ``"*"`` for the dataset, or a Compliance name.
        name: Deequ's metric name, e.g. ``"Completeness"``.
        value: A float, a :class:`Distribution` (Histogram) or a ``dict[str, float]`` for keyed metrics
            (ApproxQuantiles: quantile → value; DataType: type name → row count).
        failure: Why the metric could not be computed (then ``value`` is None).
    """

    entity: Entity
    instance: str
    name: str
    value: MetricValue | None = None
    failure: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.failure is None):
            # A metric is a value or a failure; a "both" or "neither" metric would be a silent wrong result.
            object.__setattr__(
                self,
                "failure",
                self.failure or "Metric has neither a value nor a failure",
            )
            object.__setattr__(self, "value", None)

    @property
    def is_success(self) -> bool:
        """True when the metric has a value."""
        return self.failure is None

    @classmethod
    def failed(cls, entity: Entity, instance: str, name: str, message: str) -> Metric:
        """A failure metric."""
        return cls(entity=entity, instance=instance, name=name, value=None, failure=message)

    def flatten(self) -> list[Metric]:
        """Scalar metrics, Deequ style.

        A Distribution becomes ``<name>.bins``, ``<name>.abs.<key>`` and ``<name>.ratio.<key>``; a keyed
        dict becomes ``<name>-<key>``; a scalar or a failure is returned as is.
        """
        if not self.is_success or isinstance(self.value, float | int):
            return [self]
        out: list[Metric] = []
        if isinstance(self.value, Distribution):
            dist = self.value
            out.append(Metric(self.entity, self.instance, f"{self.name}.bins", float(dist.number_of_bins)))
            for key, v in dist.values.items():
                out.append(Metric(self.entity, self.instance, f"{self.name}.abs.{key}", float(v.absolute)))
                out.append(Metric(self.entity, self.instance, f"{self.name}.ratio.{key}", float(v.ratio)))
            return out
        assert isinstance(self.value, dict)
        for key, val in self.value.items():
            out.append(Metric(self.entity, self.instance, f"{self.name}-{key}", float(val)))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN/Infinity kept as floats; use a JSON writer that allows them)."""
        value: Any = self.value
        if isinstance(value, Distribution):
            value = value.to_dict()
        return {
            "entity": self.entity.value,
            "instance": self.instance,
            "name": self.name,
            "value": value,
            "failure": self.failure,
        }

    def __eq__(self, other: object) -> bool:
        # NaN is a legitimate value (Correlation of a constant column), so NaN == NaN here.
        if not isinstance(other, Metric):
            return NotImplemented
        same_value = self.value == other.value or (
            isinstance(self.value, float)
            and isinstance(other.value, float)
            and math.isnan(self.value)
            and math.isnan(other.value)
        )
        return (
            self.entity == other.entity
            and self.instance == other.instance
            and self.name == other.name
            and self.failure == other.failure
            and same_value
        )

    def __hash__(self) -> int:
        return hash((self.entity, self.instance, self.name, self.failure))
