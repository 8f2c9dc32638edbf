"""A product-reviews table shaped like the seed's (the public Amazon customer reviews schema).

Every value is a pure function of ``(seed, row id)`` computed with ``xxhash64`` on the executors from
``spark.range``: no data is built on the driver, the output does not depend on the number of
partitions, and the same seed always gives the same table.

Defects are injected at *exact* counts: for a rate ``r`` over ``n`` rows exactly ``floor(r * n)`` rows
are hit (:func:`defect_count`). The rows are chosen by an affine permutation ``pos = (a * id + b) mod n``
with ``gcd(a, n) = 1`` (a bijection), so "``pos < count``" selects exactly ``count`` scattered rows.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_mlops.errors import InvalidArgumentError

__all__ = [
    "MARKETPLACES",
    "REVIEW_COLUMNS",
    "ReviewDefects",
    "ReviewDrift",
    "defect_count",
    "generate_reviews",
]

log = logging.getLogger(__name__)

#: Output columns, in order (the seed's reviews schema).
REVIEW_COLUMNS: tuple[str, ...] = (
    "review_id",
    "marketplace",
    "customer_id",
    "product_id",
    "product_category",
    "star_rating",
    "helpful_votes",
    "total_votes",
    "vine",
    "verified_purchase",
    "review_headline",
    "review_body",
    "review_date",
    "year",
)

#: The marketplaces a clean table uses (the seed check's value set).
MARKETPLACES: tuple[str, ...] = ("US", "UK", "DE", "JP", "FR")
_UNKNOWN_MARKETPLACES = ("CA", "IN", "MX")
_DEFAULT_MARKETPLACE_WEIGHTS = {"US": 0.6, "UK": 0.1, "DE": 0.12, "JP": 0.08, "FR": 0.1}
# Star ratings 1..5: the J-shape typical of product reviews (mostly 5s, then 4s and 1s).
_DEFAULT_STAR_WEIGHTS = (0.08, 0.05, 0.09, 0.2, 0.58)
_CATEGORIES = ("Books", "Video", "Music", "Electronics", "Toys", "Home", "Sports", "Apparel")
_WORDS = [
    "great",
    "quality",
    "price",
    "works",
    "well",
    "product",
    "love",
    "fast",
    "shipping",
    "broke",
    "after",
    "week",
    "would",
    "buy",
    "again",
    "poor",
    "value",
    "excellent",
    "small",
    "large",
    "color",
    "battery",
    "easy",
    "hard",
    "setup",
    "sound",
    "picture",
    "returned",
    "gift",
    "recommend",
    "disappointed",
    "perfect",
    "cheap",
    "sturdy",
    "flimsy",
    "comfortable",
]
_HEADLINES = ("One Star", "Two Stars", "Three Stars", "Four Stars", "Five Stars")
_FIRST_DAY = "2005-01-01"
_DAYS = 3895  # 2005-01-01 .. 2015-08-31, the span of the public dataset
_MAX_ROWS = 3_000_000_000  # keeps a * id and a_inv * pos inside a signed 64-bit product


@dataclass(frozen=True)
class ReviewDefects:
    """Defects to inject; each rate is a fraction of rows hit exactly (``floor(rate * rows)`` rows).

    Attributes:
        null_rates: Column name → fraction of rows set to NULL. Applied last, so a NULL wins over any
            other defect in the same cell.
        duplicate_id_rate: Fraction of rows whose ``review_id`` is copied from another (clean) row, so
            the table has exactly ``count`` fewer distinct ids and ``2 * count`` non-unique rows.
        out_of_range_star_rate: Fraction of rows whose ``star_rating`` is 0 or 6 (outside 1..5).
        unknown_marketplace_rate: Fraction of rows whose ``marketplace`` is outside :data:`MARKETPLACES`.
        negative_year_rate: Fraction of rows whose ``year`` is negated.
    """

    null_rates: Mapping[str, float] = field(default_factory=dict)
    duplicate_id_rate: float = 0.0
    out_of_range_star_rate: float = 0.0
    unknown_marketplace_rate: float = 0.0
    negative_year_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in (
            "duplicate_id_rate",
            "out_of_range_star_rate",
            "unknown_marketplace_rate",
            "negative_year_rate",
        ):
            _check_rate(name, getattr(self, name))
        for column, rate in self.null_rates.items():
            if column not in REVIEW_COLUMNS:
                raise InvalidArgumentError(
                    f"null_rates: unknown column {column!r}; expected one of {', '.join(REVIEW_COLUMNS)}"
                )
            _check_rate(f"null_rates[{column!r}]", rate)
        if self.duplicate_id_rate > 0.5:
            raise InvalidArgumentError(
                f"duplicate_id_rate: at most 0.5 (each duplicate copies a distinct clean row), "
                f"got {self.duplicate_id_rate}"
            )


@dataclass(frozen=True)
class ReviewDrift:
    """A shift of the generating distributions, to simulate a changed population.

    Attributes:
        marketplace_weights: Relative weight per marketplace (any names); default mostly US.
        star_weights: Relative weights of star ratings 1..5.
        votes_scale: Multiplies the spread of ``total_votes`` above its floor of 30 (1.0 = none).
        verified_rate: Fraction of verified purchases (default 0.8).
        date_shift_days: Days added to every ``review_date`` (and so ``year``).
    """

    marketplace_weights: Mapping[str, float] | None = None
    star_weights: Sequence[float] | None = None
    votes_scale: float = 1.0
    verified_rate: float = 0.8
    date_shift_days: int = 0

    def __post_init__(self) -> None:
        if self.marketplace_weights is not None:
            _check_weights("marketplace_weights", list(self.marketplace_weights.values()))
        if self.star_weights is not None:
            if len(self.star_weights) != 5:
                raise InvalidArgumentError(
                    f"star_weights: expected 5 weights (stars 1..5), got {len(self.star_weights)}"
                )
            _check_weights("star_weights", list(self.star_weights))
        if not (self.votes_scale > 0 and math.isfinite(self.votes_scale)):
            raise InvalidArgumentError(f"votes_scale: expected a positive number, got {self.votes_scale}")
        _check_rate("verified_rate", self.verified_rate)


def _check_rate(name: str, rate: float) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise InvalidArgumentError(f"{name}: expected a fraction in [0, 1], got {rate!r}")


def _check_weights(name: str, weights: list[float]) -> None:
    if not weights or any((not isinstance(w, (int, float))) or w < 0 for w in weights) or sum(weights) <= 0:
        raise InvalidArgumentError(
            f"{name}: expected non-negative weights with a positive sum, got {weights}"
        )


def defect_count(rate: float, rows: int) -> int:
    """Exact number of rows a defect ``rate`` hits in a table of ``rows`` rows: ``floor(rate * rows)``."""
    return math.floor(rate * rows + 1e-9)


def _uniform(seed: int, salt: int) -> Column:
    """A deterministic uniform in [0, 1) per row: the top 53 bits of xxhash64(seed, salt, id)."""
    bits = F.shiftrightunsigned(F.xxhash64(F.lit(seed), F.lit(salt), F.col("id")), 11)
    return bits.cast("double") / float(2**53)


def _pick(u: Column, weights: Mapping[str, float]) -> Column:
    """Value drawn from ``weights`` by inverse CDF on the uniform ``u``."""
    total = float(sum(weights.values()))
    items = [(k, w) for k, w in weights.items() if w > 0]
    cumulative = 0.0
    expr: Column | None = None
    for key, weight in items[:-1]:
        cumulative += weight / total
        expr = F.when(u < cumulative, F.lit(key)) if expr is None else expr.when(u < cumulative, F.lit(key))
    last = F.lit(items[-1][0])
    return last if expr is None else expr.otherwise(last)


@dataclass(frozen=True)
class _Permutation:
    """``pos = (a * id + b) mod n``: a bijection on [0, n) used to pick defect rows exactly."""

    a: int
    b: int
    n: int

    @classmethod
    def for_defect(cls, seed: int, name: str, n: int) -> _Permutation:
        rng = random.Random(f"{seed}/{name}")
        while True:
            a = rng.randrange(1, 2**31)
            if math.gcd(a, n) == 1:
                return cls(a, rng.randrange(0, n), n)

    def position(self) -> Column:
        return F.pmod(F.col("id") * F.lit(self.a) + F.lit(self.b), F.lit(self.n))

    def row_at(self, position: Column) -> Column:
        """Inverse: the id whose position is ``position``."""
        a_inv = pow(self.a, -1, self.n) if self.n > 1 else 0
        return F.pmod(F.pmod(position - F.lit(self.b), F.lit(self.n)) * F.lit(a_inv), F.lit(self.n))


def _review_id(row: Column, offset: int) -> Column:
    # (row + offset) * odd mod 2^40 is a bijection, so ids stay unique for < 2^40 rows; the seeded offset
    # keeps tables generated with different seeds (e.g. appended batches) from sharing ids. The
    # multiplier stays below 2^23 so the product fits a signed 64-bit long.
    shifted = F.pmod(row + F.lit(offset), F.lit(2**40))
    scrambled = F.pmod(shifted * F.lit(0x5DEECD) + F.lit(0x9E3779B), F.lit(2**40))
    return F.concat(F.lit("R"), F.lpad(F.hex(scrambled), 10, "0"))


def generate_reviews(
    spark: SparkSession,
    rows: int,
    seed: int = 42,
    defects: ReviewDefects | None = None,
    drift: ReviewDrift | None = None,
    num_partitions: int | None = None,
) -> DataFrame:
    """A reviews table of ``rows`` rows with the seed's columns (:data:`REVIEW_COLUMNS`).

    A clean table (no defects) passes the seed check except ``has_size``: review ids are unique and
    complete, star ratings span 1..5, marketplaces are in :data:`MARKETPLACES`, ``total_votes`` is in
    [30, 300], years are 2005..2015.

    Args:
        spark: The session.
        rows: Number of rows (0 allowed).
        seed: Any integer; the same seed gives the same table.
        defects: Defects injected at exact counts (see :class:`ReviewDefects`).
        drift: Shifted distributions (see :class:`ReviewDrift`).
        num_partitions: Partitions of the underlying ``spark.range`` (default: Spark's parallelism).

    Returns:
        A lazy DataFrame; nothing runs until an action.

    Example:
        >>> df = generate_reviews(spark, 1000, seed=7, defects=ReviewDefects(null_rates={"year": 0.01}))
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or not 0 <= rows <= _MAX_ROWS:
        raise InvalidArgumentError(f"rows: expected an integer in [0, {_MAX_ROWS}], got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidArgumentError(f"seed: expected an integer, got {seed!r}")
    defects = defects or ReviewDefects()
    drift = drift or ReviewDrift()
    n = max(rows, 1)
    base = spark.range(0, rows, numPartitions=num_partitions)

    market_weights = dict(drift.marketplace_weights or _DEFAULT_MARKETPLACE_WEIGHTS)
    star_weights = {str(i + 1): w for i, w in enumerate(drift.star_weights or _DEFAULT_STAR_WEIGHTS)}
    star = _pick(_uniform(seed, 2), star_weights).cast("int")
    total_votes = (F.lit(30) + F.floor(F.lit(270.0 * drift.votes_scale) * _uniform(seed, 3) ** 2)).cast("int")
    words = F.array(*[F.lit(w) for w in _WORDS])
    n_words = (F.lit(5) + F.floor(_uniform(seed, 9) * 36)).cast("int")
    body = F.array_join(
        F.transform(
            F.sequence(F.lit(1), n_words),
            lambda i: F.element_at(
                words,
                (F.pmod(F.xxhash64(F.lit(seed), F.lit(10), F.col("id"), i), F.lit(len(_WORDS))) + 1).cast(
                    "int"
                ),
            ),
        ),
        " ",
    )
    review_date = F.date_add(
        F.to_date(F.lit(_FIRST_DAY)),
        (F.floor(_uniform(seed, 11) * _DAYS) + drift.date_shift_days).cast("int"),
    )
    id_offset = random.Random(f"{seed}/review_id").randrange(2**40)
    review_id = _review_id(F.col("id"), id_offset)
    if (dups := defect_count(defects.duplicate_id_rate, rows)) > 0:
        perm = _Permutation.for_defect(seed, "duplicate_id", n)
        # Rows at positions [0, dups) copy the id of the row at position + dups: distinct clean rows.
        review_id = F.when(
            perm.position() < dups, _review_id(perm.row_at(perm.position() + F.lit(dups)), id_offset)
        ).otherwise(review_id)

    df = base.select(
        F.col("id"),
        review_id.alias("review_id"),
        _pick(_uniform(seed, 1), market_weights).alias("marketplace"),
        (F.lit(10_000_000) + F.pmod(F.xxhash64(F.lit(seed), F.lit(4), F.col("id")), F.lit(40_000_000)))
        .cast("long")
        .alias("customer_id"),
        F.concat(
            F.lit("B0"),
            F.lpad(F.hex(F.pmod(F.xxhash64(F.lit(seed), F.lit(5), F.col("id")), F.lit(2**32))), 8, "0"),
        ).alias("product_id"),
        _pick(_uniform(seed, 6), {c: 1.0 for c in _CATEGORIES}).alias("product_category"),
        star.alias("star_rating"),
        total_votes.alias("total_votes"),
        F.when(_uniform(seed, 7) < 0.01, F.lit("Y")).otherwise(F.lit("N")).alias("vine"),
        F.when(_uniform(seed, 8) < drift.verified_rate, F.lit("Y"))
        .otherwise(F.lit("N"))
        .alias("verified_purchase"),
        body.alias("review_body"),
        review_date.alias("review_date"),
    )
    # Helpfulness has a learnable signal (the demo's classifier predicts it): extreme ratings, verified
    # purchases, vine reviews and longer bodies are voted helpful more often. A review is "helpful"
    # (share >= 0.5) with probability sigmoid(logit), and its share is drawn on that side of 0.5.
    words_n = F.size(F.split(F.col("review_body"), " "))
    logit = (
        F.lit(-1.6)
        + F.lit(0.9) * F.abs(F.col("star_rating") - F.lit(3))
        + F.lit(0.8) * (F.col("verified_purchase") == "Y").cast("int")
        + F.lit(1.5) * (F.col("vine") == "Y").cast("int")
        + F.lit(0.04) * (words_n - F.lit(20))
    )
    helpful = _uniform(seed, 12) < F.lit(1.0) / (F.lit(1.0) + F.exp(-logit))
    votes = F.col("total_votes")
    # ceil on the helpful side keeps helpful_votes / total_votes >= 0.5 exactly (and <= total_votes).
    helpful_votes = F.when(helpful, F.ceil(votes * (F.lit(0.5) + F.lit(0.5) * _uniform(seed, 13)))).otherwise(
        F.floor(votes * F.lit(0.4999) * _uniform(seed, 13))
    )
    df = df.withColumn("helpful_votes", helpful_votes.cast("int"))
    df = df.withColumn(
        "review_headline",
        F.element_at(
            F.array(*[F.lit(h) for h in _HEADLINES]),
            F.least(F.greatest(F.col("star_rating"), F.lit(1)), F.lit(5)),
        ),
    )
    df = df.withColumn("year", F.year("review_date"))

    replacements: dict[str, Column] = {}
    if (bad := defect_count(defects.out_of_range_star_rate, rows)) > 0:
        pos = _Permutation.for_defect(seed, "star_rating", n).position()
        replacements["star_rating"] = F.when(
            pos < bad, F.when(pos % 2 == 0, F.lit(0)).otherwise(F.lit(6))
        ).otherwise(F.col("star_rating"))
    if (bad := defect_count(defects.unknown_marketplace_rate, rows)) > 0:
        pos = _Permutation.for_defect(seed, "marketplace", n).position()
        unknown = F.element_at(
            F.array(*[F.lit(m) for m in _UNKNOWN_MARKETPLACES]),
            (pos % len(_UNKNOWN_MARKETPLACES) + 1).cast("int"),
        )
        replacements["marketplace"] = F.when(pos < bad, unknown).otherwise(F.col("marketplace"))
    if (bad := defect_count(defects.negative_year_rate, rows)) > 0:
        pos = _Permutation.for_defect(seed, "year", n).position()
        replacements["year"] = F.when(pos < bad, -F.col("year")).otherwise(F.col("year"))
    if replacements:
        df = df.withColumns(replacements)

    nulls: dict[str, Column] = {}
    schema = {f.name: f.dataType for f in df.schema.fields}
    for column, rate in defects.null_rates.items():
        if (bad := defect_count(rate, rows)) > 0:
            pos = _Permutation.for_defect(seed, f"null/{column}", n).position()
            nulls[column] = F.when(pos < bad, F.lit(None).cast(schema[column])).otherwise(F.col(column))
    if nulls:
        df = df.withColumns(nulls)
    log.debug("generate_reviews rows=%d seed=%d defects=%s drift=%s", rows, seed, defects, drift)
    return df.select(*REVIEW_COLUMNS)
