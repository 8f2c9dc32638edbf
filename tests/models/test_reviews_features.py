"""Reviews feature engineering: cleaning, the helpful label, a stable split and a learnable signal."""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.ml.classification import LogisticRegression
from sklearn.metrics import roc_auc_score

from spark_mlops.datasets import ReviewDefects, generate_reviews
from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.models.reviews import clean_reviews, prepare_reviews


def test_clean_label_split_and_signal(spark):
    raw = generate_reviews(
        spark,
        4000,
        seed=11,
        defects=ReviewDefects(null_rates={"marketplace": 0.02}, out_of_range_star_rate=0.01),
    )
    pdf = raw.toPandas()  # 4000 rows: the test's independent reference
    keep = pdf["marketplace"].notna() & pdf["star_rating"].between(1, 5) & (pdf["total_votes"] > 0)
    assert clean_reviews(raw).count() == int(keep.sum())

    prepared = prepare_reviews(raw, train_fraction=0.8, seed=3)
    train_ids = {r.review_id for r in prepared.train.select("review_id").collect()}
    test_ids = {r.review_id for r in prepared.test.select("review_id").collect()}
    assert not train_ids & test_ids
    assert len(train_ids) + len(test_ids) == int(keep.sum())
    assert 0.75 < len(train_ids) / keep.sum() < 0.85

    test_pdf = prepared.test.select("review_id", "label").toPandas().set_index("review_id")
    ref = pdf[keep].set_index("review_id")
    expected_label = (ref["helpful_votes"] / ref["total_votes"] >= 0.5).astype(float)
    assert (test_pdf["label"] == expected_label.loc[test_pdf.index]).all()

    model = LogisticRegression(maxIter=50).fit(prepared.preprocessor.transform(prepared.train))
    scored = model.transform(prepared.preprocessor.transform(prepared.test)).select("label", "probability")
    rows = scored.collect()
    auc = roc_auc_score([r.label for r in rows], [float(r.probability[1]) for r in rows])
    # The generator's helpfulness logit depends on the features, so a linear model must beat chance
    # clearly (0.5); a perfect score would mean a leak.
    assert 0.65 < auc < 0.95
    assert np.isfinite(auc)


def test_bad_inputs(spark):
    with pytest.raises(ColumnNotFoundError, match="review_body"):
        clean_reviews(spark.createDataFrame([(1,)], ["review_id"]))
    with pytest.raises(InvalidArgumentError, match="train_fraction"):
        prepare_reviews(generate_reviews(spark, 10), train_fraction=1.5)
