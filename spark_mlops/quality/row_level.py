"""Row-level results and quarantine: judge each row with the row-level constraints of a verification.

One boolean column per constraint (TRUE = the row passes), computed in the same projection; only
uniqueness needs a window (a shuffle on its columns). Quarantine splits rows into two Delta tables
from one cached projection, so nothing is dropped and the two counts add up to the input's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_mlops.delta import TableVersion, history, write_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.analyzers.base import quote
from spark_mlops.quality.checks import Constraint

__all__ = ["QuarantineResult", "add_row_level_results", "quarantine_rows", "row_level_columns"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuarantineResult:
    """Where the rows went: the two Delta table versions written and their row counts."""

    good: TableVersion
    bad: TableVersion
    good_rows: int
    bad_rows: int


def row_level_columns(
    df: DataFrame, constraints: Sequence[Constraint]
) -> list[tuple[str, Constraint, Column]]:
    """``(column name, constraint, outcome)`` for each row-level constraint that applies to ``df``.

    Names are the constraints' labels made unique against each other and ``df``'s columns. A
    constraint whose columns are missing from ``df`` is skipped (its metric already failed).
    """
    schema = df.schema
    taken = {c.lower() for c in df.columns}
    out: list[tuple[str, Constraint, Column]] = []
    seen: set[int] = set()
    for constraint in constraints:
        if constraint.row_level is None or id(constraint) in seen:
            continue
        seen.add(id(constraint))
        problem = constraint.analyzer.preconditions(schema)
        if problem:
            log.warning("no row-level result for %s: %s", constraint.name, problem)
            continue
        name = _unique(constraint.label, taken)
        out.append((name, constraint, constraint.row_level.outcome(df, constraint.analyzer.where)))
    return out


def _unique(label: str, taken: set[str]) -> str:
    name, n = label, 1
    while name.lower() in taken:  # Spark resolves names case-insensitively by default
        n += 1
        name = f"{label}_{n}"
    taken.add(name.lower())
    return name


def add_row_level_results(df: DataFrame, constraints: Sequence[Constraint]) -> DataFrame:
    """``df`` with one boolean column per row-level constraint (see :func:`row_level_columns`).

    Raises:
        InvalidArgumentError: a constraint's predicate does not resolve on ``df``.
    """
    columns = row_level_columns(df, constraints)
    return _select(df, ["*", *[outcome.alias(name) for name, _, outcome in columns]], columns)


def _select(
    df: DataFrame, exprs: list[Column | str], columns: list[tuple[str, Constraint, Column]]
) -> DataFrame:
    try:
        out = df.select(*exprs)
        out.schema  # noqa: B018 - resolve now so a bad predicate fails here, named
    except Exception as exc:  # noqa: BLE001 - an unresolvable user predicate is a bad argument
        names = ", ".join(c.name for _, c, _ in columns)
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise InvalidArgumentError(f"df: row-level results of [{names}] do not resolve: {first}") from None
    return out


def quarantine_rows(
    df: DataFrame,
    constraints: Sequence[Constraint],
    good: str | os.PathLike[str],
    bad: str | os.PathLike[str],
    mode: str = "append",
    failures_column: str = "failed_constraints",
) -> QuarantineResult:
    """Write rows passing every row-level constraint to Delta ``good`` and the others, with an array
    ``failures_column`` of failing constraint (column) names, to Delta ``bad``.

    The judged rows are cached once for both writes (the window of a uniqueness constraint is not
    recomputed) and the counts come from the Delta commits, not from extra scans.

    Raises:
        InvalidArgumentError: ``failures_column`` clashes with a column of ``df``, or ``good == bad``.
    """
    if not isinstance(failures_column, str) or not failures_column:
        raise InvalidArgumentError(f"failures_column: expected a column name, got {failures_column!r}")
    if failures_column.lower() in {c.lower() for c in df.columns}:
        raise InvalidArgumentError(f"failures_column: {failures_column!r} is already a column of df")
    if os.fspath(good) == os.fspath(bad):
        raise InvalidArgumentError(f"good, bad: expected two different tables, got {os.fspath(good)!r} twice")
    columns = row_level_columns(df, constraints)
    original = [quote(c) for c in df.columns]
    failures: Column = F.array().cast("array<string>")
    if columns:
        flags = F.array(*[F.when(~outcome, F.lit(name)) for name, _, outcome in columns])
        failures = F.filter(flags, lambda x: x.isNotNull())
    judged = _select(df, [*original, failures.alias(failures_column)], columns)
    judged = judged.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        passed = F.size(F.col(quote(failures_column))) == 0
        good_version = write_delta(judged.where(passed).select(*original), good, mode=mode)
        bad_version = write_delta(judged.where(~passed), bad, mode=mode)
    finally:
        judged.unpersist()
    result = QuarantineResult(
        good_version, bad_version, _rows_written(df, good_version), _rows_written(df, bad_version)
    )
    log.info(
        "quarantine: %d good rows -> %s, %d bad rows -> %s",
        result.good_rows,
        good_version,
        result.bad_rows,
        bad_version,
    )
    return result


def _rows_written(df: DataFrame, version: TableVersion) -> int:
    """Rows written by the commit ``version`` (Delta's ``numOutputRows`` operation metric)."""
    row = history(df.sparkSession, version.table).where(f"version = {version.version}").first()
    metrics = (row["operationMetrics"] or {}) if row is not None else {}
    return int(metrics.get("numOutputRows", 0))
