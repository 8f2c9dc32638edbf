"""Runs inside the bench-only Deequ virtualenv (pyspark 3.5, no spark_mlops): Deequ's VerificationSuite
with the seed suite over the same files, plus the same floors, in its own ``local[2]`` SparkSession.

    <deequ venv>/bin/python bench/peers/deequ_child.py '<json args>'

Prints one JSON line: ``{"timings": [{"engine", "workload", "seconds", "jobs", "verdicts"}...]}``.
Deequ's Scala lambdas (``Long => Boolean`` etc.) are Python objects behind a Py4J callback that implements
``scala.Function1`` (the approach PyDeequ takes; written here from Py4J's documented interface).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

from pyspark.java_gateway import ensure_callback_server_started
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

COLUMNS = ("star_rating", "review_id", "marketplace", "total_votes", "year")
MARKETPLACES = ("US", "UK", "DE", "JP", "FR")


class Fn1:
    """A Python callable seen by the JVM as ``scala.Function1``."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def apply(self, value: Any) -> Any:
        return self.fn(value)

    class Java:
        implements = ("scala.Function1",)


def timed(spark: SparkSession, fn: Any, repeat: int, warmup: bool) -> tuple[list[float], int, Any]:
    sc = spark.sparkContext
    if warmup:
        fn()
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench", interruptOnCancel=False)
    result = fn()
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
        sc.setLocalProperty(key, None)  # type: ignore[arg-type]
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, jobs, result


def main() -> None:
    args = json.loads(sys.argv[1])
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-deequ")
        .config("spark.jars", args["jars"])
        .config("spark.driver.memory", "6g")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    sc = spark.sparkContext
    ensure_callback_server_started(sc._gateway)
    jvm = sc._jvm
    deequ = jvm.com.amazon.deequ
    none = jvm.scala.Option.empty()
    # The Delta table's files as plain Parquet: the table has one commit (no removes), so the Parquet files
    # under it are exactly its rows; Deequ's Spark 3.5 cannot load Delta 4.x's protocol.
    df = spark.read.parquet(args["path"]).select(*COLUMNS).cache()
    df.count()
    rows, repeat, warmup = args["rows"], args["repeat"], args["warmup"]

    def check(unique: bool) -> Any:
        no_constraints = getattr(deequ.checks.Check, "apply$default$3")()
        c = deequ.checks.Check(deequ.checks.CheckLevel.Error(), "review check", no_constraints)
        c = c.hasSize(Fn1(lambda n: n >= rows), none)
        c = c.hasMin("star_rating", Fn1(lambda v: v == 1.0), none, none)
        c = c.hasMax("star_rating", Fn1(lambda v: v == 5.0), none, none)
        c = c.isComplete("review_id", none, none)
        if unique:
            c = c.isUnique("review_id", none, none)
        c = c.isComplete("marketplace", none, none)
        allowed = sc._gateway.new_array(jvm.java.lang.String, len(MARKETPLACES))
        for i, m in enumerate(MARKETPLACES):
            allowed[i] = m
        c = c.isContainedIn("marketplace", allowed)
        # The numeric overload's trailing Option parameters vary across Deequ 2.x: pad with None.
        arity = next(
            m.getParameterCount()
            for m in c.getClass().getMethods()
            if m.getName() == "isContainedIn" and m.getParameterTypes()[1].getName() == "double"
        )
        c = c.isContainedIn("total_votes", 30.0, 300.0, True, True, *([none] * (arity - 5)))
        arity = min(
            m.getParameterCount() for m in c.getClass().getMethods() if m.getName() == "isNonNegative"
        )
        return c.isNonNegative("year", Fn1(lambda v: v == 1.0), *([none] * (arity - 2)))

    def run(unique: bool) -> list[bool]:
        result = deequ.VerificationSuite().onData(df._jdf).addCheck(check(unique)).run()
        check_result = result.checkResults().head()._2()
        crs = check_result.constraintResults()
        return [crs.apply(i).status().toString() == "Success" for i in range(crs.size())]

    out = []
    floors = (
        ("bare scan", lambda: df.agg(F.count(F.lit(1)), *[F.count(c) for c in COLUMNS]).collect()),
        (
            "bare group-by",
            lambda: (
                df.groupBy("review_id")
                .count()
                .agg(F.sum(F.when(F.col("count") == 1, 1).otherwise(0)), F.sum("count"))
                .collect()
            ),
        ),
    )
    for name, fn in floors:
        seconds, jobs, _ = timed(spark, fn, repeat, warmup)
        out.append(
            {"engine": "deequ floor", "workload": name, "seconds": seconds, "jobs": jobs, "verdicts": []}
        )
    for workload in args["workloads"]:
        unique = workload == "b"
        seconds, jobs, verdicts = timed(spark, lambda u=unique: run(u), repeat, warmup)
        out.append(
            {"engine": "deequ", "workload": workload, "seconds": seconds, "jobs": jobs, "verdicts": verdicts}
        )
    sys.stdout.write("BENCH-JSON " + json.dumps({"timings": out, "spark": spark.version}) + "\n")
    sys.stdout.flush()
    spark.stop()


if __name__ == "__main__":
    main()
