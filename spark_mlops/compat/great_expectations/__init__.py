"""Great Expectations 1.x interop: import a GE suite as our Checks, export Checks as a GE suite.

Example:
    >>> conv = checks_from_expectation_suite(suite)          # a GE ExpectationSuite or its JSON
    >>> conv.unconverted                                      # [(expectation, reason), ...]
    >>> result = VerificationSuite(spark).on_data(df).add_checks(conv.checks).run()
    >>> conv.verdicts(result)                                 # [(expectation, passed), ...]
    >>> export = to_expectation_suite(check); export.to_gx()  # back to GE where the meaning is the same
"""

from __future__ import annotations

from spark_mlops.compat.great_expectations.bounds import ExpectationBounds
from spark_mlops.compat.great_expectations.from_suite import (
    SUPPORTED_EXPECTATIONS,
    ConversionResult,
    ConvertedExpectation,
    checks_from_expectation_suite,
    expectation_dicts,
)
from spark_mlops.compat.great_expectations.sample_stdev import SampleStandardDeviation
from spark_mlops.compat.great_expectations.to_suite import SuiteExport, to_expectation_suite

__all__ = [
    "SUPPORTED_EXPECTATIONS",
    "ConversionResult",
    "ConvertedExpectation",
    "ExpectationBounds",
    "SampleStandardDeviation",
    "SuiteExport",
    "checks_from_expectation_suite",
    "expectation_dicts",
    "to_expectation_suite",
]
