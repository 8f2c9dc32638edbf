"""ColumnProfilerRunner: numbers vs pandas, Deequ string type inference, fixed job count on 200 columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_mlops.quality.profiling import ColumnProfilerRunner, infer_string_type


def test_profiles_match_pandas(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    n = 400
    x = np.round(rng.normal(2.0, 3.0, n), 3)
    x[::10] = np.nan
    codes = rng.choice(["1", "2", "3.5", "true", None, "abc"], n, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
    pdf = pd.DataFrame({"x": x, "code": codes, "k": rng.integers(0, 4, n)})
    rows = [(None if np.isnan(a) else float(a), b, int(c)) for a, b, c in pdf.itertuples(index=False)]
    df = spark.createDataFrame(rows, "x double, code string, k int")
    with count_jobs() as counter:
        profiles = ColumnProfilerRunner(spark).on_data(df).run()
    jobs = counter.count
    assert jobs == 2 and profiles.num_records == n
    px = profiles["x"]
    xs = pdf["x"].dropna()
    assert px.completeness == pytest.approx(len(xs) / n)
    assert px.mean == pytest.approx(xs.mean()) and px.std_dev == pytest.approx(np.std(xs))
    assert (px.minimum, px.maximum) == (xs.min(), xs.max()) and px.sum == pytest.approx(xs.sum())
    assert px.data_type == "Fractional" and not px.is_data_type_inferred
    assert px.approximate_num_distinct_values == pytest.approx(xs.nunique(), rel=0.05)
    assert px.histogram is None  # > 120 distinct values
    assert px.approx_percentiles is not None and len(px.approx_percentiles) == 100
    # KLL over 360 values compacts at k = 200: the median is off by at most 1.33 % in rank, inside 0.1 here.
    assert px.approx_percentiles[49] == pytest.approx(np.quantile(xs, 0.5), abs=0.1)
    pc = profiles["code"]
    vc = pdf["code"].value_counts()
    assert pc.type_counts == {
        "Integral": int(vc["1"] + vc["2"]),
        "Fractional": int(vc["3.5"]),
        "Boolean": int(vc["true"]),
        "String": int(vc["abc"]),
        "Unknown": int(pdf["code"].isna().sum()),
    }
    assert pc.data_type == "String" and pc.is_data_type_inferred
    assert pc.histogram is not None
    assert pc.histogram["NullValue"] == (int(pdf["code"].isna().sum()), pdf["code"].isna().mean())
    assert pc.histogram["abc"] == (int(vc["abc"]), vc["abc"] / n)
    pk = profiles["k"]
    assert pk.data_type == "Integral" and pk.histogram is not None
    assert {k: v[0] for k, v in pk.histogram.items()} == {
        str(k): int(v) for k, v in pdf["k"].value_counts().items()
    }


def test_high_cardinality_strings_keep_completeness_and_distinct_count(spark) -> None:  # type: ignore[no-untyped-def]
    # Above the histogram threshold no frequency table is kept, but completeness (Deequ: non-NULL ÷ rows)
    # and the distinct count must still come out right, also through a baseline document round trip.
    from spark_mlops.monitoring.baseline import DataBaseline

    n = 300
    ids = [None if i % 7 == 0 else f"id-{i}" for i in range(n)]
    pdf = pd.DataFrame({"id": ids})
    df = spark.createDataFrame([(v,) for v in ids], "id string")
    runner = ColumnProfilerRunner(spark).on_data(df).with_low_cardinality_histogram_threshold(20)
    p = runner.run()["id"]
    assert p.histogram is None  # truncated: 257 distinct values > 20
    assert p.completeness == pytest.approx(pdf["id"].notna().mean())
    assert p.approximate_num_distinct_values == pytest.approx(pdf["id"].nunique(), rel=0.05)
    baseline = DataBaseline.from_dataframe(df, max_categories=20)
    again = DataBaseline.from_json(baseline.statistics_json(), baseline.constraints_json())
    stats = again.statistics_json()["features"][0]["string_statistics"]
    assert "distribution" not in stats  # no frequency table kept
    present, missing = int(pdf["id"].notna().sum()), int(pdf["id"].isna().sum())
    assert stats["common"] == {"num_present": present, "num_missing": missing}
    assert stats["distinct_count"] == pytest.approx(pdf["id"].nunique(), rel=0.05)
    assert again.profile.columns["id"].completeness == pytest.approx(pdf["id"].notna().mean())


def test_deequ_type_decision() -> None:
    assert infer_string_type({"Integral": 3}) == "Integral"
    assert infer_string_type({"Integral": 3, "Fractional": 1}) == "Fractional"
    assert infer_string_type({"Boolean": 2}) == "Boolean"
    assert infer_string_type({"Boolean": 2, "Integral": 1}) == "String"
    assert infer_string_type({"Unknown": 5}) == "Unknown"


def test_wide_table_uses_a_fixed_number_of_jobs(spark, count_jobs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(9)
    n, width = 40, 200
    data = rng.normal(0, 1, (n, width // 2))
    cats = rng.choice(["a", "b", "c"], (n, width // 2))
    rows = [tuple(float(v) for v in data[i]) + tuple(str(v) for v in cats[i]) for i in range(n)]
    schema = ", ".join(
        [f"n{j} double" for j in range(width // 2)] + [f"s{j} string" for j in range(width // 2)]
    )
    df = spark.createDataFrame(rows, schema)
    with count_jobs() as counter:
        profiles = ColumnProfilerRunner(spark).on_data(df).run()
    jobs = counter.count
    # Job 1's 1,201 aggregates in 13 codegen'd chunks of at most 100 (one job each), then job 2.
    assert jobs == 14 and len(profiles.profiles) == width
    for j in (0, 57, 99):
        assert profiles[f"n{j}"].mean == pytest.approx(data[:, j].mean())
        assert profiles[f"n{j}"].std_dev == pytest.approx(data[:, j].std())
        counts = pd.Series(cats[:, j]).value_counts()
        assert {k: v[0] for k, v in profiles[f"s{j}"].histogram.items()} == counts.to_dict()  # type: ignore[union-attr]
