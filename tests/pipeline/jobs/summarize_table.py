"""spark-submit job of the SparkSubmitStep test: summarize a Delta table into a property file and a table.

Usage: spark-submit summarize_table.py INPUT_TABLE
"""

import json
import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

if __name__ == "__main__":
    spark = SparkSession.builder.getOrCreate()
    df = spark.read.format("delta").load(sys.argv[1])
    row = df.agg(F.count("*").alias("n"), F.sum("x").alias("sum_x"), F.count("y").alias("labelled")).first()
    stats = {
        "n": int(row["n"]),
        "sum_x": float(row["sum_x"]),
        "labelled": int(row["labelled"]),
        "master": spark.sparkContext.master,
    }
    with open(os.path.join(os.environ["SPARK_MLOPS_WORK_DIR"], "stats.json"), "w", encoding="utf-8") as fh:
        json.dump(stats, fh)
    outputs = json.loads(os.environ["SPARK_MLOPS_OUTPUTS"])
    spark.createDataFrame([(stats["n"], stats["sum_x"])], "n LONG, sum_x DOUBLE").write.format("delta").mode(
        "append"
    ).save(outputs["summary"])
    spark.stop()
