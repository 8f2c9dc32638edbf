"""A writer process for the concurrency tests: saves N results into a repository, then exits.

Usage: python _concurrent_writer.py {file|delta} <location> <writer id> <count>

The process first builds its repository (a Delta writer starts a small Spark JVM), prints ``ready`` and
waits for a line on stdin, so the test can start the JVMs one after another and then release all
writers at once: the saves are concurrent, the JVM start-ups are not.
"""

from __future__ import annotations

import sys

from spark_mlops.quality.analyzers import Size
from spark_mlops.quality.metrics import Entity, Metric
from spark_mlops.quality.repository import DeltaMetricsRepository, FileSystemMetricsRepository, ResultKey
from spark_mlops.quality.runner import AnalyzerContext

# A writer only appends tiny frames: one core, a small heap and a JIT tuned for start-up are enough.
WRITER_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.databricks.delta.snapshotPartitions": "1",
    "spark.driver.memory": "600m",  # Spark refuses a heap under 450 MiB (INVALID_DRIVER_MEMORY)
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss4m",
    "spark.sql.session.timeZone": "UTC",
}


def main() -> None:
    kind, location, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if kind == "file":
        repo: FileSystemMetricsRepository | DeltaMetricsRepository = FileSystemMetricsRepository(location)
    else:
        from spark_mlops import get_spark

        spark = get_spark("repo-writer", master="local[1]", conf=WRITER_CONF)
        spark.sparkContext.setLogLevel("ERROR")
        spark.range(1).collect()  # warm the JVM before the race starts
        repo = DeltaMetricsRepository(spark, location, max_retries=30, backoff_s=0.05)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        value = float(writer * 1000 + i)
        ctx = AnalyzerContext(metric_map={Size(): Metric(Entity.DATASET, "*", "Size", value)})
        repo.save(ResultKey(i, {"writer": str(writer)}), ctx, run_status="Success")
    print("done", writer, flush=True)


if __name__ == "__main__":
    main()
