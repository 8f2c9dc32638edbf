"""Feature engineering for the reviews table: the seed's "helpful review" classifier.

The label is ``helpful = helpful_votes / total_votes >= 0.5`` (reviews with no votes are dropped: their
helpfulness is unknown). Features are what a reviews team would use on the first day: marketplace and
product category (one-hot), star rating and its distance from the middle, vote volume (log), vine and
verified-purchase flags and the review body's length in words. The fitted Spark ML ``PipelineModel`` is
saved and logged so batch inference applies exactly the same transformation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import OneHotEncoder, SQLTransformer, StringIndexer, VectorAssembler
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError

__all__ = [
    "FEATURE_COLUMNS",
    "FEATURE_SQL",
    "LABEL_COLUMN",
    "PreparedReviews",
    "add_review_label",
    "clean_reviews",
    "feature_pipeline",
    "prepare_reviews",
]

log = logging.getLogger(__name__)

LABEL_COLUMN = "label"
#: Numeric features built by :data:`FEATURE_SQL` (before one-hot categorical columns).
FEATURE_COLUMNS: tuple[str, ...] = (
    "star_rating",
    "star_extremity",
    "log_total_votes",
    "is_vine",
    "is_verified",
    "body_words",
)
_REQUIRED = (
    "review_id",
    "marketplace",
    "product_category",
    "star_rating",
    "helpful_votes",
    "total_votes",
    "vine",
    "verified_purchase",
    "review_body",
)


def clean_reviews(df: DataFrame) -> DataFrame:
    """Drop rows a model cannot learn from: NULL ids/marketplaces, stars outside 1..5, no votes."""
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ColumnNotFoundError(f"df: reviews columns {missing} are missing (has {df.columns})")
    return df.where(
        "review_id IS NOT NULL AND marketplace IS NOT NULL AND product_category IS NOT NULL "
        "AND star_rating BETWEEN 1 AND 5 AND total_votes > 0 AND helpful_votes IS NOT NULL"
    )


#: Spark SQL of the numeric features, run as the first stage of the model (a ``SQLTransformer``) so the
#: deployed PipelineModel scores raw review rows: batch inference needs no separate feature step.
FEATURE_SQL = (
    "SELECT *, "
    "abs(CAST(star_rating AS DOUBLE) - 3.0) AS star_extremity, "
    "log1p(CAST(total_votes AS DOUBLE)) AS log_total_votes, "
    "CAST(vine = 'Y' AS DOUBLE) AS is_vine, "
    "CAST(verified_purchase = 'Y' AS DOUBLE) AS is_verified, "
    "CAST(size(split(coalesce(review_body, ''), ' ')) AS DOUBLE) AS body_words "
    "FROM __THIS__"
)


def add_review_label(df: DataFrame) -> DataFrame:
    """Add ``label`` = ``helpful_votes / total_votes >= 0.5`` (as 0.0/1.0)."""
    ratio = F.col("helpful_votes") / F.col("total_votes")
    return df.withColumn(LABEL_COLUMN, (ratio >= F.lit(0.5)).cast("double"))


def feature_pipeline() -> Pipeline:
    """Unfitted Spark ML pipeline: numeric features (SQL), index + one-hot the categoricals, assemble
    ``features``."""
    indexers = [
        StringIndexer(inputCol=c, outputCol=f"{c}_idx", handleInvalid="keep")
        for c in ("marketplace", "product_category")
    ]
    encoder = OneHotEncoder(
        inputCols=["marketplace_idx", "product_category_idx"],
        outputCols=["marketplace_vec", "product_category_vec"],
        handleInvalid="keep",
    )
    assembler = VectorAssembler(
        inputCols=[*FEATURE_COLUMNS, "marketplace_vec", "product_category_vec"],
        outputCol="features",
        handleInvalid="keep",
    )
    return Pipeline(stages=[SQLTransformer(statement=FEATURE_SQL), *indexers, encoder, assembler])


@dataclass(frozen=True)
class PreparedReviews:
    """Output of :func:`prepare_reviews`."""

    preprocessor: PipelineModel
    train: DataFrame
    test: DataFrame


def prepare_reviews(df: DataFrame, train_fraction: float = 0.8, seed: int = 42) -> PreparedReviews:
    """Clean, label and split the reviews, and fit the feature pipeline on the training part only.

    The split is by a hash of ``review_id`` (not ``randomSplit``), so it is the same whatever the
    partitioning and a review never moves between train and test when the table grows.
    """
    if not 0.0 < train_fraction < 1.0:
        raise InvalidArgumentError(f"train_fraction: expected a number in (0, 1), got {train_fraction}")
    labelled = add_review_label(clean_reviews(df))
    bucket = F.pmod(F.xxhash64(F.lit(seed), F.col("review_id")), F.lit(10_000)) / F.lit(10_000.0)
    with_bucket = labelled.withColumn("_split", bucket)
    train = with_bucket.where(F.col("_split") < train_fraction).drop("_split")
    test = with_bucket.where(F.col("_split") >= train_fraction).drop("_split")
    preprocessor = feature_pipeline().fit(train)
    log.info("fitted the reviews feature pipeline (train fraction %.2f)", train_fraction)
    return PreparedReviews(preprocessor, train, test)
