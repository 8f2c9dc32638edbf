"""Example job: MSE of the fixed model y_hat = slope * x, written as the evaluation report."""

from pyspark.sql import functions as F


def main(ctx):  # type: ignore[no-untyped-def]
    slope = float(ctx.args["slope"])
    row = ctx.input("data").select(F.avg((F.col("y") - F.col("x") * slope) ** 2).alias("mse")).first()
    mse = float(row["mse"])
    ctx.write_property_file("evaluation", {"regression_metrics": {"mse": {"value": mse}}})
    return {"mse": mse}
