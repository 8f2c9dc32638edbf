"""bench.timing.timed_rounds on real Spark: job counts, interleaved and rotated order, the time budget."""

from __future__ import annotations

import time

from bench.timing import timed_rounds


def test_rounds_interleave_the_cases_and_rotate_their_order(spark) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def case(label: str, rows: int):  # type: ignore[no-untyped-def]
        def run() -> int:
            calls.append(label)
            return spark.range(rows).count()

        return run

    def slow() -> str:
        calls.append("slow")
        time.sleep(2.1)
        return "done"

    spark.range(1).count()  # a cold session's first job must not read as over the budget
    cases = [("a", case("a", 10)), ("slow", slow), ("b", case("b", 20))]
    out = timed_rounds(spark, cases, repeat=3, warmup=True, budget=2.0)
    # One job-counted warm-up each, then three rounds of the cases under the budget, rotated by one.
    assert calls == ["a", "slow", "b", "a", "b", "b", "a", "a", "b"]
    assert {label: (len(s), jobs, result) for label, (s, jobs, result) in out.items()} == {
        "a": (3, 1, 10),
        "slow": (1, 0, "done"),  # over the budget: its one cold run is its time
        "b": (3, 1, 20),
    }
    assert out["slow"][0][0] >= 2.1 and all(s > 0 for s in out["a"][0] + out["b"][0])

    calls.clear()
    # Without a warm-up the job-counted run is the first timed one.
    cold = timed_rounds(spark, cases[::2], repeat=2, warmup=False)
    assert calls == ["a", "b", "a", "b"]
    assert [len(cold[label][0]) for label in ("a", "b")] == [2, 2]
