"""Shared plumbing of the PyDeequ adapter: the ``pandas=`` switch and ``forAnalyzers`` filtering."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyspark.sql import DataFrame

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers import Analyzer
from spark_mlops.quality.metrics import Metric

__all__ = ["as_output", "only_analyzers"]


def as_output(df: DataFrame, pandas: bool) -> Any:
    """``df``, or its pandas copy when PyDeequ's ``pandas=True`` is given (results are small)."""
    return df.toPandas() if pandas else df


def only_analyzers(
    metrics: Mapping[Analyzer, Metric], for_analyzers: Iterable[Analyzer] | None
) -> dict[Analyzer, Metric]:
    """The metrics of ``for_analyzers`` (all when None), as PyDeequ's ``forAnalyzers`` argument.

    Raises:
        InvalidArgumentError: an entry of ``forAnalyzers`` is not an analyzer.
    """
    if for_analyzers is None:
        return dict(metrics)
    wanted = list(for_analyzers)
    for analyzer in wanted:
        if not isinstance(analyzer, Analyzer):
            raise InvalidArgumentError(f"forAnalyzers: expected analyzers, got {analyzer!r}")
    return {a: metrics[a] for a in wanted if a in metrics}
