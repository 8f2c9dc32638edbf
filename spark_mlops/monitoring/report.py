"""One self-contained HTML report per monitoring run, optionally logged to MLflow.

Every input is already small and aggregated (metric dicts, violation lists, per-bucket counts, curve
points from :func:`~spark_mlops.monitoring.model_quality.model_quality`); the report never touches rows.
Plots are matplotlib (Agg backend) PNGs embedded as base64 ``data:`` URIs, so the file opens anywhere
without network or side files. Each section appears only when its input is given; sections carry
``id="<name>"`` (data-quality, violations, distributions, drift, model-quality, bias, attribution).
:func:`distribution_overlay` computes the per-column baseline/current histograms in two Spark jobs.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot
import matplotlib.pyplot as plt
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import NumericType

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError

__all__ = ["build_report", "distribution_overlay", "log_report_to_mlflow", "write_report"]

log = logging.getLogger(__name__)

_CSS = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}.bad{color:#b00}
section{margin-bottom:2.5em}img{max-width:900px}"""


def _img(fig: Any, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    if not rows:
        return "<p>none</p>"
    cols = list(columns or dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _rows(data: Any) -> list[dict[str, Any]]:
    """Small tabular input as dicts: a list of dicts, a pandas frame or a (small) Spark DataFrame."""
    if isinstance(data, DataFrame):
        return [r.asDict(recursive=True) for r in data.limit(10_000).collect()]
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return list(data.to_dict(orient="records"))
    return [dict(r) for r in data]


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{body}</section>'


def _distributions(distributions: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for column, dist in distributions.items():
        labels = [str(b) for b in dist["bins"]]
        base = [float(v) for v in dist["baseline"]]
        cur = [float(v) for v in dist["current"]]
        # Overlay shares (each side sums to 1) so different row counts compare.
        base_share = [v / (sum(base) or 1) for v in base]
        cur_share = [v / (sum(cur) or 1) for v in cur]
        fig, ax = plt.subplots(figsize=(7, 3))
        x = range(len(labels))
        ax.bar([i - 0.2 for i in x], base_share, width=0.4, label="baseline", alpha=0.8)
        ax.bar([i + 0.2 for i in x], cur_share, width=0.4, label="current", alpha=0.8)
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, rotation=60, fontsize=7)
        ax.set_title(column)
        ax.set_ylabel("share of rows")
        ax.legend()
        parts.append(f"<h3>{html.escape(column)}</h3>{_img(fig, f'distribution of {column}')}")
    return "".join(parts)


def _drift(rows: list[dict[str, Any]]) -> str:
    finite = [
        r for r in rows if isinstance(r.get("statistic"), (int, float)) and math.isfinite(r["statistic"])
    ]
    chart = ""
    if finite:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(finite) + 1))
        names = [f"{r.get('column')} ({r.get('method')})" for r in finite]
        colors = ["#c0392b" if r.get("drifted") else "#2e86c1" for r in finite]
        ax.barh(names, [r["statistic"] for r in finite], color=colors)
        ax.set_xlabel("drift statistic (red = drifted)")
        chart = _img(fig, "drift statistics")
    cols = ["column", "method", "statistic", "p_value", "threshold", "drifted"]
    return chart + _table(rows, [c for c in cols if any(c in r for r in rows)] or None)


def _model_quality(metrics: Mapping[str, Any]) -> str:
    parts = []
    confusion = metrics.get("confusion_matrix")
    if confusion:
        observed = list(confusion)
        predicted = list(dict.fromkeys(p for row in confusion.values() for p in row))
        grid = [[confusion[o].get(p, 0) for p in predicted] for o in observed]
        fig, ax = plt.subplots(figsize=(1 + 0.7 * len(predicted), 1 + 0.6 * len(observed)))
        ax.imshow(grid, cmap="Blues")
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center")
        ax.set_xticks(range(len(predicted)), predicted)
        ax.set_yticks(range(len(observed)), observed)
        ax.set_xlabel("predicted")
        ax.set_ylabel("observed")
        parts.append(_img(fig, "confusion matrix"))
    curves = getattr(metrics, "curves", None)
    if curves is not None:
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.plot(curves.fpr, curves.tpr, marker=".")
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title(f"ROC (auc = {_fmt(metrics.get('auc'))})")
        parts.append(_img(fig, "ROC curve"))
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.plot(curves.recall[1:], curves.precision[1:], marker=".")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_title(f"precision-recall (AP = {_fmt(metrics.get('pr_auc'))})")
        parts.append(_img(fig, "precision-recall curve"))
    stds = getattr(metrics, "standard_deviations", {}) or {}
    rows = [
        {"metric": k, "value": v, "standard_deviation": stds.get(k, math.nan)}
        for k, v in metrics.items()
        if isinstance(v, (int, float))
    ]
    return "".join(parts) + _table(rows)


def _bias(metrics: Mapping[str, float]) -> str:
    finite = {k: float(v) for k, v in metrics.items() if math.isfinite(float(v))}
    chart = ""
    if finite:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(finite) + 1))
        ax.barh(
            list(finite),
            list(finite.values()),
            color=["#c0392b" if v < 0 else "#2e86c1" for v in finite.values()],
        )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("value (0 = no difference between facets)")
        chart = _img(fig, "bias metrics")
    reasons = getattr(metrics, "reasons", {}) or {}
    rows = [{"metric": k, "value": float(v), "note": reasons.get(k, "")} for k, v in metrics.items()]
    return chart + _table(rows)


def _attribution(current: Mapping[str, float], baseline: Mapping[str, float] | None, drift: Any) -> str:
    names = list(current)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
    ax.barh([n + " " for n in names], [float(current[n]) for n in names], label="current", alpha=0.8)
    if baseline:
        ax.barh(names, [float(baseline.get(n, 0.0)) for n in names], label="baseline", alpha=0.5)
        ax.legend()
    ax.set_xlabel("attribution")
    body = _img(fig, "feature attribution ranking")
    if drift is not None:
        d = drift.to_dict() if hasattr(drift, "to_dict") else dict(drift)
        css = ' class="bad"' if d.get("drifted") else ""
        ndcg, threshold = _fmt(d.get("ndcg")), _fmt(d.get("threshold"))
        summary = f"NDCG = {ndcg} (threshold {threshold}, drifted: {d.get('drifted')})"
        body += f"<p{css}>{summary}</p>"
    rows = [
        {"rank": i + 1, "feature": f, "current": v, "baseline": (baseline or {}).get(f, "")}
        for i, (f, v) in enumerate(current.items())
    ]
    return body + _table(rows)


def build_report(
    title: str = "Monitoring report",
    *,
    data_quality: Any = None,
    violations: Any = None,
    distributions: Mapping[str, Mapping[str, Any]] | None = None,
    drift: Any = None,
    model_quality: Mapping[str, Any] | None = None,
    bias: Mapping[str, float] | None = None,
    attributions: Mapping[str, float] | None = None,
    baseline_attributions: Mapping[str, float] | None = None,
    attribution_drift: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Build the HTML report; every section is optional.

    Args:
        title: Page title.
        data_quality: Check/constraint results: list of dicts, pandas or small Spark DataFrame.
        violations: Violation dicts (data or model quality).
        distributions: ``{column: {"bins": [...], "baseline": [counts], "current": [counts]}}`` (see
            :func:`distribution_overlay`).
        drift: Drift rows (``column, method, statistic, p_value, threshold, drifted``), e.g. the
            DataFrame of ``compute_drift``.
        model_quality: Result of ``model_quality`` (confusion matrix, ROC/PR curves, metric table).
        bias: Result of ``bias_metrics``.
        attributions: Current feature attributions ``{feature: value}``, highest first.
        baseline_attributions: Baseline attributions for the overlay.
        attribution_drift: Result of ``attribution_drift``.
        metadata: Key/values shown at the top (table versions, model, run id, ...).

    Returns:
        A complete, self-contained HTML document.
    """
    sections = []
    if metadata:
        sections.append(
            _section("metadata", "Run", _table([{"key": k, "value": v} for k, v in metadata.items()]))
        )
    if data_quality is not None:
        sections.append(_section("data-quality", "Data quality", _table(_rows(data_quality))))
    if violations is not None:
        sections.append(_section("violations", "Violations", _table(_rows(violations))))
    if distributions:
        sections.append(
            _section("distributions", "Distributions: baseline vs current", _distributions(distributions))
        )
    if drift is not None:
        sections.append(_section("drift", "Drift", _drift(_rows(drift))))
    if model_quality is not None:
        sections.append(_section("model-quality", "Model quality", _model_quality(model_quality)))
    if bias is not None:
        sections.append(_section("bias", "Bias", _bias(bias)))
    if attributions:
        body = _attribution(attributions, baseline_attributions, attribution_drift)
        sections.append(_section("attribution", "Feature attribution", body))
    escaped = html.escape(title)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escaped}</title>'
        f"<style>{_CSS}</style></head>"
        f"<body><h1>{escaped}</h1>{''.join(sections)}</body></html>"
    )


def write_report(path: str | Path, html_text: str | None = None, **sections: Any) -> Path:
    """Write a report (given, or built from ``sections`` with :func:`build_report`) to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html_text if html_text is not None else build_report(**sections), encoding="utf-8")
    return target


def log_report_to_mlflow(
    html_text: str,
    metrics: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    artifact_file: str = "monitoring_report.html",
    prefix: str = "",
) -> str:
    """Log the report as an artifact and the finite numeric metrics of a run.

    Args:
        html_text: The report.
        metrics: Name → value; non-numeric and non-finite values are skipped (MLflow cannot chart them).
        run_id: Run to log to; default the active run, else a new run (ended afterwards).
        artifact_file: Artifact path of the report inside the run.
        prefix: Prepended to each metric name (e.g. ``"bias."``).

    Returns:
        The run id.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    values = {
        re.sub(r"[^A-Za-z0-9_\-./ ]", "_", f"{prefix}{k}"): float(v)
        for k, v in (metrics or {}).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))
    }
    if run_id is not None:
        client = MlflowClient()
        client.log_text(run_id, html_text, artifact_file)
        for name, value in values.items():
            client.log_metric(run_id, name, value)
        return run_id
    active = mlflow.active_run()
    run = active or mlflow.start_run(run_name="monitoring")
    try:
        mlflow.log_text(html_text, artifact_file)
        if values:
            mlflow.log_metrics(values)
        return run.info.run_id
    finally:
        if active is None:
            mlflow.end_run()


def distribution_overlay(
    baseline: DataFrame, current: DataFrame, columns: Sequence[str], bins: int = 20, max_categories: int = 30
) -> dict[str, dict[str, Any]]:
    """Per-column baseline/current histograms for the report, in two Spark jobs for all columns.

    Numeric columns get ``bins`` equal-width buckets over the joint min/max (job 1); every column's
    bucket (numeric) or value (others, as strings) is counted per side in one grouped job (job 2).
    NULLs are not plotted. Categorical columns keep the ``max_categories`` most frequent values.

    Raises:
        ColumnNotFoundError: a column is missing on either side.
        InvalidArgumentError: ``bins`` < 1.
    """
    if bins < 1:
        raise InvalidArgumentError(f"bins={bins} must be >= 1")
    for side, frame in (("baseline", baseline), ("current", current)):
        for c in columns:
            if c not in frame.columns:
                raise ColumnNotFoundError(f"columns: {c!r} is not a column of {side}")
    union = baseline.select(*columns, F.lit("baseline").alias("_side")).unionByName(
        current.select(*columns, F.lit("current").alias("_side"))
    )
    numeric = [c for c in columns if isinstance(baseline.schema[c].dataType, NumericType)]
    bounds: dict[str, tuple[float, float]] = {}
    if numeric:
        row = union.agg(*[F.min(c).alias(f"lo{i}") for i, c in enumerate(numeric)],
                        *[F.max(c).alias(f"hi{i}") for i, c in enumerate(numeric)]).collect()[0]  # fmt: skip
        bounds = {
            c: (row[f"lo{i}"], row[f"hi{i}"]) for i, c in enumerate(numeric) if row[f"lo{i}"] is not None
        }
    keys = []
    for i, c in enumerate(columns):
        if c in bounds:
            lo, hi = (float(v) for v in bounds[c])
            width = (hi - lo) / bins if hi > lo else 1.0
            key = F.least(F.floor((F.col(c).cast("double") - lo) / width), F.lit(bins - 1)).cast("string")
        elif c in numeric:
            continue  # all NULL
        else:
            key = F.col(c).cast("string")
        keys.append(F.struct(F.lit(i).alias("i"), key.alias("k")))
    counts = (
        union.select("_side", F.explode(F.array(*keys)).alias("e"))
        .where(F.col("e.k").isNotNull())
        .groupBy("_side", "e.i", "e.k")
        .count()
        .collect()
    )
    out: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(columns):
        mine = [r for r in counts if r["i"] == i]
        per_side = {(r["_side"], r["k"]): int(r["count"]) for r in mine}
        if c in bounds:
            lo, hi = (float(v) for v in bounds[c])
            width = (hi - lo) / bins if hi > lo else 1.0
            labels = [f"{lo + b * width:.3g}" for b in range(bins)]
            order = [str(b) for b in range(bins)]
        else:
            totals: dict[str, int] = {}
            for (_, k), v in per_side.items():
                totals[k] = totals.get(k, 0) + v
            order = sorted(totals, key=lambda k: (-totals[k], k))[:max_categories]
            labels = order
        if not mine:
            continue
        out[c] = {
            "bins": labels,
            "baseline": [per_side.get(("baseline", k), 0) for k in order],
            "current": [per_side.get(("current", k), 0) for k in order],
        }
    return out
