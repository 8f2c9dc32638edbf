"""An abalone-like regression table (the seed's pipeline example), generated on the executors.

The public UCI abalone data predicts the number of shell rings from sex and body measurements; the seed's
pipeline registers its model only if the evaluation ``mse <= 6.0``. Nothing is downloaded here: rows are
drawn from a latent age ``a`` in [0, 1] with measurements that grow with it (weights roughly with
length³) and ``rings = 3 + 14·a + N(0, noise²)``, so a linear model reaches an MSE close to ``noise²``
(≈ 3.2 with the default noise) — the same order as models on the real data. Every value is a pure
function of ``(seed, id)`` (``xxhash64``), so the table does not depend on the partitioning.
"""

from __future__ import annotations

import math

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.errors import InvalidArgumentError

__all__ = ["ABALONE_COLUMNS", "generate_abalone"]

#: Output columns, in order (UCI abalone names in snake_case, ``rings`` is the label).
ABALONE_COLUMNS: tuple[str, ...] = (
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
    "rings",
)


def _uniform(seed: int, salt: int) -> Column:
    # 53 random bits of a 64-bit hash -> a double in [0, 1)
    bits = F.shiftrightunsigned(F.xxhash64(F.lit(seed), F.lit(salt), F.col("id")), 11)
    return bits.cast("double") / F.lit(float(2**53))


def _normal(seed: int, salt: int) -> Column:
    # Box-Muller on two independent uniforms; 1 - u keeps the log argument in (0, 1].
    u1 = F.lit(1.0) - _uniform(seed, salt)
    u2 = _uniform(seed, salt + 1000)
    return F.sqrt(F.lit(-2.0) * F.log(u1)) * F.cos(F.lit(2 * math.pi) * u2)


def generate_abalone(spark: SparkSession, rows: int, seed: int = 7, noise: float = 1.8) -> DataFrame:
    """Generate ``rows`` abalone-like rows.

    Args:
        spark: The session.
        rows: Number of rows (> 0).
        seed: Same seed, same table.
        noise: Standard deviation of the ring count around its expected value.

    Returns:
        A DataFrame with :data:`ABALONE_COLUMNS`.
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
        raise InvalidArgumentError(f"rows: expected a positive integer, got {rows!r}")
    if not noise >= 0:
        raise InvalidArgumentError(f"noise: expected a non-negative number, got {noise!r}")
    age = F.sqrt(_uniform(seed, 1))  # more adults than juveniles, as in the real data
    df = spark.range(rows).withColumn("a", age)
    length = F.lit(0.15) + F.lit(0.6) * F.col("a") + F.lit(0.03) * _normal(seed, 2)
    df = df.withColumn("length", F.greatest(F.lit(0.075), length))
    df = df.withColumn("diameter", F.lit(0.8) * F.col("length") + F.lit(0.02) * _normal(seed, 3))
    df = df.withColumn("height", F.lit(0.34) * F.col("length") + F.lit(0.015) * _normal(seed, 4))
    whole = F.lit(4.5) * F.pow(F.col("length"), 3) * (F.lit(1.0) + F.lit(0.08) * _normal(seed, 5))
    df = df.withColumn("whole_weight", F.greatest(F.lit(0.002), whole))
    for name, share, salt in (
        ("shucked_weight", 0.43, 6),
        ("viscera_weight", 0.22, 7),
        ("shell_weight", 0.29, 8),
    ):
        df = df.withColumn(
            name, F.col("whole_weight") * F.lit(share) * (F.lit(1.0) + F.lit(0.1) * _normal(seed, salt))
        )
    sex_u = _uniform(seed, 9)
    sex = F.when(F.col("a") < F.lit(0.45) + F.lit(0.2) * sex_u - F.lit(0.1), F.lit("I")).otherwise(
        F.when(sex_u < 0.5, F.lit("M")).otherwise(F.lit("F"))
    )
    rings = F.greatest(
        F.lit(1), F.round(F.lit(3.0) + F.lit(14.0) * F.col("a") + F.lit(noise) * _normal(seed, 10))
    )
    df = df.withColumn("sex", sex).withColumn("rings", rings.cast("int"))
    return df.select(
        *[F.round(F.col(c), 4).alias(c) if c not in ("sex", "rings") else F.col(c) for c in ABALONE_COLUMNS]
    )
