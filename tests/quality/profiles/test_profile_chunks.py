"""Job 1's aggregates are packed into the fewest codegen'd chunks of about equal size (no Spark needed:
the packing is plain Python; test_profile_py4j checks that a chunked profile gives the same numbers)."""

from __future__ import annotations

import math

import pytest

from spark_mlops.quality.profiles import scans


def _groups(sizes: list[int]) -> list[list[tuple[str, str]]]:
    return [[(f"a{g}_{k}", "count(1)") for k in range(size)] for g, size in enumerate(sizes)]


@pytest.mark.parametrize(
    ("sizes", "limit", "expected"),
    [
        # drift against a baseline at the benchmark's shape: row count, 50 x 5 moments, 10 x 3
        ([1] + [5] * 50 + [3] * 10, scans._CODEGEN_MAX_AGGREGATES, [96, 95, 90]),
        # a baseline: the same with a discreteness bitmap per numeric column
        ([1] + [6] * 50 + [3] * 10, scans._CODEGEN_MAX_AGGREGATES, [85, 84, 84, 78]),
        ([1] + [6] * 24 + [3] * 12, 60, [49, 48, 48, 36]),
        ([1] + [6] * 5, scans._CODEGEN_MAX_AGGREGATES, [31]),
    ],
)
def test_chunks_are_few_balanced_and_keep_columns_together(
    sizes: list[int], limit: int, expected: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scans, "_CODEGEN_MAX_AGGREGATES", limit)
    groups = _groups(sizes)
    chunks = scans._chunks(groups)
    assert [len(c) for c in chunks] == expected
    total = sum(sizes)
    assert len(chunks) == math.ceil(total / limit)  # the fewest chunks the limit allows
    assert all(len(c) <= limit for c in chunks)
    # Every aggregate once, in order, and no column's group split across two chunks.
    flat = [a for c in chunks for a in c]
    assert flat == [a for g in groups for a in g]
    where = {a[0]: k for k, c in enumerate(chunks) for a in c}
    assert all(len({where[a[0]] for a in g}) == 1 for g in groups)


def test_columns_from_the_delta_log_keep_their_chunk_count() -> None:
    # Drift at the benchmark's shape with count/min/max of n0-n31 from the Delta log: 1 + 32 x 2 + 18 x 5
    # = 155 aggregates would fit 2 chunks; they keep the 3 chunks of the 251 they replace (faster, measured).
    groups = _groups([1] + [2] * 32 + [5] * 18)
    chunks = scans._chunks(groups, at_least=3)
    assert [len(c) for c in chunks] == [53, 52, 50]
    assert [a for c in chunks for a in c] == [a for g in groups for a in g]


def test_a_column_larger_than_the_limit_gets_a_chunk_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scans, "_CODEGEN_MAX_AGGREGATES", 10)
    chunks = scans._chunks(_groups([3, 25, 4]))
    assert [len(c) for c in chunks] == [3, 25, 4]
