"""ResultKey: which run a set of metrics belongs to (a dataset date and free-form tags)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_mlops.errors import InvalidArgumentError

__all__ = ["ResultKey"]


@dataclass(frozen=True)
class ResultKey:
    """Identifies one stored analysis result, as Deequ's ``ResultKey``.

    Args:
        data_set_date_ms: The date the metrics describe, as epoch milliseconds (e.g. the partition date
            of a daily batch); the history of a metric is ordered by it.
        tags: Free-form string labels (``{"dataset": "reviews", "region": "EU"}``) used to filter.

    Example:
        >>> ResultKey(1_700_000_000_000, {"dataset": "reviews"})
        ResultKey(data_set_date_ms=1700000000000, tags={'dataset': 'reviews'})
    """

    data_set_date_ms: int
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        date = self.data_set_date_ms
        if isinstance(date, bool) or not isinstance(date, int):
            raise InvalidArgumentError(f"data_set_date_ms: expected epoch milliseconds (int), got {date!r}")
        if not isinstance(self.tags, Mapping):
            raise InvalidArgumentError(f"tags: expected a mapping of str to str, got {self.tags!r}")
        for k, v in self.tags.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise InvalidArgumentError(f"tags: keys and values must be strings, got {k!r}: {v!r}")
        # A private copy, so a caller mutating its dict cannot change a stored key.
        object.__setattr__(self, "tags", dict(self.tags))

    def __hash__(self) -> int:
        return hash((self.data_set_date_ms, tuple(sorted(self.tags.items()))))

    def matches(self, tag_values: Mapping[str, str]) -> bool:
        """True when every given tag is present with the given value."""
        return all(self.tags.get(k) == v for k, v in tag_values.items())

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {"data_set_date_ms": self.data_set_date_ms, "tags": dict(sorted(self.tags.items()))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResultKey:
        """Inverse of :meth:`to_dict`."""
        return cls(int(data["data_set_date_ms"]), {str(k): str(v) for k, v in dict(data["tags"]).items()})
