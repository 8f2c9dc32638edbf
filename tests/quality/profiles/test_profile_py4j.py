"""The profile jobs are built as SQL text: the Py4J round trips of a profile stay flat as columns grow
(built with pyspark.sql.functions they cost ~4 per function call, ~11 s for 200 columns), and the
values still equal pandas — NaN and NULL both missing, integers cast to double, strings tabulated. A
wide job 1 runs as several codegen'd chunks with the same numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from spark_mlops.quality.profiles import scans
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.profile import profile_columns

N = 300
PAIRS = 12  # 12 double, 12 int and 12 string columns


@pytest.fixture(scope="module")
def wide(spark):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    data: dict[str, list[Any]] = {}
    for j in range(PAIRS):
        x = rng.normal(j, 1.0 + j, N).tolist()
        x[::17] = [float("nan")] * len(x[::17])  # NaN is missing, like NULL
        x[3::29] = [None] * len(x[3::29])
        data[f"x{j}"] = x
        data[f"i{j}"] = [int(v) for v in rng.integers(-50, 50 + j, N)]
        s: list[Any] = [f"v{v}" for v in rng.integers(0, 5 + j, N)]
        s[::13] = [None] * len(s[::13])
        data[f"s{j}"] = s
    names = list(data)
    schema = ", ".join(
        f"{n} {'double' if n[0] == 'x' else 'bigint' if n[0] == 'i' else 'string'}" for n in names
    )
    rows = list(zip(*(data[n] for n in names), strict=True))
    df = spark.createDataFrame(rows, schema).cache()
    df.count()
    pdf = pd.DataFrame(data, columns=names)
    return pdf, df


def test_py4j_calls_stay_flat_as_columns_grow(spark, py4j_calls, wide, count_jobs) -> None:  # type: ignore[no-untyped-def]
    pdf, df = wide
    few = ["x0", "i0", "s0"]
    profile_columns(df, few)  # warm-up: first-use lookups on the JVM side
    with py4j_calls() as small:
        profile_columns(df, few)
    with count_jobs() as jobs, py4j_calls() as large:
        p = profile_columns(df)
    # 36 columns (181 aggregates in job 1, 36 frequency tables in job 2) cost the calls of 3 columns plus
    # one more codegen'd chunk of job 1 (<= 100 aggregates each: 91 + 90): every expression travels as
    # SQL text; a chunk costs a fixed ~27 calls (its SQL conf and job description set and put back, the
    # aggregation and its collect) whatever its number of columns; only the rows coming back grow.
    # (65 and 65 at commit 33b0f2b with one chunk; 876 and 8,631 with the pyspark.sql.functions build.)
    assert jobs.count == 3  # job 1 in 2 chunks, then job 2
    assert large[0] <= small[0] + 4 + 30 and large[0] < 150, (small[0], large[0])
    assert p.row_count == N
    for name in pdf.columns:
        d, col = p.columns[name], pdf[name]
        if name[0] == "s":
            assert isinstance(d, CategoricalDistribution) and not d.truncated
            assert d.counts == col.value_counts().to_dict(), name
            assert d.missing == int(col.isna().sum())
            continue
        values = col.dropna().astype(float)  # NaN and None are both dropped by pandas
        assert isinstance(d, NumericDistribution) and d.exact, name
        assert (d.count, d.missing) == (len(values), N - len(values)), name
        assert d.integral == (name[0] == "i")
        assert d.mean == pytest.approx(values.mean(), rel=1e-12), name
        assert d.std == pytest.approx(values.std(ddof=0), rel=1e-12), name
        assert (d.minimum, d.maximum) == (values.min(), values.max()), name
        expected = values.value_counts().sort_index()
        assert d.points.tolist() == expected.index.tolist(), name
        assert d.weights.tolist() == expected.to_numpy(dtype=float).tolist(), name


def test_wide_job_1_runs_in_codegen_chunks_with_the_same_numbers(
    spark, wide, count_jobs, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    pdf, df = wide
    whole = profile_columns(df)
    # 181 aggregates (row count; 6 per numeric column, 3 per string column) in the fewest balanced chunks
    # of at most 60 that keep each column's aggregates together: 49 + 48 + 48 + 36, i.e. 4 jobs, then job 2.
    monkeypatch.setattr(scans, "_CODEGEN_MAX_AGGREGATES", 60)
    with count_jobs() as jobs:
        chunked = profile_columns(df)
    assert jobs.count == 5
    assert spark.conf.get(scans.CODEGEN_MAX_FIELDS, None) is None  # raised per chunk, then put back
    assert chunked.row_count == whole.row_count == N
    for name in pdf.columns:
        assert chunked.columns[name].to_json() == whole.columns[name].to_json(), name
