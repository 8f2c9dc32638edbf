"""ExperimentAnalytics: one row per trial component, parameters and metric summaries as columns.

Columns follow SageMaker's ``ExperimentAnalytics``: ``TrialComponentName`` (the MLflow run id),
``DisplayName`` (the run name), ``SourceArn`` (the run's artifact URI), ``TrialName``, then one column
per parameter and, per metric, ``"<name> - Min/Max/Avg/StdDev/Last/Count"`` computed from the run's
full metric history.

Statistics, decided and tested against numpy: ``StdDev`` is the *sample* standard deviation
(``ddof=1``, NaN for a single value), ``Avg`` the arithmetic mean, ``Last`` the value at the highest
step (ties: the latest timestamp), which is also what MLflow reports as a run's latest metric.
Parameters are strings in MLflow; a parameter column whose values all parse as numbers is returned
numeric.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from spark_mlops.errors import InvalidArgumentError, TrackingError
from spark_mlops.tracking.experiment import KIND_TAG, TRIAL_TAG, Experiment, mlflow_client

__all__ = ["STATISTICS", "ExperimentAnalytics", "summarize"]

log = logging.getLogger(__name__)

#: The per-metric statistics, in column order.
STATISTICS = ("Min", "Max", "Avg", "StdDev", "Last", "Count")
_FIXED = ["TrialComponentName", "DisplayName", "SourceArn", "TrialName"]


def summarize(values_in_order: Sequence[float]) -> dict[str, float]:
    """Min/Max/Avg/StdDev (sample)/Last/Count of a metric series given in (step, timestamp) order."""
    n = len(values_in_order)
    if n == 0:
        return {s: math.nan for s in STATISTICS[:-1]} | {"Count": 0}
    mean = math.fsum(values_in_order) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values_in_order) / (n - 1)) if n > 1 else math.nan
    return {
        "Min": min(values_in_order),
        "Max": max(values_in_order),
        "Avg": mean,
        "StdDev": std,
        "Last": values_in_order[-1],
        "Count": n,
    }


class ExperimentAnalytics:
    """Analytics table of an experiment's trial components.

    Args:
        experiment_name: The experiment.
        search_expression: An MLflow run filter, e.g. ``"params.max_depth = '5'"`` or
            ``"metrics.auc > 0.8"`` (combined with "is a trial component").
        sort_by: A column of the table, e.g. ``"auc - Max"`` or ``"DisplayName"``.
        sort_order: ``"Ascending"`` or ``"Descending"``.
        metric_names: Only these metrics (default: all).
        parameter_names: Only these parameters (default: all).

    Example:
        >>> df = ExperimentAnalytics("churn", sort_by="auc - Last").dataframe()
    """

    def __init__(
        self,
        experiment_name: str,
        search_expression: str | None = None,
        sort_by: str | None = None,
        sort_order: str = "Descending",
        metric_names: Sequence[str] | None = None,
        parameter_names: Sequence[str] | None = None,
    ) -> None:
        if sort_order not in ("Ascending", "Descending"):
            raise InvalidArgumentError(
                f"sort_order: expected 'Ascending' or 'Descending', got {sort_order!r}"
            )
        self.experiment = Experiment.load(experiment_name)
        self.search_expression = search_expression
        self.sort_by = sort_by
        self.sort_order = sort_order
        self.metric_names = list(metric_names) if metric_names is not None else None
        self.parameter_names = list(parameter_names) if parameter_names is not None else None

    def _runs(self) -> list[Any]:
        client = mlflow_client()
        query = self.search_expression or ""
        runs: list[Any] = []
        token = None
        try:
            while True:
                page = client.search_runs(
                    [self.experiment.experiment_id],
                    filter_string=query,
                    order_by=["start_time ASC"],
                    max_results=1000,
                    page_token=token,
                )
                runs.extend(page)
                token = page.token
                if not token:
                    break
        except Exception as exc:  # noqa: BLE001 - MLflow raises its own exception for a bad filter
            raise TrackingError(
                f"search_expression: MLflow rejected {self.search_expression!r}: {exc}"
            ) from None
        # Runs logged without a kind tag (plain mlflow.start_run) are components too; only trials are not.
        # (Filtered here: an MLflow tag filter would also drop the runs that lack the tag.)
        return [r for r in runs if r.data.tags.get(KIND_TAG) != "trial"]

    def dataframe(self) -> pd.DataFrame:
        """The analytics table (pandas; one row per trial component)."""
        client = mlflow_client()
        rows: list[dict[str, Any]] = []
        param_cols: list[str] = []
        metric_cols: list[str] = []
        for run in self._runs():
            tags = run.data.tags
            row: dict[str, Any] = {
                "TrialComponentName": run.info.run_id,
                "DisplayName": run.info.run_name,
                "SourceArn": run.info.artifact_uri,
                "TrialName": tags.get(TRIAL_TAG),
            }
            params = run.data.params
            for p in self.parameter_names if self.parameter_names is not None else sorted(params):
                if p not in param_cols:
                    param_cols.append(p)
                row[p] = params.get(p)
            names = self.metric_names if self.metric_names is not None else sorted(run.data.metrics)
            for m in names:
                history = client.get_metric_history(run.info.run_id, m)
                ordered = [h.value for h in sorted(history, key=lambda h: (h.step, h.timestamp))]
                if m not in metric_cols:
                    metric_cols.append(m)
                for stat, value in summarize(ordered).items():
                    row[f"{m} - {stat}"] = value
            rows.append(row)
        columns = _FIXED + param_cols + [f"{m} - {s}" for m in metric_cols for s in STATISTICS]
        df = pd.DataFrame(rows, columns=columns)
        for p in param_cols:
            df[p] = _maybe_numeric(df[p])
        for m in metric_cols:
            df[f"{m} - Count"] = df[f"{m} - Count"].fillna(0).astype("int64")
        if self.sort_by is not None:
            if self.sort_by not in df.columns:
                raise InvalidArgumentError(
                    f"sort_by: '{self.sort_by}' is not a column; columns are {list(df.columns)}"
                )
            df = df.sort_values(self.sort_by, ascending=self.sort_order == "Ascending", kind="stable")
        return df.reset_index(drop=True)

    def spark_dataframe(self, spark: SparkSession) -> DataFrame:
        """The same table as a Spark DataFrame (a small local table; no Spark job to build it)."""
        pdf = self.dataframe()
        for col in pdf.columns:
            if pdf[col].dtype == object:
                pdf[col] = pdf[col].astype("string").astype(object).where(pdf[col].notna(), None)
        if pdf.empty:
            schema = ", ".join(f"`{c}` string" for c in pdf.columns)
            return spark.createDataFrame([], schema)
        return spark.createDataFrame(pdf)


def _maybe_numeric(series: pd.Series) -> pd.Series:
    present = series.dropna()
    if present.empty:
        return series
    try:
        parsed = pd.to_numeric(present)
    except (ValueError, TypeError):
        return series
    out = pd.to_numeric(series)
    if (parsed == parsed.round()).all() and not present.astype(str).str.contains(r"[.eE]").any():
        return out.astype("Int64") if series.isna().any() else out.astype("int64")
    return out.astype("float64")
