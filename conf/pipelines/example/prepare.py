"""Example job: keep labelled rows of the raw table and add the squared feature."""

from pyspark.sql import functions as F


def main(ctx):  # type: ignore[no-untyped-def]
    df = ctx.input("raw").where(F.col("y").isNotNull()).withColumn("x2", F.col("x") * F.col("x"))
    ctx.write_output("clean", df)
    return {"rows": df.count()}
