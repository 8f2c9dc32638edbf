"""Errors raised by spark_mlops.

Only misuse of the API raises (a bad argument, a missing table, a missing set-up step). Problems with the
*data* (an empty input, a NULL-only column, a wrong type) travel as failed metrics or failed constraints,
never as exceptions. Every message names the argument, column, path or version it is about.
"""

from __future__ import annotations

__all__ = [
    "ColumnNotFoundError",
    "ConfigError",
    "DeltaTableError",
    "DeltaTableNotFoundError",
    "DeltaVersionError",
    "InvalidArgumentError",
    "LineageError",
    "PipelineDefinitionError",
    "PipelineError",
    "RepositoryError",
    "SparkConnectUnsupportedError",
    "SparkMlopsError",
    "SparkSetupError",
    "StepFailedError",
    "TrackingError",
]


class SparkMlopsError(Exception):
    """Base class of every error raised by spark_mlops."""


class SparkSetupError(SparkMlopsError):
    """The local environment is not set up (for example the Delta jars were never fetched)."""


class InvalidArgumentError(SparkMlopsError, ValueError):
    """An argument has a value the API does not accept; the message names the argument."""


class ColumnNotFoundError(InvalidArgumentError):
    """A column named in an argument is not in the DataFrame."""


class ConfigError(SparkMlopsError, ValueError):
    """A YAML or dict configuration does not validate; the message names the field."""


class DeltaTableError(SparkMlopsError):
    """A Delta read or write failed; the message names the table and, when known, the version."""


class DeltaTableNotFoundError(DeltaTableError):
    """The path or name does not hold a Delta table."""


class DeltaVersionError(DeltaTableError):
    """The requested version or timestamp does not exist in the table's history."""


class SparkConnectUnsupportedError(SparkMlopsError):
    """The feature needs the JVM (py4j) and cannot run over a Spark Connect session."""


class RepositoryError(SparkMlopsError):
    """A metrics repository could not be read or written (corrupt file, schema mismatch, ...)."""


class TrackingError(SparkMlopsError):
    """Experiment tracking on MLflow failed or was misused."""


class LineageError(SparkMlopsError):
    """A lineage entity or query is invalid (unknown id, cycle, bad filter)."""


class PipelineError(SparkMlopsError):
    """A pipeline execution failed or was misused."""


class PipelineDefinitionError(PipelineError, ValueError):
    """A pipeline definition is invalid (unknown step, cycle, type mismatch); names the step."""


class StepFailedError(PipelineError):
    """A pipeline step failed; carries the step name."""

    def __init__(self, step_name: str, message: str) -> None:
        super().__init__(f"step '{step_name}' failed: {message}")
        self.step_name = step_name
