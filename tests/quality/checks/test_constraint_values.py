"""Every constraint of the vocabulary on one small frame with NULLs and odd column names, in one
VerificationSuite run; each assertion compares the metric with a pandas/numpy/sklearn reference."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

from spark_mlops.quality import Check, CheckLevel, CheckStatus, ConstraintStatus, VerificationSuite
from spark_mlops.quality.checks import patterns

N = 240
KINDS = [
    ("12", "Integral"),
    ("-3", "Integral"),
    ("2.5", "Fractional"),
    ("1e-3", "Fractional"),
    ("abc", "String"),
    ("true", "Boolean"),
    (None, "Unknown"),
]
TEXTS = [
    "mail bob@example.com now",
    "see https://spark.apache.org/docs",
    "card 4111 1111 1111 1111",
    "ssn 123-45-6789",
    "plain words",
    "",
    None,
    "x@y",
    "id 42",
]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ids = np.arange(N)
    ids[:10] = ids[10:20]  # 10 duplicated ids -> 20 non-unique rows
    ab = rng.normal(2.0, 3.0, N)
    ab[rng.random(N) < 0.15] = np.nan
    cd = rng.integers(-2, 8, N).astype(float)
    cd[rng.random(N) < 0.1] = np.nan
    mk = rng.choice(["US", "UK", "DE", "XX", None], N, p=[0.4, 0.2, 0.2, 0.1, 0.1])
    kinds = rng.integers(0, len(KINDS), N)
    x = rng.normal(0, 1, N)
    y = 0.6 * x + rng.normal(0, 1, N)
    y[rng.random(N) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": ids,
            "a b": ab,
            "c.d": cd,
            "mk": mk,
            "grp": rng.choice(["g1", "g2", "g3"], N),
            "num_str": [KINDS[k][0] for k in kinds],
            "kind": [KINDS[k][1] for k in kinds],
            "txt": rng.choice(np.array(TEXTS, dtype=object), N),
            "x": x,
            "y": y,
        }
    )


def _close(ref: float):  # type: ignore[no-untyped-def]
    return lambda v: math.isclose(v, ref, rel_tol=1e-9, abs_tol=1e-12)


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    p = _frame()
    schema = (
        "id long, `a b` double, `c.d` double, mk string, grp string, num_str string, kind string, "
        "txt string, x double, y double"
    )
    rows = [
        tuple(None if (isinstance(v, float) and math.isnan(v)) else v for v in r)
        for r in p.itertuples(index=False)
    ]
    rows = [tuple(int(v) if isinstance(v, np.integer) else v for v in r) for r in rows]
    return spark.createDataFrame(rows, schema).cache(), p


def _refs(p: pd.DataFrame) -> list[tuple[str, Check]]:
    """(description, single-constraint check) pairs whose assertion encodes the pandas reference."""
    mk = p["mk"].dropna()
    mk_counts = mk.value_counts()
    probs = mk_counts / mk_counts.sum()
    both = p[["x", "y"]].dropna()
    xs = p["x"].sort_values().to_numpy()
    re_email = re.compile(patterns.EMAIL)
    numeric = pd.to_numeric(p["num_str"], errors="coerce")
    pair_counts = p.groupby(["id", "mk"], dropna=False).size()
    n_pairs = pair_counts.sum()
    ab = p["a b"]

    def c() -> Check:
        return Check(CheckLevel.ERROR, "refs")

    def approx_median(v: float) -> bool:
        rank = np.searchsorted(xs, v, side="right") / N  # KLL returns a data value near the median rank
        return v in set(xs) and abs(rank - 0.5) <= 0.02

    return [
        ("size", c().has_size(lambda n: n == N)),
        ("completeness", c().has_completeness("a b", _close(ab.notna().mean()))),
        ("complete", c().is_complete("id")),
        (
            "have_completeness",
            c().have_completeness(["a b", "c.d"], _close((ab.notna() & p["c.d"].notna()).mean())),
        ),
        (
            "have_any_completeness",
            c().have_any_completeness(["a b", "c.d"], _close((ab.notna() | p["c.d"].notna()).mean())),
        ),
        ("uniqueness", c().has_uniqueness("id", _close((p["id"].value_counts() == 1).sum() / N))),
        ("primary_key_ratio", c().has_uniqueness(["id", "mk"], _close((pair_counts == 1).sum() / n_pairs))),
        ("distinctness", c().has_distinctness("mk", _close(mk.nunique() / len(mk)))),
        ("unique_value_ratio", c().has_unique_value_ratio(["grp"], _close(0.0))),
        (
            "distinct_values",
            c().has_number_of_distinct_values("mk", lambda n: n == p["mk"].nunique(dropna=False)),
        ),
        (
            "histogram",
            c().has_histogram_values(
                "mk",
                lambda d: (
                    d["US"].absolute == mk_counts["US"]
                    and d["NullValue"].absolute == p["mk"].isna().sum()
                    and math.isclose(d["US"].ratio, mk_counts["US"] / N)
                ),
            ),
        ),
        ("entropy", c().has_entropy("mk", _close(float(-(probs * np.log(probs)).sum())))),
        (
            "mutual_information",
            c().has_mutual_information(
                "mk", "grp", _close(mutual_info_score(p["mk"].fillna("<null>"), p["grp"]))
            ),
        ),
        ("min", c().has_min("a b", _close(ab.min()))),
        ("max", c().has_max("a b", _close(ab.max()))),
        ("mean", c().has_mean("a b", _close(ab.mean()))),
        ("sum", c().has_sum("c.d", _close(p["c.d"].sum()))),
        ("stddev", c().has_standard_deviation("a b", _close(ab.std(ddof=0)))),
        ("min_length", c().has_min_length("mk", lambda v: v == mk.str.len().min())),
        ("max_length", c().has_max_length("txt", lambda v: v == p["txt"].dropna().str.len().max())),
        ("approx_quantile", c().has_approx_quantile("x", 0.5, approx_median)),
        (
            "approx_count_distinct",
            c().has_approx_count_distinct("mk", lambda v: abs(v - mk.nunique()) <= 0.5),
        ),
        ("correlation", c().has_correlation("x", "y", _close(np.corrcoef(both["x"], both["y"])[0, 1]))),
        ("satisfies", c().satisfies("`a b` > 0", "a b positive", _close((ab > 0).mean()), columns=["a b"])),
        ("pattern", c().has_pattern("txt", r"\d", _close(p["txt"].str.contains(r"\d", na=False).mean()))),
        (
            "email",
            c().contains_email("txt", _close(p["txt"].map(lambda t: bool(t and re_email.search(t))).mean())),
        ),
        ("non_negative", c().is_non_negative("c.d", _close((p["c.d"].isna() | (p["c.d"] >= 0)).mean()))),
        (
            "positive_text",
            c().is_positive("num_str", _close((p["num_str"].isna() | (numeric > 0)).mean())),
        ),  # "abc" and "true" fail
        ("less_than", c().is_less_than("x", "y", _close((p["x"] < p["y"]).mean()))),
        ("less_equal", c().is_less_than_or_equal_to("x", "y", _close((p["x"] <= p["y"]).mean()))),
        ("greater_than", c().is_greater_than("x", "y", _close((p["x"] > p["y"]).mean()))),
        ("greater_equal", c().is_greater_than_or_equal_to("x", "y", _close((p["x"] >= p["y"]).mean()))),
        (
            "contained_values",
            c().is_contained_in(
                "mk", ["US", "UK"], assertion=_close((p["mk"].isna() | p["mk"].isin(["US", "UK"])).mean())
            ),
        ),
        (
            "contained_range",
            c().is_contained_in(
                "c.d",
                lower=0,
                upper=5,
                include_upper=False,
                assertion=_close((p["c.d"].isna() | ((p["c.d"] >= 0) & (p["c.d"] < 5))).mean()),
            ),
        ),
        (
            "data_type_numeric",
            c().has_data_type(
                "num_str", "numeric", _close(p["kind"].isin(["Integral", "Fractional"]).mean())
            ),
        ),
        ("data_type_null", c().has_data_type("num_str", "null", _close((p["kind"] == "Unknown").mean()))),
        (
            "where_completeness",
            c().has_completeness("a b", _close(ab[p["grp"] == "g1"].notna().mean())).where("grp = 'g1'"),
        ),
        ("where_mean", c().has_mean("c.d", _close(p.loc[p["mk"] == "US", "c.d"].mean())).where("mk = 'US'")),
    ]


def test_every_constraint_matches_its_reference(spark, data) -> None:  # type: ignore[no-untyped-def]
    df, p = data
    refs = _refs(p)
    result = VerificationSuite(spark).on_data(df).add_checks([c for _, c in refs]).run()
    failed = {
        name: (r.message, r.metric)
        for name, check in refs
        for r in result.check_results[check].constraint_results
        if r.status is not ConstraintStatus.SUCCESS
    }
    assert failed == {}
    assert result.status is CheckStatus.SUCCESS


def test_ratio_defaults_fail_with_the_value_in_the_message(spark, data) -> None:  # type: ignore[no-untyped-def]
    df, p = data
    check = (
        Check(CheckLevel.WARNING, "defaults")
        .is_complete("a b", hint="a b may not be NULL")
        .is_unique("id")
        .is_contained_in("mk", ["US"])
        .are_complete(["a b", "id"])
    )
    results = VerificationSuite(spark).on_data(df).add_check(check).run().check_results[check]
    assert results.status is CheckStatus.WARNING
    messages = [r.message for r in results.constraint_results]
    assert messages == [
        f"Value: {p['a b'].notna().mean()} does not meet the constraint requirement! a b may not be NULL",
        f"Value: {(p['id'].value_counts() == 1).sum() / N} does not meet the constraint requirement!",
        f"Value: {(p['mk'].isna() | (p['mk'] == 'US')).mean()} does not meet the constraint requirement!",
        f"Value: {p['a b'].notna().mean()} does not meet the constraint requirement!",
    ]
