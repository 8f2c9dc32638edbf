"""Incremental verification: appended versions merge stored states and equal a full recompute.

One module-scoped history (full run, two appends, an unchanged run) is verified once and shared by the
tests; every metric is checked against pandas on the rows written, and the last version also against the
engine's full recompute.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from spark_mlops.delta import TableVersion, read_delta
from spark_mlops.errors import DeltaVersionError, InvalidArgumentError
from spark_mlops.quality import VerificationSuite, incremental_groups, incremental_hashed
from spark_mlops.quality.analyzers import (
    ApproxCountDistinct,
    Completeness,
    CountDistinct,
    Distinctness,
    Entropy,
    Histogram,
    Maximum,
    Mean,
    Minimum,
    Size,
    StandardDeviation,
    Sum,
    Uniqueness,
    UniqueValueRatio,
)
from spark_mlops.quality.engine import compute_metrics
from spark_mlops.quality.incremental import DeltaStateRepository, incremental_metrics
from spark_mlops.quality.incremental_files import read_files
from spark_mlops.quality.incremental_groups import GroupingPlan, StoredGrouping
from spark_mlops.quality.repository.records import analyzer_spec_json

SCHEMA = "id long, a double, cat string"
SCAN = [
    Size(),
    Size(where="cat = 'x'"),
    Completeness("a"),
    Mean("a"),
    Sum("a"),
    Minimum("a"),
    Maximum("a"),
    StandardDeviation("a"),
]
# Hashed groupings: ("id",) shared by five analyzers, ("id", "cat") with partial NULLs, ("id",) in a where.
HASHED = [
    Uniqueness("id"),
    Distinctness("id"),
    UniqueValueRatio("id"),
    CountDistinct("id"),
    Entropy("id"),
    Uniqueness(["id", "cat"]),
    Uniqueness("id", where="cat = 'x'"),
]
# A value-keyed grouping (Histogram needs its bins), shared with Entropy.
VALUED = [Histogram("cat"), Entropy("cat")]
EXACT = SCAN + HASHED + VALUED
SKETCH = ApproxCountDistinct("id")


def _rows(ids: list[int | None], start: int) -> list[tuple[Any, ...]]:
    out = []
    for j, key in enumerate(ids):
        i = start + j
        out.append((key, None if i % 7 == 0 else float(i % 13), None if i % 17 == 0 else "xyz"[i % 3]))
    return out


# v0: ids 0..49 twice, 50..249 once, some NULL ids. v1: 200..249 go from 1 to 2 occurrences, 250..279
# are new, more NULLs. v2: 250..279 go from 1 to 2, 0..9 from 2 to 3, 280..289 are new.
V0 = _rows([None if i % 29 == 0 else i % 250 for i in range(300)], 0)
V1 = _rows([*range(200, 280), None, None], 300)
V2 = _rows([*range(250, 290), *range(10)], 400)


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "a", "cat"]).astype({"id": "Int64"})


def _grouping(counts: pd.Series, n: int) -> dict[str, float]:
    p = counts.to_numpy(dtype=float) / n
    return {
        "Uniqueness": float((counts == 1).sum()) / n,
        "Distinctness": len(counts) / n,
        "UniqueValueRatio": float((counts == 1).sum()) / len(counts),
        "CountDistinct": float(len(counts)),
        "Entropy": float(-(p * np.log(p)).sum()),
    }


def _reference(frame: pd.DataFrame) -> dict[Any, Any]:
    """Every metric of EXACT computed with pandas (Deequ semantics written out)."""
    a = frame["a"].dropna()
    ref: dict[Any, Any] = {
        Size(): float(len(frame)),
        Size(where="cat = 'x'"): float((frame["cat"] == "x").sum()),
        Completeness("a"): a.size / len(frame),
        Mean("a"): a.mean(),
        Sum("a"): a.sum(),
        Minimum("a"): a.min(),
        Maximum("a"): a.max(),
        StandardDeviation("a"): a.std(ddof=0),
    }
    ids = frame["id"].dropna()  # rows whose grouping columns are all NULL are dropped
    for name, value in _grouping(ids.value_counts(), ids.size).items():
        ref[{"Uniqueness": Uniqueness, "Distinctness": Distinctness, "UniqueValueRatio": UniqueValueRatio,
             "CountDistinct": CountDistinct, "Entropy": Entropy}[name]("id")] = value  # fmt: skip
    pairs = frame[frame["id"].notna() | frame["cat"].notna()]  # a partial NULL is a value
    pair_counts = pairs.groupby(["id", "cat"], dropna=False).size()
    ref[Uniqueness(["id", "cat"])] = float((pair_counts == 1).sum()) / len(pairs)
    in_x = frame.loc[frame["cat"] == "x", "id"].dropna()
    ref[Uniqueness("id", where="cat = 'x'")] = float((in_x.value_counts() == 1).sum()) / in_x.size
    cats = frame["cat"].dropna()
    ref[Entropy("cat")] = _grouping(cats.value_counts(), cats.size)["Entropy"]
    ref[Histogram("cat")] = frame["cat"].fillna("NullValue").value_counts().to_dict()
    return ref


def _assert_matches(metrics: dict[Any, Any], frame: pd.DataFrame) -> None:
    for analyzer, want in _reference(frame).items():
        got = metrics[analyzer].value
        if isinstance(analyzer, Histogram):
            assert {k: v.absolute for k, v in got.values.items()} == want
            assert got.number_of_bins == len(want)
            assert all(math.isclose(v.ratio, v.absolute / len(frame)) for v in got.values.values())
        else:
            # Σ c·ln c and float sums are added in another order than pandas: 1e-9 relative.
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (analyzer, got, want)
    # HLL++ sketches merge losslessly; within the sketch's error of the exact count.
    exact = frame["id"].nunique()
    assert abs(metrics[SKETCH].value - exact) <= 0.05 * exact


def _by_spec(spec: str) -> Any:
    return next(a for a in HASHED if analyzer_spec_json(a) == spec)


def _append(spark, path: str, rows, mode: str = "append") -> None:  # type: ignore[no-untyped-def]
    spark.createDataFrame(rows, SCHEMA).write.format("delta").mode(mode).save(path)


def _run(spark, path: str, repo: DeltaStateRepository, analyzers=None):  # type: ignore[no-untyped-def]
    suite = VerificationSuite(spark).on_delta(path).add_required_analyzers(analyzers or [*EXACT, SKETCH])
    return suite.incremental(repo).run()


@pytest.fixture(scope="module")
def history(spark, tmp_path_factory) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Full run on v0, incremental runs on v1 and v2, then an unchanged run (compaction every 2 appends)."""
    root = tmp_path_factory.mktemp("incremental")
    path = str(root / "table")
    repo = DeltaStateRepository(spark, root / "states")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(incremental_groups, "COMPACT_AFTER", 2)
        _append(spark, path, V0)
        runs = [_run(spark, path, repo)]
        for rows in (V1, V2):
            _append(spark, path, rows)
            runs.append(_run(spark, path, repo))
        runs.append(_run(spark, path, repo))
    yield {"path": path, "repo": repo, "runs": runs, "frames": [V0, V0 + V1, V0 + V1 + V2, V0 + V1 + V2]}


def test_first_run_scans_fully_and_matches_pandas(history) -> None:  # type: ignore[no-untyped-def]
    first = history["runs"][0]
    assert first.incremental.mode == "full" and "no stored states" in first.incremental.reason
    _assert_matches(first.metrics, _frame(history["frames"][0]))


def test_appends_are_incremental_and_exact(history) -> None:  # type: ignore[no-untyped-def]
    for version in (1, 2):
        result = history["runs"][version]
        info = result.incremental
        assert (info.mode, info.previous_version, info.version) == ("incremental", version - 1, version)
        assert info.appended_files >= 1
        _assert_matches(result.metrics, _frame(history["frames"][version]))


def test_unchanged_run_reuses_states(history) -> None:  # type: ignore[no-untyped-def]
    again = history["runs"][3]
    assert again.incremental.mode == "unchanged"
    _assert_matches(again.metrics, _frame(history["frames"][3]))


def test_incremental_equals_the_engines_full_recompute(spark, history) -> None:  # type: ignore[no-untyped-def]
    # The hashed groupings are the new part: compare them with the engine's own full path as well.
    full = compute_metrics(read_delta(spark, history["path"], version=2), HASHED)
    last = history["runs"][2].metrics
    for analyzer in HASHED:
        assert math.isclose(last[analyzer].value, full[analyzer].value, rel_tol=1e-9, abs_tol=1e-12), analyzer


def test_no_commit_per_run_and_compaction(spark, history) -> None:  # type: ignore[no-untyped-def]
    repo, path = history["repo"], history["path"]
    specs = [analyzer_spec_json(a) for a in [*HASHED, Histogram("cat")]]
    _, states = repo.latest(path, specs)
    stored = {spec: StoredGrouping.from_json(state) for spec, state in states.items()}
    # The three hashed groupings share one folder, ("cat",) keeps its values in another: plain Parquet
    # files listed by the state, no Delta table (so no commit per run).
    folders = repo.frequency_table_paths(path)
    assert len(folders) == 2 and {s.path for s in stored.values()} == set(folders)
    assert not any(os.path.exists(f"{folder}/_delta_log") for folder in folders)
    hashed = {spec: s for spec, s in stored.items() if spec != analyzer_spec_json(Histogram("cat"))}
    (files,) = {s.files for s in hashed.values()}
    # Two appends with COMPACT_AFTER = 2: the state lists only the compacted files, one row per group.
    assert files and all(f.startswith("c-") for f in files)
    (folder,) = {s.path for s in hashed.values()}
    counts = read_files(spark, folder, files, "g string, h long, h2 long, cnt long").toPandas()
    assert not counts.duplicated(["g", "h", "h2"]).any()
    for spec, grouping in hashed.items():
        mine = counts[counts["g"] == GroupingPlan.of([_by_spec(spec)]).group_id]["cnt"]
        summary = grouping.summary
        assert (int(mine.sum()), len(mine), int((mine == 1).sum())) == (
            summary.num_rows,
            summary.num_groups,
            summary.num_singletons,
        )
    valued = stored[analyzer_spec_json(Histogram("cat"))]
    assert valued.files and all(f.startswith("c-") for f in valued.files)
    cats = read_files(spark, valued.path, valued.files, "k0 string, cnt long").toPandas()
    frame = _frame(history["frames"][2])
    assert dict(zip(cats["k0"].fillna("NULL"), cats["cnt"], strict=True)) == (
        frame["cat"].fillna("NULL").value_counts().to_dict()
    )
    # One state document per run that computed something (the unchanged run stores nothing).
    assert len(os.listdir(repo._folder(path))) == len(history["runs"]) - 1


def test_unchanged_hashed_and_scan_states_need_no_spark_job(spark, history, count_jobs) -> None:  # type: ignore[no-untyped-def]
    with count_jobs() as jobs:
        metrics, info = incremental_metrics(
            spark, TableVersion(history["path"], 2), [*SCAN, *HASHED], history["repo"]
        )
    assert info.mode == "unchanged" and jobs.count == 0
    _assert_matches({**history["runs"][2].metrics, **metrics}, _frame(history["frames"][2]))


def test_full_scan_fallbacks_then_one_append_costs_three_jobs_or_one(
    spark, tmp_path: Path, count_jobs
) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "table")
    repo = DeltaStateRepository(spark, tmp_path / "states")
    analyzers = [Mean("a"), Uniqueness("id")]
    _append(spark, path, V0[:100])
    _run(spark, path, repo, analyzers)
    spark.sql(f"UPDATE delta.`{path}` SET a = a + 100 WHERE id < 10")
    result = _run(spark, path, repo, analyzers)
    assert result.incremental.mode == "full" and "UPDATE" in result.incremental.reason
    frame = _frame(V0[:100])
    frame.loc[frame["id"] < 10, "a"] += 100
    assert math.isclose(result.metrics[Mean("a")].value, frame["a"].mean())

    # Files an interrupted or concurrent run left in the counts folder are listed by no state: ignored.
    (freq,) = repo.frequency_table_paths(path)
    spark.createDataFrame([("x", 1, 2, 5)], "g string, h long, h2 long, cnt long").write.parquet(
        f"{freq}/a-left"
    )
    _append(spark, path, V1)
    kept = _run(spark, path, repo, analyzers)
    assert kept.incremental.mode == "incremental"
    both = pd.concat([frame, _frame(V1)])
    ids = both["id"].dropna()
    uniqueness = (ids.value_counts() == 1).sum() / ids.size
    assert math.isclose(kept.metrics[Uniqueness("id")].value, uniqueness)

    # A listed file that is gone cannot be continued: a full scan says so and rebuilds the counts.
    spec = analyzer_spec_json(Uniqueness("id"))
    listed = StoredGrouping.from_json(repo.latest(path, [spec])[1][spec])
    assert listed is not None
    os.remove(f"{freq}/{listed.files[0]}")
    stale = _run(spark, path, repo, analyzers)
    assert stale.incremental.mode == "full" and "missing" in stale.incremental.reason
    assert math.isclose(stale.metrics[Uniqueness("id")].value, uniqueness)
    assert math.isclose(stale.metrics[Mean("a")].value, both["a"].mean())

    # OPTIMIZE rewrites files without changing a row: append-only with nothing to scan.
    spark.sql(f"OPTIMIZE delta.`{path}`")
    optimized = _run(spark, path, repo, analyzers)
    assert (optimized.incremental.mode, optimized.incremental.appended_files) == ("incremental", 0)
    assert math.isclose(optimized.metrics[Uniqueness("id")].value, uniqueness)
    assert math.isclose(optimized.metrics[Mean("a")].value, both["a"].mean())

    # The fixed cost of a small append is what this feature is about: one incremental run is 3 Spark
    # jobs (the appended counts, which also observe the scan aggregates; the broadcast of the appended
    # keys; the correction), no Delta commit, no Delta snapshot, one state document. Here with the
    # paths of appends and stored counts too large for the driver (a shuffle and a Spark write of the
    # counts; the correction as a Spark join).
    _append(spark, path, V2)
    suite = VerificationSuite(spark).on_delta(path).add_required_analyzers(analyzers).incremental(repo)
    documents = len(os.listdir(repo._folder(path)))
    with count_jobs() as jobs, pytest.MonkeyPatch.context() as patch:
        patch.setattr(incremental_hashed, "DRIVER_COUNTS", 0)
        patch.setattr(incremental_hashed, "DRIVER_MATCH_GROUPS", 0)
        appended = suite.run()
    assert appended.incremental.mode == "incremental" and jobs.count == 3
    assert len(os.listdir(repo._folder(path))) == documents + 1
    assert not os.path.exists(f"{freq}/_delta_log")
    three = pd.concat([both, _frame(V2)])
    ids = three["id"].dropna()
    assert math.isclose(appended.metrics[Uniqueness("id")].value, (ids.value_counts() == 1).sum() / ids.size)
    assert math.isclose(appended.metrics[Mean("a")].value, three["a"].mean())

    # Ids above every stored one (the Delta statistics of the appended file prove it): all appended
    # groups are new, so there is no correction: 1 job (the appended rows' key hashes, counted and
    # written by the driver).
    four = _append_one_job(
        spark, path, repo, analyzers, three, _rows([*range(1000, 1020), 1000, None], 500), count_jobs
    )
    # Ids on both sides of the stored ones and repeating stored ones (once, twice, in several stored
    # files): the driver matches them against the stored counts itself, so still 1 job.
    _append_one_job(
        spark,
        path,
        repo,
        analyzers,
        four,
        _rows([-5, -5, 3, 3, 12, 1000, 1000, 1019, 2000, None], 600),
        count_jobs,
    )


def _append_one_job(spark, path, repo, analyzers, before: pd.DataFrame, rows, count_jobs) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Append ``rows``, verify incrementally in exactly one Spark job, check against pandas; all rows."""
    _append(spark, path, rows)
    suite = VerificationSuite(spark).on_delta(path).add_required_analyzers(analyzers).incremental(repo)
    with count_jobs() as jobs:
        result = suite.run()
    assert result.incremental.mode == "incremental" and jobs.count == 1
    after = pd.concat([before, _frame(rows)])
    ids = after["id"].dropna()
    assert math.isclose(result.metrics[Uniqueness("id")].value, (ids.value_counts() == 1).sum() / ids.size)
    assert math.isclose(result.metrics[Mean("a")].value, after["a"].mean())
    return after


def test_uri_root_keeps_states_in_a_delta_table(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A URI root (object store, DBFS, file://) keeps the states as rows of a Delta table.
    repo = DeltaStateRepository(spark, f"file://{tmp_path / 'states'}")
    grouping = {"type": "DeltaGrouping", "path": "/t/f", "table_version": 4, "appends": 1, "summary": None}
    repo.save("/t", 3, {"a": {"n": 1}, "b": {"n": 2}})
    repo.save("/t", 5, {"a": {"n": 3}, "g": grouping})  # newest, but without "b"
    repo.save("/t", 3, {"a": {"n": 4}, "b": {"n": 5}})  # version 3 verified again: the newest write wins
    assert repo.latest("/t", ["a", "b"]) == (3, {"a": {"n": 4}, "b": {"n": 5}})
    assert repo.latest("/t", ["a"]) == (5, {"a": {"n": 3}})
    assert repo.latest("/other", ["a"]) is None
    assert repo.frequency_table_paths("/t") == ["/t/f"]
    assert spark.read.format("delta").load(repo.states_table).count() == 6  # queryable with SQL


def test_incremental_needs_a_delta_table(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = DeltaStateRepository(spark, tmp_path / "states")
    with pytest.raises(InvalidArgumentError, match="on_delta"):
        VerificationSuite(spark).on_data(spark.range(3)).add_required_analyzer(Size()).incremental(repo).run()
    with pytest.raises(InvalidArgumentError, match="state_repository"):
        VerificationSuite(spark).incremental("states")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="root"):
        DeltaStateRepository(spark, " ")


def test_on_delta_resolves_the_version_without_a_spark_job(spark, history, count_jobs) -> None:  # type: ignore[no-untyped-def]
    # The suite's version lookup is a fixed cost of every run: a listing of _delta_log (in
    # spark_mlops.delta), no DESCRIBE HISTORY; the read is pinned to the version it returns.
    path = history["path"]
    with count_jobs() as jobs:
        suite = VerificationSuite(spark).on_delta(path)
    assert jobs.count == 0 and suite._source == TableVersion(path, 2)
    assert suite._data.count() == len(history["frames"][2])
    with pytest.raises(DeltaVersionError, match="no version 9"):
        VerificationSuite(spark).on_delta(path, version=9)


def test_a_where_that_stops_analyzing_fails_alone_on_an_append(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # An append checks its hashed groupings one by one only when their shared job fails. A session
    # function that is gone by the next run makes one where stop analyzing: that grouping fails with
    # the function's name, the others stay incremental and exact.
    path = str(tmp_path / "table")
    repo = DeltaStateRepository(spark, tmp_path / "states")
    spark.sql("CREATE OR REPLACE TEMPORARY FUNCTION in_x(c STRING) RETURNS BOOLEAN RETURN c = 'x'")
    bad = Uniqueness("id", where="in_x(cat)")
    analyzers = [Mean("a"), Uniqueness("id"), Uniqueness(["id", "cat"]), bad]
    _append(spark, path, V0)
    first = _run(spark, path, repo, analyzers)
    frame = _frame(V0)
    in_x = frame.loc[frame["cat"] == "x", "id"].dropna()
    assert math.isclose(first.metrics[bad].value, (in_x.value_counts() == 1).sum() / in_x.size)
    spark.sql("DROP TEMPORARY FUNCTION in_x")
    _append(spark, path, V1)
    result = _run(spark, path, repo, analyzers)
    assert result.incremental.mode == "incremental"
    assert not result.metrics[bad].is_success and "in_x" in str(result.metrics[bad].failure)
    both = pd.concat([frame, _frame(V1)])
    ids = both["id"].dropna()
    assert math.isclose(result.metrics[Uniqueness("id")].value, (ids.value_counts() == 1).sum() / ids.size)
    pairs = both[both["id"].notna() | both["cat"].notna()]  # a partial NULL is a value
    pair_counts = pairs.groupby(["id", "cat"], dropna=False).size()
    assert math.isclose(
        result.metrics[Uniqueness(["id", "cat"])].value, (pair_counts == 1).sum() / len(pairs)
    )
    assert math.isclose(result.metrics[Mean("a")].value, both["a"].mean())
