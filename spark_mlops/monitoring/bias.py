"""Clarify's pre- and post-training bias metrics from one Spark aggregation.

Definitions follow the SageMaker Clarify documentation ("Measure pre-training bias" and "Measure
post-training data and model bias" in the SageMaker developer guide). Facet ``d`` is the sensitive group
(``facet`` equal to one of ``facet_value``, or above ``facet_threshold``), facet ``a`` every other row.
A label (or predicted label) is *positive* when it is one of ``positive_label_values``.

One ``groupBy(facet d?, label, label positive?, prediction positive?, group)`` job returns a small count
table; everything else is the pure arithmetic below. Conventions:

* Clarify's division: ``x/0 = +inf`` for x > 0 and ``0/0 = 0`` (SEMANTICS.md).
* When a facet has no rows at all, every metric comparing the facets is undefined and is ``nan`` with a
  reason in :attr:`BiasMetrics.reasons` (never a silent 0); so is ``TE`` when it is ``inf − inf``.
* KL, JS, LP, TVD and KS compare the distributions of the *label values* (categorical) in the two facets
  (natural log); for a binary label that is the positive/negative split.
* CDDL and CDDPL need ``group_variable`` (Clarify's conditional demographic disparity); without it they
  are ``nan`` with a reason. FT (flip test) needs counterfactual k-nearest-neighbour predictions from a
  model and is not computed here: it is always ``nan`` with a reason.
* Rows with a NULL label, facet, predicted label or group are excluded and counted in ``excluded``.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import NumericType

from spark_mlops.errors import ColumnNotFoundError, InvalidArgumentError
from spark_mlops.monitoring.model_quality_scores import literal_like
from spark_mlops.spark import job_description

__all__ = [
    "POST_TRAINING_METRICS",
    "PRE_TRAINING_METRICS",
    "BiasCounts",
    "BiasMetrics",
    "bias_from_counts",
    "bias_metrics",
    "clarify_divide",
]

log = logging.getLogger(__name__)

PRE_TRAINING_METRICS = ("CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL")
POST_TRAINING_METRICS = (
    "DPPL", "DI", "DCAcc", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE", "FT", "GE", "CDDPL",
)  # fmt: skip


def clarify_divide(numerator: float, denominator: float) -> float:
    """Clarify's division: ``0/0 = 0``, ``x/0 = ±inf``, else the quotient."""
    if denominator == 0:
        if numerator == 0:
            return 0.0
        return math.inf if numerator > 0 else -math.inf
    return numerator / denominator


@dataclass(frozen=True)
class BiasCounts:
    """The aggregated state: row counts per (facet d?, label value, label+, prediction+, group).

    ``rows`` maps ``(is_d, label_value, label_positive, predicted_positive, group)`` to a count;
    ``predicted_positive`` is ``None`` without predictions and ``group`` is ``None`` without a group
    variable.
    """

    rows: Mapping[tuple[bool, Any, bool, bool | None, Any], int]
    has_predictions: bool
    has_groups: bool


class BiasMetrics(dict[str, float]):
    """Clarify abbreviation → value (``inf``/``nan`` where unbounded/undefined).

    Attributes:
        reasons: Abbreviation → why it is ``nan``.
        facet_counts: ``{"a": n_a, "d": n_d}``.
        excluded: Rows left out because of a NULL, by column role.
    """

    def __init__(
        self, values: dict[str, float], reasons: dict[str, str], facet_counts: dict[str, int], excluded: int
    ) -> None:
        super().__init__(values)
        self.reasons = reasons
        self.facet_counts = facet_counts
        self.excluded = excluded


def _facet_condition(df: DataFrame, facet: str, facet_value: Any, facet_threshold: float | None) -> Column:
    col = F.col(facet)
    if (facet_value is None) == (facet_threshold is None):
        raise InvalidArgumentError("give exactly one of facet_value and facet_threshold")
    if facet_threshold is not None:
        if not isinstance(df.schema[facet].dataType, NumericType):
            raise InvalidArgumentError(
                f"facet_threshold needs a numeric facet; facet={facet!r} is not numeric"
            )
        return col > F.lit(facet_threshold)
    values = list(facet_value) if isinstance(facet_value, (list, tuple, set)) else [facet_value]
    return col.isin([literal_like(df, facet, v, "facet_value") for v in values])


def bias_metrics(
    df: DataFrame,
    label: str,
    facet: str,
    facet_value: Any = None,
    facet_threshold: float | None = None,
    predicted_label: str | None = None,
    positive_label_values: Sequence[Any] = (1,),
    group_variable: str | None = None,
) -> BiasMetrics:
    """Pre-training (and, with ``predicted_label``, post-training) bias metrics in one Spark job.

    Args:
        df: Rows with the label, the facet and optionally predictions and a group variable.
        label: Observed label column (categorical).
        facet: Sensitive attribute column.
        facet_value: Value (or values) of ``facet`` forming the sensitive facet d.
        facet_threshold: Alternatively, d = rows with ``facet > facet_threshold`` (numeric facet).
        predicted_label: Predicted label column; enables the post-training metrics.
        positive_label_values: Label values that count as the positive (favourable) outcome.
        group_variable: Column of subgroups for CDDL/CDDPL.

    Returns:
        A :class:`BiasMetrics` dict with the keys of :data:`PRE_TRAINING_METRICS` (and
        :data:`POST_TRAINING_METRICS` with predictions).

    Raises:
        ColumnNotFoundError: a named column is missing.
        InvalidArgumentError: neither or both of facet_value/facet_threshold, or no positive values.

    Example:
        >>> m = bias_metrics(df, label="label", facet="gender", facet_value="F", predicted_label="prediction")
        >>> m["DPPL"], m["DI"], m.reasons.get("FT")
    """
    named = {
        "label": label,
        "facet": facet,
        "predicted_label": predicted_label,
        "group_variable": group_variable,
    }
    for argument, name in named.items():
        if name is not None and name not in df.columns:
            raise ColumnNotFoundError(f"{argument}={name!r} is not a column of the DataFrame {df.columns}")
    positives = list(positive_label_values)
    if not positives:
        raise InvalidArgumentError("positive_label_values must name at least one label value")
    is_d = _facet_condition(df, facet, facet_value, facet_threshold)
    y = F.col(label)
    label_positives = [literal_like(df, label, v, "positive_label_values") for v in positives]
    pred = F.lit(False)
    if predicted_label:
        pred = F.col(predicted_label).isin(
            [literal_like(df, predicted_label, v, "positive_label_values") for v in positives]
        )
    keys = [
        is_d.alias("_d"),
        y.alias("_y"),
        y.isin(label_positives).alias("_yp"),
        (F.col(predicted_label).isNull() if predicted_label else F.lit(False)).alias("_pnull"),
        pred.alias("_pp"),
        (F.col(group_variable) if group_variable else F.lit("")).alias("_g"),
    ]
    with job_description(df.sparkSession, f"bias_metrics facet={facet}"):
        groups = df.select(*keys).groupBy("_d", "_y", "_yp", "_pnull", "_pp", "_g").count().collect()
    rows: dict[tuple[bool, Any, bool, bool | None, Any], int] = defaultdict(int)
    excluded = 0
    for g in groups:
        if g["_d"] is None or g["_y"] is None or g["_pnull"] or g["_g"] is None:
            excluded += int(g["count"])
            continue
        key = (bool(g["_d"]), g["_y"], bool(g["_yp"]), bool(g["_pp"]) if predicted_label else None, g["_g"])
        rows[key] += int(g["count"])
    state = BiasCounts(
        rows=dict(rows), has_predictions=predicted_label is not None, has_groups=bool(group_variable)
    )
    result = bias_from_counts(state)
    result.excluded = excluded
    return result


def _kl(p: Mapping[Any, float], q: Mapping[Any, float]) -> float:
    total = 0.0
    for v, pv in p.items():
        if pv > 0:
            qv = q.get(v, 0.0)
            if qv == 0:
                return math.inf
            total += pv * math.log(pv / qv)
    return total


def _demographic_disparity(
    rows: Mapping[tuple[bool, Any, bool, bool | None, Any], int], predicted: bool
) -> float:
    """Conditional demographic disparity Σ_i n_i·DD_i / n, DD_i = nd(0)_i/n(0)_i − nd(1)_i/n(1)_i."""
    by_group: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # d0, all0, d1, all1
    for (is_d, _, y_pos, p_pos, group), count in rows.items():
        positive = p_pos if predicted else y_pos
        slot = by_group[group]
        slot[1 if not positive else 3] += count
        if is_d:
            slot[0 if not positive else 2] += count
    n = sum(s[1] + s[3] for s in by_group.values())
    total = 0.0
    for d0, all0, d1, all1 in by_group.values():
        total += (all0 + all1) * (clarify_divide(d0, all0) - clarify_divide(d1, all1))
    return clarify_divide(total, n)


def bias_from_counts(state: BiasCounts) -> BiasMetrics:
    """Clarify's metrics from the aggregated count table (pure; see the module notes)."""
    # n[x] counters per facet x ∈ {"a", "d"}: rows, label+, pred+, TP, FP, TN, FN; label distribution.
    c: dict[str, dict[str, int]] = {x: defaultdict(int) for x in ("a", "d")}
    dist: dict[str, dict[Any, float]] = {"a": defaultdict(float), "d": defaultdict(float)}
    for (is_d, value, y_pos, p_pos, _), count in state.rows.items():
        x = "d" if is_d else "a"
        c[x]["n"] += count
        c[x]["y1"] += count * y_pos
        dist[x][value] += count
        if p_pos is not None:
            c[x]["p1"] += count * p_pos
            c[x][
                {(True, True): "TP", (False, True): "FP", (False, False): "TN", (True, False): "FN"}[
                    (y_pos, p_pos)
                ]
            ] += count
    na, nd = c["a"]["n"], c["d"]["n"]
    n = na + nd
    values: dict[str, float] = {}
    reasons: dict[str, str] = {}
    values["CI"] = clarify_divide(na - nd, n) if n else math.nan
    empty = [x for x, k in (("a", na), ("d", nd)) if k == 0]
    comparable = not empty

    def q(x: str, key: str) -> float:
        return clarify_divide(c[x][key], c[x]["n"])

    if comparable:
        pa = {v: k / na for v, k in dist["a"].items()}
        pd_ = {v: k / nd for v, k in dist["d"].items()}
        support = set(pa) | set(pd_)
        diff = [pa.get(v, 0.0) - pd_.get(v, 0.0) for v in support]
        mid = {v: (pa.get(v, 0.0) + pd_.get(v, 0.0)) / 2 for v in support}
        values.update(
            DPL=q("a", "y1") - q("d", "y1"),
            KL=_kl(pa, pd_),
            JS=0.5 * (_kl(pa, mid) + _kl(pd_, mid)),
            LP=math.sqrt(sum(x * x for x in diff)),
            TVD=0.5 * sum(abs(x) for x in diff),
            KS=max(abs(x) for x in diff),
        )
        values["CDDL"] = _demographic_disparity(state.rows, predicted=False) if state.has_groups else math.nan
    else:
        for key in PRE_TRAINING_METRICS[1:]:
            values[key] = math.nan
    if not state.has_groups:
        reasons["CDDL"] = "needs group_variable"
    if state.has_predictions:
        _post_training(c, state, comparable, values, reasons)
    if empty:
        for key, value in values.items():
            if key != "CI" and math.isnan(value):
                reasons.setdefault(key, f"facet {' and '.join(empty)} has no rows")
    return BiasMetrics(values, reasons, {"a": na, "d": nd}, excluded=0)


def _post_training(
    c: dict[str, dict[str, int]],
    state: BiasCounts,
    comparable: bool,
    values: dict[str, float],
    reasons: dict[str, str],
) -> None:
    div = clarify_divide
    reasons["FT"] = "flip test needs counterfactual k-nearest-neighbour model predictions; not computed"
    values["FT"] = math.nan
    # Generalized entropy (α = 2) over all rows of b = ŷ − y + 1 ∈ {0 (FN), 1 (correct), 2 (FP)}.
    fn = c["a"]["FN"] + c["d"]["FN"]
    fp = c["a"]["FP"] + c["d"]["FP"]
    n = c["a"]["n"] + c["d"]["n"]
    correct = n - fn - fp
    sum_b, sum_b2 = correct + 2 * fp, correct + 4 * fp
    mean_b = sum_b / n if n else 0.0
    values["GE"] = (sum_b2 / (n * mean_b * mean_b) - 1) / 2 if mean_b > 0 else math.nan
    if math.isnan(values["GE"]):
        reasons["GE"] = "no rows, or every row is a false negative (mean benefit 0)"
    if not comparable:
        for key in POST_TRAINING_METRICS:
            values.setdefault(key, math.nan)
        return
    a, d = c["a"], c["d"]

    def neg(x: dict[str, int], key: str) -> int:
        return x["n"] - x[key]

    te_d, te_a = div(d["FN"], d["FP"]), div(a["FN"], a["FP"])
    values.update(
        DPPL=div(a["p1"], a["n"]) - div(d["p1"], d["n"]),
        DI=div(div(d["p1"], d["n"]), div(a["p1"], a["n"])),
        DCAcc=div(a["y1"], a["p1"]) - div(d["y1"], d["p1"]),
        DCR=div(neg(d, "y1"), neg(d, "p1")) - div(neg(a, "y1"), neg(a, "p1")),
        RD=div(a["TP"], a["TP"] + a["FN"]) - div(d["TP"], d["TP"] + d["FN"]),
        SD=div(d["TN"], d["TN"] + d["FP"]) - div(a["TN"], a["TN"] + a["FP"]),
        DAR=div(a["TP"], a["p1"]) - div(d["TP"], d["p1"]),
        DRR=div(d["TN"], neg(d, "p1")) - div(a["TN"], neg(a, "p1")),
        AD=div(a["TP"] + a["TN"], a["n"]) - div(d["TP"] + d["TN"], d["n"]),
        TE=te_d - te_a,
    )
    if math.isnan(values["TE"]):
        reasons["TE"] = "FN/FP is infinite in both facets (no false positives)"
    values["CDDPL"] = _demographic_disparity(state.rows, predicted=True) if state.has_groups else math.nan
    if not state.has_groups:
        reasons["CDDPL"] = "needs group_variable"
    order = [*PRE_TRAINING_METRICS, *POST_TRAINING_METRICS]
    ordered = {k: values[k] for k in order if k in values}
    values.clear()
    values.update(ordered)
