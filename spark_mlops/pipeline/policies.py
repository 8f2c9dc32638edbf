"""Per-step execution policies: retries with backoff and version-aware caching.

``expire_after`` is an ISO-8601 duration (``PT1H``, ``P7D``, ``P1DT12H``, ``3012H`` as in the seed is
accepted as shorthand for ``PT3012H``). ``isodate`` is not a dependency: the grammar is small.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from spark_mlops.errors import PipelineDefinitionError

__all__ = ["CacheConfig", "RetryPolicy", "parse_duration"]

# ISO-8601 durations (PnYnMnWnDTnHnMnS). Years and months use 365 and 30 days: a cache expiry needs no
# calendar arithmetic, and the approximation is the one SageMaker documents for expire_after.
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SHORTHAND = re.compile(r"^\d+(?:\.\d+)?[HMS]$")


def parse_duration(text: str) -> dt.timedelta:
    """Parse an ISO-8601 duration into a ``timedelta``.

    Raises:
        PipelineDefinitionError: ``text`` is not an ISO-8601 duration (the message quotes it).
    """
    if not isinstance(text, str):
        raise PipelineDefinitionError(f"expire_after: expected an ISO-8601 duration string, got {text!r}")
    norm = text.strip().upper()
    if _SHORTHAND.match(norm):
        norm = "PT" + norm
    match = _DURATION.match(norm)
    if match is None:
        raise PipelineDefinitionError(
            f"expire_after: {text!r} is not an ISO-8601 duration such as 'PT1H' or 'P30D'"
        )
    part = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    days = part["years"] * 365 + part["months"] * 30 + part["weeks"] * 7 + part["days"]
    return dt.timedelta(days=days, hours=part["hours"], minutes=part["minutes"], seconds=part["seconds"])


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a failed step: up to ``max_attempts`` attempts in all, sleeping between them.

    The sleep before attempt ``n+1`` is ``backoff_seconds * backoff_rate ** (n-1)``.

    Attributes:
        max_attempts: Attempts in all (1 = no retry).
        backoff_seconds: First pause.
        backoff_rate: Growth factor of the pause.
    """

    max_attempts: int = 1
    backoff_seconds: float = 1.0
    backoff_rate: float = 2.0

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise PipelineDefinitionError(
                f"RetryPolicy max_attempts: expected an integer >= 1, got {self.max_attempts!r}"
            )
        if self.backoff_seconds < 0 or self.backoff_rate < 1:
            raise PipelineDefinitionError(
                f"RetryPolicy backoff: expected backoff_seconds >= 0 and backoff_rate >= 1, "
                f"got {self.backoff_seconds!r}, {self.backoff_rate!r}"
            )

    def pause_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2, 3, ...)."""
        return float(self.backoff_seconds * self.backoff_rate ** max(attempt - 2, 0))

    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form."""
        return {
            "max_attempts": self.max_attempts,
            "backoff_seconds": float(self.backoff_seconds),
            "backoff_rate": float(self.backoff_rate),
        }


@dataclass(frozen=True)
class CacheConfig:
    """Reuse a step's recorded outputs when nothing it depends on changed.

    The cache key covers the step definition, its resolved arguments, a hash of its code and the
    versions of its input Delta tables, so appending to an input table invalidates the cache.

    Attributes:
        enable_caching: Turn caching on for the step.
        expire_after: ISO-8601 duration after which a cached result is no longer reused (None: never).
    """

    enable_caching: bool = False
    expire_after: str | None = None

    def __post_init__(self) -> None:
        if self.expire_after is not None:
            parse_duration(self.expire_after)

    @property
    def expiry(self) -> dt.timedelta | None:
        """``expire_after`` as a ``timedelta``."""
        return None if self.expire_after is None else parse_duration(self.expire_after)

    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form."""
        return {"enable_caching": self.enable_caching, "expire_after": self.expire_after}
