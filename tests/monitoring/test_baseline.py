"""DataBaseline: SageMaker-shaped statistics/constraints vs pandas; folder and Delta round trips."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from spark_mlops.delta import write_delta
from spark_mlops.errors import InvalidArgumentError
from spark_mlops.monitoring import compute_drift
from spark_mlops.monitoring.baseline import DataBaseline


@contextlib.contextmanager
def jobs_in(spark) -> Iterator[list[int]]:  # type: ignore[no-untyped-def]
    """Spark jobs started in the block (the shared count_jobs fixture calls clearJobGroup, gone in 4.2)."""
    sc, group, found = spark.sparkContext, f"count-{uuid.uuid4().hex}", []
    sc.setJobGroup(group, "job counting in a test", interruptOnCancel=False)
    try:
        yield found
    finally:
        found.extend(sc.statusTracker().getJobIdsForGroup(group))
        sc.setLocalProperty("spark.jobGroup.id", None)


def make_frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(3.0, 1.5, n), 2)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "n": rng.integers(0, 1000, n).astype("int64"),
            "country": rng.choice(["US", "UK", "DE", "JP"], n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )


def to_spark(spark, pdf: pd.DataFrame):  # type: ignore[no-untyped-def]
    rows = [
        tuple(None if (isinstance(v, float) and np.isnan(v)) else v for v in r)
        for r in pdf.itertuples(index=False)
    ]
    rows = [(None if a is None else float(a), int(b), str(c)) for a, b, c in rows]
    return spark.createDataFrame(rows, "x double, n long, country string")


@pytest.fixture(scope="module")
def reference(spark):  # type: ignore[no-untyped-def]
    pdf = make_frame(1, 1500)
    return pdf, to_spark(spark, pdf)


@pytest.fixture(scope="module")
def built(spark, reference):  # type: ignore[no-untyped-def]
    """The reference's baseline, computed once for the module, and the Spark jobs it took."""
    with jobs_in(spark) as jobs:
        baseline = DataBaseline.from_dataframe(reference[1])
    return baseline, len(jobs)


def test_statistics_and_constraints_match_pandas(reference, built) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = reference
    baseline, jobs = built
    assert jobs == 2  # one aggregation, one stacked group-by
    stats = baseline.statistics_json()
    assert stats["dataset"]["item_count"] == len(pdf)
    feats = {f["name"]: f for f in stats["features"]}
    x = pdf["x"].dropna()
    ns = feats["x"]["numerical_statistics"]
    assert feats["x"]["inferred_type"] == "Fractional" and feats["n"]["inferred_type"] == "Integral"
    assert ns["common"] == {"num_present": len(x), "num_missing": int(pdf["x"].isna().sum())}
    assert ns["mean"] == pytest.approx(x.mean())
    assert ns["sum"] == pytest.approx(x.sum())
    assert ns["std_dev"] == pytest.approx(np.std(x))  # population std, as Deequ/Model Monitor
    assert (ns["min"], ns["max"]) == (x.min(), x.max())
    buckets = ns["distribution"]["kll"]["buckets"]
    edges = np.linspace(x.min(), x.max(), 11)
    np.testing.assert_allclose([b["count"] for b in buckets], np.histogram(x, edges)[0])
    ss = feats["country"]["string_statistics"]
    vc = pdf["country"].value_counts()
    assert ss["distinct_count"] == 4
    assert {b["value"]: b["count"] for b in ss["distribution"]["categorical"]["buckets"]} == vc.to_dict()
    cons = {f["name"]: f for f in baseline.constraints_json()["features"]}
    assert cons["x"]["completeness"] == pytest.approx(len(x) / len(pdf))
    assert cons["n"]["num_constraints"] == {"is_non_negative": True}
    assert cons["country"]["string_constraints"]["domains"] == sorted(vc.index)
    dc = baseline.constraints_json()["monitoring_config"]["distribution_constraints"]
    assert dc["comparison_method"] == "Robust" and dc["comparison_threshold"] == 0.1
    assert dc["categorical_drift_method"] == "LInfinity"
    json.dumps(stats)  # plain JSON


def test_folder_round_trip_compares_without_rescanning_the_reference(spark, built, tmp_path) -> None:  # type: ignore[no-untyped-def]
    baseline, _ = built
    loaded = DataBaseline.load(baseline.save(tmp_path / "bl"))
    assert loaded.statistics_json() == baseline.statistics_json()
    assert loaded.constraints_json() == baseline.constraints_json()
    current = to_spark(spark, make_frame(2, 700))
    with jobs_in(spark) as jobs:
        from_file = compute_drift(loaded, current)
    assert len(jobs) == 2
    # The in-memory baseline is the reference DataFrame's profile with compute_drift's defaults, so
    # this is the same as compute_drift(reference_df, current) — on the current profile: no job.
    direct = compute_drift(baseline, from_file.current)
    assert from_file.to_dicts() == direct.to_dicts()
    with pytest.raises(InvalidArgumentError, match=r"no statistics\.json"):
        DataBaseline.load(tmp_path / "nothing")


def test_sketch_cdf_error_is_stored_and_older_documents_get_their_k_s(spark, reference) -> None:  # type: ignore[no-untyped-def]
    baseline = DataBaseline.from_dataframe(reference[1], ["x"], exact_max_rows=100, sketch_k=400)
    stats = baseline.statistics_json()
    sketch = stats["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]
    # 1350 present values, all sketched (no sample): the KLL rank error alone, DataSketches' published
    # fit 2.296 / k^0.9723 at k = 400.
    assert sketch["exact"] is False
    assert sketch["cdf_error"] == pytest.approx(2.296 / 400**0.9723)
    loaded = DataBaseline.from_json(stats, baseline.constraints_json())
    assert loaded.profile.columns["x"].cdf_error == sketch["cdf_error"]  # type: ignore[union-attr]
    del sketch["cdf_error"]  # a document written before the field existed: the error of its own k
    older = DataBaseline.from_json(stats, baseline.constraints_json())
    assert older.profile.columns["x"].cdf_error == pytest.approx(2.296 / 400**0.9723)  # type: ignore[union-attr]


def test_delta_source_version_and_delta_storage(spark, reference, tmp_delta_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, df = reference
    write_delta(df, tmp_delta_path, mode="overwrite")
    write_delta(df.limit(10), tmp_delta_path, mode="append")
    baseline = DataBaseline.from_delta(spark, tmp_delta_path, version=0)
    assert baseline.source is not None and baseline.source.version == 0
    assert baseline.statistics_json()["dataset"] == {
        "item_count": 1500,
        "source": {"table": tmp_delta_path, "version": 0},
    }
    store = str(tmp_path / "baselines")
    baseline.save_to_delta(spark, store)
    back = DataBaseline.load_from_delta(spark, store)
    assert back.source == baseline.source
    assert back.statistics_json() == baseline.statistics_json()


def test_probe_rows_reaches_the_profile(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(make_frame(3, 50))
    with pytest.raises(InvalidArgumentError, match="probe_rows"):
        DataBaseline.from_dataframe(df, probe_rows=-1)
