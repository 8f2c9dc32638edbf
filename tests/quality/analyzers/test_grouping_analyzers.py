"""Grouping analyzers against pandas/scipy/sklearn references, including forced hash collisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import mutual_info_score

import spark_mlops.quality.engine.grouping as grouping_engine
from spark_mlops.quality.analyzers import (
    CountDistinct,
    Distinctness,
    Entropy,
    Histogram,
    MutualInformation,
    Uniqueness,
    UniqueValueRatio,
)
from spark_mlops.quality.engine import compute_metrics
from spark_mlops.quality.metrics import DistributionValue

A, B = "market place", "ca`t.egory"
SCHEMA = f"`{A}` string, `{B.replace('`', '``')}` int"
ROWS = [
    ("US", 1),
    ("US", 1),
    ("UK", 2),
    ("DE", None),
    (None, 2),
    (None, None),
    (None, None),
    ("JP", 3),
    ("US", 2),
    ("FR", 1),
    ("DE", None),
    ("UK", 2),
]
SENTINEL = "<null>"


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """NULL as a sentinel value, everything else as text (a partial NULL is a value)."""
    return frame.apply(lambda c: c.map(lambda v: SENTINEL if v is None or v != v else str(v)))


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(ROWS, SCHEMA)


def _counts(columns: list[str]) -> pd.Series:
    ref = pd.DataFrame(ROWS, columns=[A, B]).astype(object)
    kept = _text(ref[columns].dropna(how="all"))
    return kept.groupby(columns).size()


def _grouping_reference(columns: list[str]) -> dict[str, float]:
    counts = _counts(columns)
    n = counts.sum()
    return {
        "Uniqueness": (counts == 1).sum() / n,
        "Distinctness": len(counts) / n,
        "UniqueValueRatio": (counts == 1).sum() / len(counts),
        "CountDistinct": float(len(counts)),
    }


@pytest.mark.parametrize("columns", [[A], [B], [A, B]])
def test_uniqueness_family_matches_pandas(data, columns) -> None:  # type: ignore[no-untyped-def]
    analyzers = [
        Uniqueness(columns),
        Distinctness(columns),
        UniqueValueRatio(columns),
        CountDistinct(columns),
    ]
    metrics = compute_metrics(data, analyzers)
    expected = _grouping_reference(columns)
    for analyzer in analyzers:
        assert metrics[analyzer].value == pytest.approx(expected[analyzer.name]), analyzer


def test_entropy_natural_log_and_mutual_information(data) -> None:  # type: ignore[no-untyped-def]
    entropy_a, mi_ab, mi_aa = Entropy(A), MutualInformation([A, B]), MutualInformation([A, A])
    metrics = compute_metrics(data, [entropy_a, mi_ab, mi_aa])
    assert metrics[entropy_a].value == pytest.approx(scipy_entropy(_counts([A]).to_numpy()))  # natural log
    # MI(X, X) = H(X) (Deequ)
    assert metrics[mi_aa].value == pytest.approx(metrics[entropy_a].value)
    ref = pd.DataFrame(ROWS, columns=[A, B]).astype(object)
    kept = _text(ref.dropna(how="all"))
    assert metrics[mi_ab].value == pytest.approx(mutual_info_score(kept[A], kept[B]))  # natural log


def test_histogram_has_a_null_bin_and_divides_by_all_rows(data) -> None:  # type: ignore[no-untyped-def]
    hist = compute_metrics(data, [Histogram(A)])[Histogram(A)].value
    counts = pd.Series([r[0] for r in ROWS], dtype=object).fillna("NullValue").value_counts()
    assert hist.number_of_bins == len(counts)
    assert hist.values == {k: DistributionValue(int(v), v / len(ROWS)) for k, v in counts.items()}
    numbers = compute_metrics(data, [Histogram(B)])[Histogram(B)].value
    b_counts = pd.Series([r[1] for r in ROWS], dtype=object).map(
        lambda v: "NullValue" if v is None else str(v)
    )
    assert {k: v.absolute for k, v in numbers.values.items()} == b_counts.value_counts().to_dict()


def test_histogram_detail_bins_limit_and_full_bin_count(data) -> None:  # type: ignore[no-untyped-def]
    top2, too_many = Histogram(A, max_detail_bins=2), Histogram(A, max_detail_bins=1001)
    metrics = compute_metrics(data, [top2, too_many])
    # US (3) then NullValue (3, ties broken NullValue first), UK/DE (2) left out of the details.
    assert list(metrics[top2].value.values) == ["NullValue", "US"]
    assert metrics[top2].value.number_of_bins == 6
    assert metrics[too_many].failure == "Cannot return histogram values for more than 1000 values"


def test_where_filters_and_empty_scope(data) -> None:  # type: ignore[no-untyped-def]
    scoped = Uniqueness(A, where=f"`{B.replace('`', '``')}` = 2")
    empty, empty_count, empty_hist = (
        Uniqueness(A, where="1 = 0"),
        CountDistinct(A, where="1 = 0"),
        Histogram(A, where="1 = 0"),
    )
    metrics = compute_metrics(data, [scoped, empty, empty_count, empty_hist])
    in_scope = [r[0] for r in ROWS if r[1] == 2 and r[0] is not None]
    counts = pd.Series(in_scope).value_counts()
    assert metrics[scoped].value == pytest.approx((counts == 1).sum() / len(in_scope))
    assert metrics[empty].failure == f"Empty state for analyzer {empty!r}, all input values were NULL."
    assert metrics[empty_count].value == 0.0
    assert metrics[empty_hist].value.number_of_bins == 0 and metrics[empty_hist].value.values == {}


def test_missing_column_and_bad_mutual_information(data) -> None:  # type: ignore[no-untyped-def]
    missing, three = Uniqueness([A, "nope"]), MutualInformation([A, B, A])
    metrics = compute_metrics(data, [missing, three])
    assert metrics[missing].failure == "Input data does not include column nope!"
    assert "exactly 2 columns" in (metrics[three].failure or "")


@pytest.mark.parametrize("bits", [1, 3])
def test_forced_hash_collisions_stay_exact(spark, monkeypatch, bits) -> None:  # type: ignore[no-untyped-def]
    # With the first key hash cut to a few bits nearly all different values collide on it; the second
    # hash in the key still separates them, so every metric equals pandas' on the real values.
    monkeypatch.setattr(grouping_engine, "HASH_BITS", bits)
    rng = np.random.default_rng(bits)
    ids = [f"id-{v}" if v % 17 else None for v in rng.integers(0, 120, size=400)]
    others = [int(v) if v % 5 else None for v in rng.integers(0, 4, size=400)]
    df = spark.createDataFrame(list(zip(ids, others, strict=True)), "id string, other int")
    for columns in (["id"], ["id", "other"]):
        analyzers = [
            Uniqueness(columns),
            Distinctness(columns),
            UniqueValueRatio(columns),
            CountDistinct(columns),
        ]
        metrics = compute_metrics(df, analyzers)
        ref = pd.DataFrame({"id": ids, "other": others}, dtype=object)[columns]
        counts = _text(ref.dropna(how="all")).groupby(columns).size()
        n = counts.sum()
        # More distinct values than first-hash values: by pigeonhole, different values share it.
        assert len(counts) > 2**bits
        expected = {
            "Uniqueness": (counts == 1).sum() / n,
            "Distinctness": len(counts) / n,
            "UniqueValueRatio": (counts == 1).sum() / len(counts),
            "CountDistinct": float(len(counts)),
        }
        for analyzer in analyzers:
            assert metrics[analyzer].value == pytest.approx(expected[analyzer.name]), (bits, analyzer)
    entropy = compute_metrics(df, [Entropy("id")])[Entropy("id")]
    id_counts = pd.Series([i for i in ids if i is not None]).value_counts().to_numpy()
    assert entropy.value == pytest.approx(scipy_entropy(id_counts))


def test_null_aware_hash_separates_swapped_nulls(spark) -> None:  # type: ignore[no-untyped-def]
    # (NULL, "a") and ("a", NULL) are different groups; a NULL-blind hash would merge them.
    df = spark.createDataFrame([(None, "a"), ("a", None)], "x string, y string")
    metric = compute_metrics(df, [Uniqueness(["x", "y"])])[Uniqueness(["x", "y"])]
    assert metric.value == 1.0
