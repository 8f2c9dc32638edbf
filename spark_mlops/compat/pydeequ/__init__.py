"""PyDeequ's API on the spark_mlops engine: a PyDeequ user changes only the imports.

``from pydeequ.checks import *`` becomes ``from spark_mlops.compat.pydeequ.checks import *`` (same for
``analyzers``, ``verification``, ``repository``, ``anomaly_detection`` and ``profiles``), or import
everything from this package. Methods keep PyDeequ's camelCase names and argument names and forward to
the native snake_case API; results are our own objects, with PyDeequ's DataFrame shapes. No JVM Deequ,
no py4j: it runs on any Spark 4 session, Spark Connect included.

Differences from PyDeequ (documented in docs/compat.md): ``binningUdf`` arguments are refused (they are
JVM functions); ``Check`` methods forward to our vocabulary, so NULL semantics are Deequ's (see
SEMANTICS.md); ``run()`` returns our result objects.
"""

from __future__ import annotations

from spark_mlops.compat.pydeequ.analyzers import (
    AnalysisRunBuilder,
    AnalysisRunner,
    AnalyzerContext,
    ApproxCountDistinct,
    ApproxQuantile,
    ApproxQuantiles,
    Completeness,
    Compliance,
    Correlation,
    CountDistinct,
    DataType,
    Distinctness,
    Entropy,
    Histogram,
    Maximum,
    MaxLength,
    Mean,
    Minimum,
    MinLength,
    MutualInformation,
    PatternMatch,
    Size,
    StandardDeviation,
    Sum,
    Uniqueness,
    UniqueValueRatio,
)
from spark_mlops.compat.pydeequ.anomaly_detection import (
    AbsoluteChangeStrategy,
    BatchNormalStrategy,
    HoltWinters,
    MetricInterval,
    OnlineNormalStrategy,
    RelativeRateOfChangeStrategy,
    SeriesSeasonality,
    SimpleThresholdStrategy,
)
from spark_mlops.compat.pydeequ.checks import (
    Check,
    CheckLevel,
    CheckStatus,
    ConstrainableDataTypes,
    ConstraintStatus,
)
from spark_mlops.compat.pydeequ.profiles import (
    ColumnProfile,
    ColumnProfilerRunner,
    ColumnProfileRunBuilder,
    ColumnProfilesResult,
)
from spark_mlops.compat.pydeequ.repository import (
    FileSystemMetricsRepository,
    InMemoryMetricsRepository,
    RepositoryLoader,
    ResultKey,
)
from spark_mlops.compat.pydeequ.suggestions import (
    DEFAULT,
    CategoricalRangeRule,
    CompleteIfCompleteRule,
    ConstraintSuggestionRunBuilder,
    ConstraintSuggestionRunner,
    FractionalCategoricalRangeRule,
    NonNegativeNumbersRule,
    RetainCompletenessRule,
    RetainTypeRule,
    UniqueIfApproximatelyUniqueRule,
)
from spark_mlops.compat.pydeequ.verification import (
    AnomalyCheckConfig,
    VerificationResult,
    VerificationRunBuilder,
    VerificationSuite,
)

__all__ = [
    "DEFAULT",
    "AbsoluteChangeStrategy",
    "AnalysisRunBuilder",
    "AnalysisRunner",
    "AnalyzerContext",
    "AnomalyCheckConfig",
    "ApproxCountDistinct",
    "ApproxQuantile",
    "ApproxQuantiles",
    "BatchNormalStrategy",
    "CategoricalRangeRule",
    "Check",
    "CheckLevel",
    "CheckStatus",
    "ColumnProfile",
    "ColumnProfileRunBuilder",
    "ColumnProfilerRunner",
    "ColumnProfilesResult",
    "CompleteIfCompleteRule",
    "Completeness",
    "Compliance",
    "ConstrainableDataTypes",
    "ConstraintStatus",
    "ConstraintSuggestionRunBuilder",
    "ConstraintSuggestionRunner",
    "Correlation",
    "CountDistinct",
    "DataType",
    "Distinctness",
    "Entropy",
    "FileSystemMetricsRepository",
    "FractionalCategoricalRangeRule",
    "Histogram",
    "HoltWinters",
    "InMemoryMetricsRepository",
    "MaxLength",
    "Maximum",
    "Mean",
    "MetricInterval",
    "MinLength",
    "Minimum",
    "MutualInformation",
    "NonNegativeNumbersRule",
    "OnlineNormalStrategy",
    "PatternMatch",
    "RelativeRateOfChangeStrategy",
    "RepositoryLoader",
    "ResultKey",
    "RetainCompletenessRule",
    "RetainTypeRule",
    "SeriesSeasonality",
    "SimpleThresholdStrategy",
    "Size",
    "StandardDeviation",
    "Sum",
    "UniqueIfApproximatelyUniqueRule",
    "UniqueValueRatio",
    "Uniqueness",
    "VerificationResult",
    "VerificationRunBuilder",
    "VerificationSuite",
]
