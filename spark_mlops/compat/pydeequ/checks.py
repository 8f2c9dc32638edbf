"""PyDeequ's ``pydeequ.checks`` on our engine: ``Check(spark, CheckLevel.Error, "...")`` with PyDeequ's
camelCase methods.

As in PyDeequ, a Check is mutable: each method adds a constraint to *this* check and returns it (our
native :class:`~spark_mlops.quality.checks.Check` is immutable; :attr:`Check.native` is the current one).
Every method only translates names and forwards to the native vocabulary, so semantics are identical.

Example (PyDeequ code; only the import changed):
    >>> check = (Check(spark, CheckLevel.Error, "Review Check")
    ...     .hasSize(lambda x: x >= 3).isComplete("a").isUnique("b")
    ...     .isContainedIn("c", ["x", "y"]).isNonNegative("d"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.errors import InvalidArgumentError
from spark_mlops.quality.checks import Check as NativeCheck
from spark_mlops.quality.checks import CheckLevel as NativeCheckLevel
from spark_mlops.quality.checks import CheckStatus as NativeCheckStatus
from spark_mlops.quality.checks import ConstrainableDataType, ConstraintStatus

__all__ = ["Check", "CheckLevel", "CheckStatus", "ConstrainableDataTypes", "ConstraintStatus"]

Assertion = Callable[[Any], bool]


class CheckLevel:
    """PyDeequ's ``CheckLevel.Error`` / ``CheckLevel.Warning`` (our :class:`CheckLevel` members)."""

    Error = NativeCheckLevel.ERROR
    Warning = NativeCheckLevel.WARNING


class CheckStatus:
    """PyDeequ's ``CheckStatus.Success`` / ``Warning`` / ``Error`` (equal to the strings too)."""

    Success = NativeCheckStatus.SUCCESS
    Warning = NativeCheckStatus.WARNING
    Error = NativeCheckStatus.ERROR


class ConstrainableDataTypes:
    """PyDeequ's ``ConstrainableDataTypes`` for :meth:`Check.hasDataType`."""

    Null = ConstrainableDataType.NULL
    Fractional = ConstrainableDataType.FRACTIONAL
    Integral = ConstrainableDataType.INTEGRAL
    Boolean = ConstrainableDataType.BOOLEAN
    String = ConstrainableDataType.STRING
    Numeric = ConstrainableDataType.NUMERIC


def _no_binning(binning_udf: Any) -> None:
    if binning_udf is not None:
        raise InvalidArgumentError(
            "binningUdf: not supported (PyDeequ passes a JVM function); add a binned column to the "
            "DataFrame and constrain that column"
        )


class Check:
    """PyDeequ's ``Check(spark_session, level, description, constraints=None)``.

    Args:
        spark_session: Accepted for PyDeequ compatibility (our checks do not need it).
        level: ``CheckLevel.Error`` or ``CheckLevel.Warning``.
        description: Shown in the results.
        constraints: Native constraints to start from (rarely used).
    """

    def __init__(
        self,
        spark_session: SparkSession | None,
        level: NativeCheckLevel | str,
        description: str,
        constraints: Sequence[Any] | None = None,
    ) -> None:
        self.spark_session = spark_session
        # Our Check accepts the level as an enum or its name ('error'/'warning') and validates it.
        self.native = NativeCheck(level, description, tuple(constraints or ()))  # type: ignore[arg-type]

    def _set(self, check: NativeCheck) -> Check:
        self.native = check
        return self

    @property
    def level(self) -> NativeCheckLevel:
        """The check's level."""
        return self.native.level

    @property
    def description(self) -> str:
        """The check's description."""
        return self.native.description

    def __repr__(self) -> str:
        return f"pydeequ-compat {self.native!r}"

    # -- filters and size ---------------------------------------------------------------------------
    def where(self, filter: str) -> Check:
        """Restrict the constraint added last to rows where the SQL ``filter`` holds."""
        return self._set(self.native.where(filter))

    def hasSize(self, assertion: Assertion, hint: str | None = None) -> Check:
        """The row count satisfies ``assertion``."""
        return self._set(self.native.has_size(assertion, hint))

    # -- completeness and uniqueness ----------------------------------------------------------------
    def isComplete(self, column: str, hint: str | None = None) -> Check:
        """``column`` has no NULL."""
        return self._set(self.native.is_complete(column, hint))

    def hasCompleteness(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The non-NULL share of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_completeness(column, assertion, hint))

    def areComplete(self, columns: Sequence[str], hint: str | None = None) -> Check:
        """All ``columns`` are non-NULL on every row."""
        return self._set(self.native.are_complete(columns, hint))

    def haveCompleteness(
        self, columns: Sequence[str], assertion: Assertion, hint: str | None = None
    ) -> Check:
        """The share of rows with all ``columns`` non-NULL satisfies ``assertion``."""
        return self._set(self.native.have_completeness(columns, assertion, hint))

    def areAnyComplete(self, columns: Sequence[str], hint: str | None = None) -> Check:
        """At least one of ``columns`` is non-NULL on every row."""
        return self._set(self.native.are_any_complete(columns, hint))

    def haveAnyCompleteness(
        self, columns: Sequence[str], assertion: Assertion, hint: str | None = None
    ) -> Check:
        """The share of rows with any of ``columns`` non-NULL satisfies ``assertion``."""
        return self._set(self.native.have_any_completeness(columns, assertion, hint))

    def isUnique(self, column: str, hint: str | None = None) -> Check:
        """Every value of ``column`` occurs once."""
        return self._set(self.native.is_unique(column, hint))

    def isPrimaryKey(self, column: str, *columns: str, hint: str | None = None) -> Check:
        """The columns together identify every row."""
        return self._set(self.native.is_primary_key(column, *columns, hint=hint))

    def hasUniqueness(self, columns: Sequence[str], assertion: Assertion, hint: str | None = None) -> Check:
        """Uniqueness of ``columns`` satisfies ``assertion``."""
        return self._set(self.native.has_uniqueness(columns, assertion, hint))

    def hasDistinctness(self, columns: Sequence[str], assertion: Assertion, hint: str | None = None) -> Check:
        """Distinctness of ``columns`` satisfies ``assertion``."""
        return self._set(self.native.has_distinctness(columns, assertion, hint))

    def hasUniqueValueRatio(
        self, columns: Sequence[str], assertion: Assertion, hint: str | None = None
    ) -> Check:
        """Unique value ratio of ``columns`` satisfies ``assertion``."""
        return self._set(self.native.has_unique_value_ratio(columns, assertion, hint))

    # -- distributions ------------------------------------------------------------------------------
    def hasNumberOfDistinctValues(
        self,
        column: str,
        assertion: Assertion,
        binningUdf: Any = None,
        maxBins: int | None = None,
        hint: str | None = None,
    ) -> Check:
        """The number of distinct values of ``column`` (NULL is a value) satisfies ``assertion``."""
        _no_binning(binningUdf)
        return self._set(self.native.has_number_of_distinct_values(column, assertion, maxBins or 1000, hint))

    def hasHistogramValues(
        self,
        column: str,
        assertion: Assertion,
        binningUdf: Any = None,
        maxBins: int | None = None,
        hint: str | None = None,
    ) -> Check:
        """``assertion`` holds for the histogram (a Distribution) of ``column``."""
        _no_binning(binningUdf)
        return self._set(self.native.has_histogram_values(column, assertion, maxBins or 1000, hint))

    def hasEntropy(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Entropy (natural log) of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_entropy(column, assertion, hint))

    def hasMutualInformation(
        self, columnA: str, columnB: str, assertion: Assertion, hint: str | None = None
    ) -> Check:
        """Mutual information of the two columns satisfies ``assertion``."""
        return self._set(self.native.has_mutual_information(columnA, columnB, assertion, hint))

    def hasApproxQuantile(
        self, column: str, quantile: float, assertion: Assertion, hint: str | None = None
    ) -> Check:
        """The approximate ``quantile`` of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_approx_quantile(column, quantile, assertion, hint))

    def hasApproxCountDistinct(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """The approximate distinct count of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_approx_count_distinct(column, assertion, hint))

    def hasCorrelation(
        self, columnA: str, columnB: str, assertion: Assertion, hint: str | None = None
    ) -> Check:
        """Pearson correlation of the two columns satisfies ``assertion``."""
        return self._set(self.native.has_correlation(columnA, columnB, assertion, hint))

    # -- statistics ---------------------------------------------------------------------------------
    def hasMinLength(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Shortest string length of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_min_length(column, assertion, hint))

    def hasMaxLength(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Longest string length of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_max_length(column, assertion, hint))

    def hasMin(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Minimum of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_min(column, assertion, hint))

    def hasMax(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Maximum of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_max(column, assertion, hint))

    def hasMean(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Mean of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_mean(column, assertion, hint))

    def hasSum(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Sum of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_sum(column, assertion, hint))

    def hasStandardDeviation(self, column: str, assertion: Assertion, hint: str | None = None) -> Check:
        """Population standard deviation of ``column`` satisfies ``assertion``."""
        return self._set(self.native.has_standard_deviation(column, assertion, hint))

    # -- predicates, patterns, types ----------------------------------------------------------------
    def satisfies(
        self,
        columnCondition: str,
        constraintName: str,
        assertion: Assertion | None = None,
        hint: str | None = None,
    ) -> Check:
        """The share of rows where the SQL ``columnCondition`` holds satisfies ``assertion`` (default 1.0)."""
        return self._set(self.native.satisfies(columnCondition, constraintName, assertion, hint))

    def hasPattern(
        self,
        column: str,
        pattern: str,
        assertion: Assertion | None = None,
        name: str | None = None,
        hint: str | None = None,
    ) -> Check:
        """The share of values of ``column`` matching ``pattern`` satisfies ``assertion`` (default 1.0)."""
        return self._set(self.native.has_pattern(column, pattern, assertion, name, hint))

    def containsCreditCardNumber(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values contain a credit card number."""
        return self._set(self.native.contains_credit_card_number(column, assertion, hint))

    def containsEmail(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values contain an e-mail address."""
        return self._set(self.native.contains_email(column, assertion, hint))

    def containsURL(self, column: str, assertion: Assertion | None = None, hint: str | None = None) -> Check:
        """Values contain a URL."""
        return self._set(self.native.contains_url(column, assertion, hint))

    def containsSocialSecurityNumber(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values contain a US social security number."""
        return self._set(self.native.contains_social_security_number(column, assertion, hint))

    def hasDataType(
        self,
        column: str,
        datatype: ConstrainableDataType | str,
        assertion: Assertion | None = None,
        hint: str | None = None,
    ) -> Check:
        """The share of values of ``column`` of ``datatype`` satisfies ``assertion`` (default 1.0)."""
        return self._set(self.native.has_data_type(column, datatype, assertion, hint))

    def isNonNegative(
        self, column: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """Values of ``column`` are >= 0 (NULL passes)."""
        return self._set(self.native.is_non_negative(column, assertion, hint))

    def isPositive(self, column: str, assertion: Assertion | None = None, hint: str | None = None) -> Check:
        """Values of ``column`` are > 0 (NULL passes)."""
        return self._set(self.native.is_positive(column, assertion, hint))

    def isLessThan(
        self, columnA: str, columnB: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``columnA < columnB`` on every row."""
        return self._set(self.native.is_less_than(columnA, columnB, assertion, hint))

    def isLessThanOrEqualTo(
        self, columnA: str, columnB: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``columnA <= columnB`` on every row."""
        return self._set(self.native.is_less_than_or_equal_to(columnA, columnB, assertion, hint))

    def isGreaterThan(
        self, columnA: str, columnB: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``columnA > columnB`` on every row."""
        return self._set(self.native.is_greater_than(columnA, columnB, assertion, hint))

    def isGreaterThanOrEqualTo(
        self, columnA: str, columnB: str, assertion: Assertion | None = None, hint: str | None = None
    ) -> Check:
        """``columnA >= columnB`` on every row."""
        return self._set(self.native.is_greater_than_or_equal_to(columnA, columnB, assertion, hint))

    def isContainedIn(
        self,
        column: str,
        allowed_values: Sequence[Any] | None = None,
        assertion: Assertion | None = None,
        hint: str | None = None,
        lowerBound: float | None = None,
        upperBound: float | None = None,
        includeLowerBound: bool = True,
        includeUpperBound: bool = True,
    ) -> Check:
        """Values of ``column`` are in ``allowed_values`` (PyDeequ) or within the bounds (Deequ's Scala
        overload); NULL passes."""
        return self._set(
            self.native.is_contained_in(
                column,
                allowed_values,
                lower=lowerBound,
                upper=upperBound,
                include_lower=includeLowerBound,
                include_upper=includeUpperBound,
                assertion=assertion,
                hint=hint,
            )
        )
