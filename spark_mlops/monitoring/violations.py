"""``check_violations``: compare a dataset with a baseline's constraints, Model Monitor style.

One profile of the current data (≤ 2 Spark scans) serves every check. Check types:

* ``missing_column_check`` / ``extra_column_check`` — a baseline column is absent / a new column.
* ``data_type_check`` — the inferred type changed (an Integral column where Fractional is expected is
  accepted: every integer is a fractional value).
* ``completeness_check`` — current completeness below the baseline's ``completeness`` by more than
  ``z·√(p(1−p)/n)`` (binomial sampling noise at ``z`` = 3.29, two-sided 0.1 %), so an undrifted sample
  with NULLs does not alarm; a baseline completeness of 1.0 tolerates no NULL.
* ``baseline_drift_check`` — L∞ distance (``comparison_method`` Simple/Robust, numeric CDFs or
  category frequencies) ≥ ``comparison_threshold`` (``categorical_comparison_threshold`` for strings);
  with ``categorical_drift_method`` ChiSquared, a χ² p-value below 0.05.
* ``categorical_values_check`` — share of present values inside ``string_constraints.domains`` below
  ``domain_content_threshold``.
"""

from __future__ import annotations

import math
from typing import Any

from pyspark.sql import DataFrame

from spark_mlops.monitoring.baseline import DataBaseline
from spark_mlops.monitoring.drift.methods import evaluate
from spark_mlops.quality.profiles.distributions import CategoricalDistribution, NumericDistribution
from spark_mlops.quality.profiles.profile import DatasetProfile, inferred_type, profile_columns

__all__ = ["CHECK_TYPES", "COMPLETENESS_Z", "check_violations", "violations_json"]

CHECK_TYPES = (
    "data_type_check",
    "completeness_check",
    "baseline_drift_check",
    "missing_column_check",
    "extra_column_check",
    "categorical_values_check",
)
COMPLETENESS_Z = 3.29


def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def check_violations(
    df: DataFrame, baseline: DataBaseline, current: DatasetProfile | None = None
) -> list[dict[str, str]]:
    """Violations of ``baseline``'s constraints by ``df``.

    Args:
        df: Current data.
        baseline: The baseline (its ``constraints_json()`` drives the checks).
        current: A profile of ``df`` already computed (e.g. by ``compute_drift``), to skip the scans.

    Returns:
        Dicts with ``feature_name``, ``constraint_check_type`` and ``description`` (measured numbers).
    """
    constraints = baseline.constraints_json()
    config = constraints.get("monitoring_config", {})
    dist_cfg = config.get("distribution_constraints", {})
    domain_threshold = float(config.get("domain_content_threshold", 1.0))
    types = {f.name: inferred_type(f.dataType) for f in df.schema.fields}
    out: list[dict[str, str]] = []
    features = {f["name"]: f for f in constraints.get("features", [])}
    for name in features:
        if name not in types:
            out.append(_violation(name, "missing_column_check", f"Baseline column '{name}' is missing"))
    for name in types:
        if name not in features:
            out.append(_violation(name, "extra_column_check", f"Column '{name}' is not in the baseline"))
    present = [n for n in features if n in types and types[n] != "Unknown"]
    if current is None:
        current = profile_columns(
            df, present, sketch_k=baseline.sketch_k, label="violations", reference=baseline.profile
        )
    for name in present:
        feature, cur = features[name], current.columns.get(name)
        expected, got = feature.get("inferred_type"), types[name]
        if expected != got and not (expected == "Fractional" and got == "Integral"):
            out.append(
                _violation(name, "data_type_check", f"Baseline inferred type {expected}, current type {got}")
            )
            continue
        if cur is None:
            continue
        out += _completeness(name, feature, cur.completeness, cur.count + cur.missing)
        ref = baseline.profile.columns.get(name)
        if ref is not None and type(ref) is type(cur):
            out += _drift(name, ref, cur, dist_cfg)
        domains = feature.get("string_constraints", {}).get("domains")
        if domains is not None and isinstance(cur, CategoricalDistribution) and cur.count:
            inside = sum(v for k, v in cur.counts.items() if k in set(domains)) / cur.count
            if inside < domain_threshold:
                unknown = sorted(set(cur.counts) - set(domains))[:10]
                out.append(
                    _violation(
                        name,
                        "categorical_values_check",
                        f"Share of values in the baseline domain: {inside:.6g} is below the threshold "
                        f"{domain_threshold:g}; unknown values include {unknown}",
                    )
                )
    return out


def _completeness(name: str, feature: dict[str, Any], measured: float, n: int) -> list[dict[str, str]]:
    expected = feature.get("completeness")
    if expected is None or n == 0 or math.isnan(measured):
        return []
    expected = float(expected)
    tolerance = COMPLETENESS_Z * math.sqrt(expected * (1 - expected) / n)
    if measured < expected - tolerance:
        return [
            _violation(
                name,
                "completeness_check",
                f"Completeness {measured:.6g} is below the baseline {expected:.6g} "
                f"(tolerance {tolerance:.3g} at n={n})",
            )
        ]
    return []


def _drift(name: str, ref: Any, cur: Any, cfg: dict[str, Any]) -> list[dict[str, str]]:
    if str(cfg.get("perform_comparison", "Enabled")) != "Enabled" or ref.count == 0 or cur.count == 0:
        return []
    if isinstance(ref, CategoricalDistribution) and (ref.truncated or cur.truncated):
        return []
    numeric = isinstance(ref, NumericDistribution)
    if not numeric and cfg.get("categorical_drift_method", "LInfinity") == "ChiSquared":
        outcome = evaluate("chi2", ref, cur)
        if outcome.drifted:
            return [
                _violation(
                    name,
                    "baseline_drift_check",
                    f"Chi-squared statistic {outcome.statistic:.6g}, p-value {outcome.p_value:.3g} "
                    f"is below {outcome.threshold:g}",
                )
            ]
        return []
    method = "linf_robust" if cfg.get("comparison_method", "Robust") == "Robust" else "linf"
    key = "comparison_threshold" if numeric else "categorical_comparison_threshold"
    threshold = float(cfg.get(key, cfg.get("comparison_threshold", 0.1)))
    outcome = evaluate(method, ref, cur, threshold)
    if outcome.drifted:
        return [
            _violation(
                name,
                "baseline_drift_check",
                f"Baseline drift distance ({method}): {outcome.statistic:.6g} "
                f"exceeds threshold: {threshold:g}",
            )
        ]
    return []


def violations_json(violations: list[dict[str, str]]) -> dict[str, Any]:
    """Model Monitor's ``constraint_violations.json`` document."""
    return {"violations": violations}
