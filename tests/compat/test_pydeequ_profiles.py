"""PyDeequ's column profiler flow through the adapter: same profiles as the native runner, numbers
checked against pandas."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from spark_mlops.compat.pydeequ.profiles import ColumnProfilerRunner
from spark_mlops.quality.profiling import ColumnProfilerRunner as NativeRunner


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    pdf = pd.DataFrame(
        {
            "amount": rng.normal(50.0, 10.0, n),
            "grade": rng.choice(["a", "b", "c"], n),
            "code": rng.integers(0, 100, n).astype(str),
        }
    )
    pdf.loc[pdf.index % 6 == 0, "grade"] = None
    return pdf


def test_profiles_match_native_and_pandas(spark, frame) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(frame)
    result = ColumnProfilerRunner(spark).onData(df).withLowCardinalityHistogramThreshold(10).run()
    native = NativeRunner(spark).on_data(df).with_low_cardinality_histogram_threshold(10).run()

    assert result.numRecords == len(frame)
    assert set(result.profiles) == {"amount", "grade", "code"}
    # KLL compaction is randomized, so two runs may differ in the percentiles only.
    for name, profile in result.profiles.items():
        assert replace(profile.native, approx_percentiles=None) == replace(
            native[name], approx_percentiles=None
        )

    amount = result.profiles["amount"]
    assert amount.completeness == 1.0
    assert amount.mean == pytest.approx(frame["amount"].mean())
    assert amount.stdDev == pytest.approx(np.std(frame["amount"], ddof=0))  # Deequ: population std
    assert amount.minimum == pytest.approx(frame["amount"].min())
    assert amount.maximum == pytest.approx(frame["amount"].max())
    assert amount.sum == pytest.approx(frame["amount"].sum())
    # The 50 % percentile is a data value whose rank is within the sketch's error (≈ 1.65 % at k = 200).
    median_rank = (frame["amount"] <= amount.approxPercentiles[49]).mean()
    assert abs(median_rank - 0.5) <= 0.05

    grade = result.profiles["grade"]
    assert grade.completeness == pytest.approx(frame["grade"].notna().mean())
    assert grade.dataType == "String"
    counts = frame["grade"].value_counts()
    assert grade.histogram is not None
    for value, count in counts.items():
        assert grade.histogram[value][0] == count
    assert grade.approximateNumDistinctValues == pytest.approx(frame["grade"].nunique(), abs=1)

    # Integers written as text are inferred Integral, as Deequ does.
    code = result.profiles["code"]
    assert code.dataType == "Integral" and code.isDataTypeInferred
