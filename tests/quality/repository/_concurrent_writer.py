"""A writer process for the concurrency tests: saves N results into a repository, then exits.

Usage: python _concurrent_writer.py {file|delta} <location> <writer id> <count>
"""

from __future__ import annotations

import sys

from spark_mlops.quality.analyzers import Size
from spark_mlops.quality.metrics import Entity, Metric
from spark_mlops.quality.repository import DeltaMetricsRepository, FileSystemMetricsRepository, ResultKey
from spark_mlops.quality.runner import AnalyzerContext


def main() -> None:
    kind, location, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if kind == "file":
        repo = FileSystemMetricsRepository(location)
    else:
        from spark_mlops import get_spark

        spark = get_spark(
            "repo-writer",
            master="local[1]",
            conf={
                "spark.ui.enabled": "false",
                "spark.sql.shuffle.partitions": "1",
                "spark.driver.memory": "512m",
                "spark.sql.session.timeZone": "UTC",
            },
        )
        spark.sparkContext.setLogLevel("ERROR")
        repo = DeltaMetricsRepository(spark, location, max_retries=30, backoff_s=0.05)
    for i in range(count):
        value = float(writer * 1000 + i)
        ctx = AnalyzerContext(metric_map={Size(): Metric(Entity.DATASET, "*", "Size", value)})
        repo.save(ResultKey(i, {"writer": str(writer)}), ctx, run_status="Success")
    print("done", writer)


if __name__ == "__main__":
    main()
