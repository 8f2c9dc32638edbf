"""Runs inside the bench-only Deequ virtualenv (pyspark 3.5, no spark_mlops): Deequ's VerificationSuite
with the seed suite over the same files, plus the same floors, in its own ``local[2]`` SparkSession.

    <deequ venv>/bin/python bench/peers/deequ_child.py '<json args>'

Also, when asked, Deequ's ConstraintSuggestionRunner on the reviews columns (``d``) and its
ColumnProfilerRunner on the 200-column table (``c``, with a bare scan of that table as its floor).

Prints ``BENCH-SPARK <version>`` first, then one ``BENCH-ROW <json>`` line per case as soon as it is done
(``{"engine", "workload", "seconds", "jobs", "verdicts"}``; ``c`` carries ``completeness`` per column,
``d`` the number of ``suggestions``), so a run stopped half-way keeps the cases it finished; progress goes
to stderr. The seed-suite workloads (``a``, ``b``, ``u``) build their checks from the constraint keys the
parent sends, so every engine runs the same constraints in the same order.
Deequ's Scala lambdas (``Long => Boolean`` etc.) are Python objects behind a Py4J callback that implements
``scala.Function1`` (the approach PyDeequ takes; written here from Py4J's documented interface).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from pyspark.java_gateway import ensure_callback_server_started
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

# The repository root, so the child times its cases with the parent's own rule (bench.timing needs
# only the standard library and pyspark, both in the Deequ virtualenv).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.timing import timed

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


def log(text: str) -> None:
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} deequ child: {text}\n")
    sys.stderr.flush()


def emit(row: dict[str, Any]) -> None:
    """One finished case to the parent, at once."""
    sys.stdout.write("BENCH-ROW " + json.dumps(row) + "\n")
    sys.stdout.flush()
    log(f"{row['engine']} {row['workload']}: min {min(row['seconds']):.3f} s, {row['jobs']} job(s)")


def suggest(
    spark: SparkSession, deequ: Any, df: Any, repeat: int, warmup: bool, budget: float | None
) -> dict[str, Any]:
    """(d) Deequ's ConstraintSuggestionRunner with its default rules; the number of suggestions."""

    def run() -> int:
        rules = deequ.suggestions.Rules.DEFAULT()
        result = (
            deequ.suggestions.ConstraintSuggestionRunner().onData(df._jdf).addConstraintRules(rules).run()
        )
        per_column = result.constraintSuggestions().values().iterator()
        total = 0
        while per_column.hasNext():
            total += per_column.next().size()
        return total

    seconds, jobs, count = timed(spark, run, repeat, warmup, budget)
    return {"engine": "deequ", "workload": "d", "seconds": seconds, "jobs": jobs, "suggestions": count}


def profile(
    spark: SparkSession, deequ: Any, wide_path: str, repeat: int, warmup: bool, budget: float | None
) -> None:
    """(c) Deequ's ColumnProfilerRunner on the wide table (cached), and its bare scan of all columns."""
    wide = spark.read.parquet(wide_path).cache()
    wide.count()
    bare = lambda: wide.agg(F.count(F.lit(1)), *[F.count(c) for c in wide.columns]).collect()  # noqa: E731
    seconds, jobs, _ = timed(spark, bare, repeat, warmup, budget)
    emit({"engine": "deequ floor", "workload": "bare scan, 200 columns", "seconds": seconds, "jobs": jobs})

    def run() -> dict[str, float]:
        profiles = deequ.profiles.ColumnProfilerRunner().onData(wide._jdf).run()
        entries = profiles.profiles().iterator()
        completeness = {}
        while entries.hasNext():
            entry = entries.next()
            completeness[entry._1()] = float(entry._2().completeness())
        return completeness

    log("(c) ColumnProfilerRunner: start")
    seconds, jobs, completeness = timed(spark, run, repeat, warmup, budget)
    wide.unpersist()
    emit({"engine": "deequ", "workload": "c", "seconds": seconds, "jobs": jobs, "completeness": completeness})


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
    rows, repeat, warmup, budget = args["rows"], args["repeat"], args["warmup"], args.get("budget")
    sys.stdout.write(f"BENCH-SPARK {spark.version}\n")

    def check(wanted: list[str]) -> Any:
        no_constraints = getattr(deequ.checks.Check, "apply$default$3")()
        c = deequ.checks.Check(deequ.checks.CheckLevel.Error(), "review check", no_constraints)
        for key in wanted:
            c = constrain(c, key)
        return c

    def constrain(c: Any, key: str) -> Any:
        """Add the constraint of one key (``bench.run.CONSTRAINTS``) to Deequ check ``c``."""
        if key == "size >= rows":
            return c.hasSize(Fn1(lambda n: n >= rows), none)
        if key == "min(star_rating) == 1":
            return c.hasMin("star_rating", Fn1(lambda v: v == 1.0), none, none)
        if key == "max(star_rating) == 5":
            return c.hasMax("star_rating", Fn1(lambda v: v == 5.0), none, none)
        if key in ("complete(review_id)", "complete(marketplace)"):
            return c.isComplete(key[len("complete(") : -1], none, none)
        if key == "unique(review_id)":
            return c.isUnique("review_id", none, none)
        if key == "marketplace in MARKETPLACES":
            allowed = sc._gateway.new_array(jvm.java.lang.String, len(MARKETPLACES))
            for i, m in enumerate(MARKETPLACES):
                allowed[i] = m
            return c.isContainedIn("marketplace", allowed)
        if key == "total_votes in [30, 300]":
            # The numeric overload's trailing Option parameters vary across Deequ 2.x: pad with None.
            arity = next(
                m.getParameterCount()
                for m in c.getClass().getMethods()
                if m.getName() == "isContainedIn" and m.getParameterTypes()[1].getName() == "double"
            )
            return c.isContainedIn("total_votes", 30.0, 300.0, True, True, *([none] * (arity - 5)))
        if key == "year >= 0":
            arity = min(
                m.getParameterCount() for m in c.getClass().getMethods() if m.getName() == "isNonNegative"
            )
            return c.isNonNegative("year", Fn1(lambda v: v == 1.0), *([none] * (arity - 2)))
        raise ValueError(f"unknown constraint key {key!r}")

    def run(wanted: list[str]) -> list[bool]:
        result = deequ.VerificationSuite().onData(df._jdf).addCheck(check(wanted)).run()
        check_result = result.checkResults().head()._2()
        crs = check_result.constraintResults()
        return [crs.apply(i).status().toString() == "Success" for i in range(crs.size())]

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
        seconds, jobs, _ = timed(spark, fn, repeat, warmup, budget)
        emit({"engine": "deequ floor", "workload": name, "seconds": seconds, "jobs": jobs, "verdicts": []})
    for workload in [w for w in args["workloads"] if w in "abu"]:
        wanted = args["keys"][workload]
        seconds, jobs, verdicts = timed(spark, lambda k=wanted: run(k), repeat, warmup, budget)
        emit(
            {"engine": "deequ", "workload": workload, "seconds": seconds, "jobs": jobs, "verdicts": verdicts}
        )
    if "d" in args["workloads"]:
        emit(suggest(spark, deequ, df, repeat, warmup, budget))
    if "c" in args["workloads"] and args.get("wide_path"):
        df.unpersist()
        profile(spark, deequ, args["wide_path"], repeat, warmup, budget)
    sys.stdout.write("BENCH-DONE\n")
    sys.stdout.flush()
    spark.stop()


if __name__ == "__main__":
    main()
