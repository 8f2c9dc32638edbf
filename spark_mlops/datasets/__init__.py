"""Generated data for examples, tests and benchmarks (built on executors, never on the driver)."""

from __future__ import annotations

from spark_mlops.datasets.reviews import (
    MARKETPLACES,
    REVIEW_COLUMNS,
    ReviewDefects,
    ReviewDrift,
    defect_count,
    generate_reviews,
)

__all__ = [
    "MARKETPLACES",
    "REVIEW_COLUMNS",
    "ReviewDefects",
    "ReviewDrift",
    "defect_count",
    "generate_reviews",
]
