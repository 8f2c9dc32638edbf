"""Job 1 takes the KLL sample in its own read when the row count is known before the scan (a Delta table):
moments equal to pandas, sketches within their stated bound, one fewer read of the data, and drift
against a reference in one read when no column needs a table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from py4j.protocol import Py4JJavaError
from pyspark.sql import functions as F
from scipy import stats
from scipy.spatial.distance import jensenshannon

from spark_mlops.delta import read_delta, write_delta
from spark_mlops.monitoring.drift import compute_drift
from spark_mlops.quality.profiles import scans
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.plan import MAX_SAMPLED_VALUES, metadata_row_count
from spark_mlops.quality.profiles.profile import SAMPLE_POINTS, profile_columns
from spark_mlops.quality.profiles.scans import run_weights

N = 4000
SAMPLE = 1000
# A column sampled in job 1 keeps SAMPLE_POINTS order statistics of its sample (CDF within 1/SAMPLE_POINTS
# of the sample's); the sample's CDF is within the Dvoretzky–Kiefer–Wolfowitz bound (Massart 1990) of the
# data's at α = 0.01, for a Bernoulli sample 4 standard deviations short of its expected size.
BOUND = 1 / SAMPLE_POINTS + math.sqrt(math.log(2 / 0.01) / (2 * (SAMPLE - 4 * math.sqrt(SAMPLE))))


def _frame(seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0 + shift, 2.0, N)
    x[::25] = np.nan  # NaN is missing, like NULL
    y = rng.lognormal(shift, 1.0, N)
    cat = rng.choice(["DE", "FR", "UK", "US"], N).astype(object)
    if shift:
        cat[::97] = "XX"  # a category the reference never saw
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "k": rng.choice([0.5, 1.5, 2.5, 4.0], N),  # discrete: tabulated, or counted per known value
            "cat": cat,
        }
    )


@pytest.fixture(scope="module")
def tables(spark, session_tmp):  # type: ignore[no-untyped-def]
    out = {}
    for name, (seed, shift) in {"ref": (1, 0.0), "cur": (2, 0.5)}.items():
        pdf = _frame(seed, shift)
        pdf.loc[::40, "y"] = None
        rows = [
            (float(a), None if b is None or np.isnan(b) else float(b), float(c), d)
            for a, b, c, d in pdf.itertuples(index=False)
        ]
        path = str(session_tmp / f"profile_one_read_{name}")
        write_delta(spark.createDataFrame(rows, "x double, y double, k double, cat string"), path)
        out[name] = (pdf, read_delta(spark, path))
    return out


def _full_reads(spark, group: str) -> int:  # type: ignore[no-untyped-def]
    """Stages of the job group that read all N rows of the table (Spark's status store)."""
    store = spark.sparkContext._jsc.sc().statusStore()
    reads = 0
    for job_id in spark.sparkContext.statusTracker().getJobIdsForGroup(group):
        stages = store.job(job_id).stageIds()
        for k in range(stages.size()):
            try:
                reads += store.lastStageAttempt(stages.apply(k)).inputRecords() == N
            except Py4JJavaError:  # a skipped stage has no attempt
                continue
    return reads


def _cdf_error(dist: NumericDistribution, values: np.ndarray) -> float:
    values = np.sort(values)
    truth = np.arange(1, len(values) + 1) / len(values)
    return float(np.max(np.abs(dist.cdf(values) - truth)))


def test_row_count_from_metadata_only_for_a_plain_delta_read(spark, tables) -> None:  # type: ignore[no-untyped-def]
    pdf, df = tables["ref"]
    assert metadata_row_count(df) == len(pdf)
    assert metadata_row_count(df.where("k > 1")) is None  # would need a scan
    assert metadata_row_count(spark.createDataFrame([(1.0,)], "x double")) is None


def test_sample_taken_in_job_1_reads_the_numeric_columns_once(spark, tables, count_jobs) -> None:  # type: ignore[no-untyped-def]
    pdf, df = tables["ref"]
    with count_jobs() as jobs:
        p = profile_columns(df, exact_max_rows=100, sample_size=SAMPLE)
    # Job 1 (moments + the KLL sample of x and y) and job 2 (k's and cat's tables): two reads. The same
    # profile from a filtered frame (row count unknown before the scan) samples in job 2: three reads.
    assert _full_reads(spark, jobs.group) == 2
    with count_jobs() as old:
        q = profile_columns(df.where("k IS NOT NULL OR k IS NULL"), exact_max_rows=100, sample_size=SAMPLE)
    assert _full_reads(spark, old.group) == 3
    # A sample above MAX_SAMPLED_VALUES (2 columns × 1 M) is job 2's too: its KLL sketches stay bounded.
    with count_jobs() as big:
        profile_columns(df, ["x", "y"], exact_max_rows=100, sample_size=MAX_SAMPLED_VALUES)
    assert _full_reads(spark, big.group) == 2  # job 1, and job 2's sample (no table)
    for name in ("x", "y"):
        d, xs = p.columns[name], pdf[name].dropna().to_numpy()
        assert isinstance(d, NumericDistribution) and not d.exact
        assert (d.count, d.missing, p.row_count) == (len(xs), N - len(xs), N)
        assert d.mean == pytest.approx(xs.mean(), rel=1e-12) and d.std == pytest.approx(np.std(xs), rel=1e-9)
        assert (d.minimum, d.maximum) == (xs.min(), xs.max())
        assert d.weights.sum() == pytest.approx(len(xs))  # the sample's sketch scaled to the count
        assert _cdf_error(d, xs) <= BOUND
        old_d = q.columns[name]
        assert isinstance(old_d, NumericDistribution)
        assert (old_d.mean, old_d.std, old_d.count) == (d.mean, d.std, d.count)
    k = p.columns["k"]
    assert isinstance(k, NumericDistribution) and k.exact
    assert dict(zip(k.points, k.weights, strict=True)) == pdf["k"].value_counts().to_dict()
    cat = p.columns["cat"]
    assert isinstance(cat, CategoricalDistribution) and cat.counts == pdf["cat"].value_counts().to_dict()
    assert q.columns["k"].to_json() == k.to_json() and q.columns["cat"] == cat


def test_drift_against_a_reference_in_one_read(spark, tables, count_jobs) -> None:  # type: ignore[no-untyped-def]
    ref_pdf, ref_df = tables["ref"]
    cur_pdf, cur_df = tables["cur"]
    reference = profile_columns(ref_df, exact_max_rows=100, sample_size=SAMPLE)
    with count_jobs() as jobs:
        result = compute_drift(
            reference, cur_df, columns=["x", "y", "k"], methods="ks", exact_max_rows=100, sample_size=SAMPLE
        )
    # x and y sampled in job 1, k's four known values counted in job 1: no job 2.
    assert _full_reads(spark, jobs.group) == 1
    got = {r.column: r for r in result.rows}
    for name in ("x", "y"):
        truth = stats.ks_2samp(ref_pdf[name].dropna(), cur_pdf[name].dropna())
        # Each side's CDF is within BOUND of its full data's.
        assert got[name].mode == "sketch" and got[name].statistic == pytest.approx(
            truth.statistic, abs=2 * BOUND
        )
        assert got[name].drifted
    truth_k = stats.ks_2samp(ref_pdf["k"], cur_pdf["k"])
    assert got["k"].mode == "exact" and got["k"].statistic == pytest.approx(truth_k.statistic, abs=1e-12)
    # The documented asymptotic p-value: Kolmogorov's limit distribution at sqrt(n·m/(n+m))·D.
    scale = math.sqrt(N * N / (2 * N))
    assert got["k"].p_value == pytest.approx(stats.kstwobign.sf(scale * truth_k.statistic), rel=1e-9)
    # With the categorical column: a category the reference never saw sends it to job 2's exact table.
    with count_jobs() as jobs:
        both = compute_drift(reference, cur_df, exact_max_rows=100, sample_size=SAMPLE)
    assert _full_reads(spark, jobs.group) == 2
    (cat,) = [r for r in both.rows if r.column == "cat"]
    keys = sorted(set(ref_pdf["cat"]) | set(cur_pdf["cat"]))
    shares = [
        df["cat"].value_counts(normalize=True).reindex(keys, fill_value=0.0) for df in (ref_pdf, cur_pdf)
    ]
    assert cat.method == "js" and cat.statistic == pytest.approx(jensenshannon(*shares), rel=1e-9)


def test_drift_of_the_reference_against_itself(spark, tables, count_jobs) -> None:  # type: ignore[no-untyped-def]
    ref_pdf, ref_df = tables["ref"]
    reference = profile_columns(ref_df, exact_max_rows=100, sample_size=SAMPLE)
    with count_jobs() as jobs:
        same = compute_drift(reference, ref_df, exact_max_rows=100, sample_size=SAMPLE)
    assert _full_reads(spark, jobs.group) == 2  # job 1, and job 2 for cat's table only
    assert same.current is not None
    cat = same.current.columns["cat"]
    assert isinstance(cat, CategoricalDistribution) and cat.counts == ref_pdf["cat"].value_counts().to_dict()
    got = {r.column: r.statistic for r in same.rows}
    assert (got["k"], got["cat"]) == (0.0, 0.0)  # exact counts of the same data
    # x and y: two ≈ 1000-value samples of the same data (the drift sample is thinned per column by the
    # reference's completeness), far below Evidently's 0.1 threshold.
    assert max(got["x"], got["y"]) < 0.05
    assert same.drifted_columns == []


def test_order_statistics_keep_the_sample_cdf_within_one_run(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    values = rng.exponential(2.0, 12_345)
    rows = [([float(v), None if k % 3 else float(-v)],) for k, v in enumerate(values)]
    df = spark.createDataFrame(rows, "a array<double>")
    got = df.agg(scans._order_statistics(F.collect_list("a"), 0, 100).alias("x")).first()["x"]
    ordered = np.sort(values)
    edges = np.arange(101) * len(values) // 100  # runs of floor(k·n/m)
    assert got["n"] == len(values)
    assert got["q"] == ordered[(edges[:-1] + edges[1:] - 1) // 2].tolist()  # each run's middle value
    weights = run_weights(len(values), 100)
    assert weights.tolist() == np.diff(edges).tolist() and weights.sum() == len(values)
    summary = NumericDistribution.from_points(np.array(got["q"]), weights, exact=False)
    assert _cdf_error(summary, values) <= 1 / 100 + 1e-12
    # NULLs dropped; fewer values than points: every value kept, each weighing 1.
    few = df.limit(7).agg(scans._order_statistics(F.collect_list("a"), 1, 100).alias("x")).first()["x"]
    assert few["n"] == 3 and few["q"] == sorted(-values[[0, 3, 6]])
    assert run_weights(3, 3).tolist() == [1.0, 1.0, 1.0]
