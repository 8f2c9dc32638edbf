"""Execution semantics on real Delta state: retries, timeout, crash + resume, caching, exactly-once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from pyspark.sql import functions as F

from spark_mlops.delta import current_version, is_delta_table, read_delta, write_delta
from spark_mlops.lineage import LineageStore, upstream_data
from spark_mlops.pipeline import (
    CacheConfig,
    ExecutionStatus,
    Pipeline,
    ProcessingStep,
    RetryPolicy,
    StepContext,
    StepStatus,
)

DAY = dt.date(2026, 11, 1)


class Calls:
    """Counts invocations of step code per step (shared across executions of a test)."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}

    def hit(self, name: str) -> int:
        self.count[name] = self.count.get(name, 0) + 1
        return self.count[name]


def test_retry_succeeds_on_second_attempt(spark, raw_table, tmp_path, home):
    calls = Calls()

    def flaky(ctx: StepContext) -> dict[str, float]:
        calls.hit("flaky")
        if ctx.attempt == 1:
            raise RuntimeError("transient failure")
        n = ctx.input("raw").count()
        ctx.write_output("copy", ctx.input("raw"))
        return {"rows": n}

    step = ProcessingStep(
        "flaky",
        flaky,
        inputs={"raw": raw_table},
        outputs={"copy": str(tmp_path / "copy")},
        retry_policy=RetryPolicy(max_attempts=3, backoff_seconds=0.01),
    )
    execution = Pipeline("retry", steps=[step], home=home, experiment_name="", lineage=False).start(
        logical_date=DAY
    )

    assert execution.status is ExecutionStatus.SUCCEEDED
    assert calls.count == {"flaky": 2}
    assert execution.step("flaky").attempts == 2
    assert execution.step("flaky").properties["metrics"]["rows"] == 200
    assert read_delta(spark, str(tmp_path / "copy")).count() == 200

    def always(ctx: StepContext) -> None:
        raise RuntimeError("boom")

    failing = ProcessingStep("always", always, retry_policy=RetryPolicy(max_attempts=2, backoff_seconds=0.0))
    failed = Pipeline("retry_fail", steps=[failing], home=home, experiment_name="", lineage=False).start()
    assert failed.status is ExecutionStatus.FAILED
    assert failed.failure_reason == "step 'always' failed: RuntimeError: boom"
    assert failed.step("always").attempts == 2


def test_timeout_fails_the_step(spark, home):
    release = threading.Event()

    def slow(ctx: StepContext) -> None:
        release.wait(5)

    step = ProcessingStep("slow", slow, timeout_seconds=0.3)
    execution = Pipeline("timeout", steps=[step], home=home, experiment_name="", lineage=False).start()
    release.set()
    assert execution.status is ExecutionStatus.FAILED
    assert execution.failure_reason == "step 'slow' failed: timed out after 0.3s"


def test_independent_steps_run_concurrently(spark, home):
    # Both steps must be inside the barrier at once: this only passes when they really overlap.
    barrier = threading.Barrier(2, timeout=60)

    def meet(ctx: StepContext) -> dict[str, float]:
        barrier.wait()
        return {"n": float(ctx.spark.range(10).count())}

    steps = [ProcessingStep("left", meet), ProcessingStep("right", meet)]
    execution = Pipeline(
        "parallel", steps=steps, home=home, experiment_name="", lineage=False, max_parallel_steps=2
    ).start()
    assert execution.status is ExecutionStatus.SUCCEEDED, execution.failure_reason
    assert execution.step("left").properties["metrics"]["n"] == 10


class RunnerKilled(BaseException):
    """Stands in for the runner process dying: not an Exception, so nothing records the execution's end."""


def commits(spark, table) -> int:  # type: ignore[no-untyped-def]
    """Number of Delta commits of ``table`` (0 when it does not exist)."""
    return current_version(spark, str(table)) + 1 if is_delta_table(spark, str(table)) else 0


def test_crash_then_resume_reruns_only_the_rest_without_duplicates(spark, raw_table, tmp_path, home):
    calls = Calls()
    crash_flag = tmp_path / "crash"
    crash_flag.touch()

    def extract(ctx: StepContext) -> None:
        calls.hit("extract")
        ctx.write_output("staged", ctx.input("raw").where("y IS NOT NULL"))

    def load(ctx: StepContext) -> None:
        calls.hit("load")
        ctx.write_output("final", ctx.input("staged").withColumn("y2", F.col("y") * 2))
        if crash_flag.exists():  # dies after its write committed: the worst moment for duplicates
            raise RunnerKilled("worker lost")

    e = ProcessingStep(
        "extract", extract, inputs={"raw": raw_table}, outputs={"staged": str(tmp_path / "staged")}
    )
    load_step = ProcessingStep(
        "load",
        load,
        inputs={"staged": e.properties.outputs["staged"]},
        outputs={"final": str(tmp_path / "final")},
    )
    pipeline = Pipeline("resumable", steps=[e, load_step], home=home, experiment_name="")
    execution_id = "crashed-1"
    with pytest.raises(RunnerKilled):
        pipeline.start(logical_date=DAY, execution_id=execution_id)
    # the runner died mid-execution: extract's record (one commit) is all the state there is
    assert commits(spark, home / "step_executions") == 1
    assert commits(spark, home / "pipeline_executions") == 0
    crashed = pipeline.describe_execution(execution_id)  # rebuilt from the step rows' execution header
    assert crashed.status is ExecutionStatus.EXECUTING and crashed.logical_date == DAY
    assert list(crashed.steps) == ["extract"]
    final_version = current_version(spark, str(tmp_path / "final"))

    crash_flag.unlink()
    resumed = pipeline.resume(execution_id)

    assert resumed.status is ExecutionStatus.SUCCEEDED, resumed.failure_reason
    assert resumed.execution_id == execution_id
    assert calls.count == {"extract": 1, "load": 2}  # extract was not re-run
    assert resumed.step("extract").status is StepStatus.SUCCEEDED
    final = read_delta(spark, str(tmp_path / "final"))
    assert final.count() == 190  # not 380: the repeated write was skipped by Delta's txnAppId/txnVersion
    assert final.select("id").distinct().count() == 190
    assert current_version(spark, str(tmp_path / "final")) == final_version
    recorded = pipeline.describe_execution(execution_id)
    assert recorded.status is ExecutionStatus.SUCCEEDED
    assert recorded.step("load").status is StepStatus.SUCCEEDED
    # state commits of the whole execution: one per working step, one for its end (was N + 2 + 3 tables)
    assert commits(spark, home / "step_executions") == 2
    assert commits(spark, home / "pipeline_executions") == 1
    assert not (home / "pipeline_callbacks").exists()
    # lineage is written once at the end (table creation + one MERGE); extract's, lost with the crash,
    # was re-added on resume
    assert commits(spark, home / "lineage" / "edges") == 2
    store = LineageStore(spark, str(home / "lineage"))
    load_action = recorded.step("load").properties["lineage_action_id"]
    staged = recorded.step("extract").properties["outputs"]["staged"]
    upstream = {(e.source_uri, e.version) for e in upstream_data(load_action, store)}
    assert upstream == {(str(tmp_path / "staged"), staged["version"]), (raw_table, 0)}


def test_cache_hits_on_unchanged_input_and_misses_after_append(spark, raw_table, tmp_path, home):
    calls = Calls()

    def summarize(ctx: StepContext) -> dict[str, float]:
        calls.hit("summarize")
        df = ctx.input("raw")
        ctx.write_output("summary", df.groupBy().agg(F.count("*").alias("n")))
        return {"n": float(df.count())}

    step = ProcessingStep(
        "summarize",
        summarize,
        inputs={"raw": raw_table},
        outputs={"summary": str(tmp_path / "summary")},
        cache_config=CacheConfig(enable_caching=True, expire_after="PT1H"),
    )
    pipeline = Pipeline("cached", steps=[step], home=home, experiment_name="", lineage=False)
    first = pipeline.start(logical_date=DAY)
    second = pipeline.start(logical_date=DAY)

    assert calls.count == {"summarize": 1}
    hit = second.step("summarize")
    assert hit.cache_hit and hit.cached_from == first.execution_id
    assert hit.cache_key == first.step("summarize").cache_key
    assert hit.properties["metrics"]["n"] == 200
    assert hit.properties["outputs"] == first.step("summarize").properties["outputs"]

    extra = spark.createDataFrame([(1000, 1.0, 2.0)], "id LONG, x DOUBLE, y DOUBLE")
    write_delta(extra, raw_table, mode="append")
    third = pipeline.start(logical_date=DAY)

    assert calls.count == {"summarize": 2}
    miss = third.step("summarize")
    assert not miss.cache_hit and miss.cache_key != hit.cache_key
    assert miss.properties["metrics"]["n"] == 201
    assert miss.properties["inputs"]["raw"]["version"] == 1
    counts = sorted(r["n"] for r in read_delta(spark, str(tmp_path / "summary")).collect())
    assert counts == [200, 201]  # new input data is written, not skipped as a duplicate


def test_rerun_of_same_logical_date_writes_exactly_once(spark, raw_table, tmp_path, home):
    def copy(ctx: StepContext) -> None:
        ctx.write_output("copy", ctx.input("raw"))

    step = ProcessingStep("copy", copy, inputs={"raw": raw_table}, outputs={"copy": str(tmp_path / "copy")})
    pipeline = Pipeline("scheduled", steps=[step], home=home, experiment_name="", lineage=False)
    pipeline.start(logical_date=DAY)
    again = pipeline.start(logical_date=DAY)
    assert again.status is ExecutionStatus.SUCCEEDED
    assert read_delta(spark, str(tmp_path / "copy")).count() == 200
    pipeline.start(logical_date=DAY + dt.timedelta(days=1))
    assert read_delta(spark, str(tmp_path / "copy")).count() == 400
