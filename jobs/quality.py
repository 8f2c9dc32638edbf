"""Job: the data quality gate — a verification suite from YAML over a Delta version, metrics kept in a
Delta repository, and the seed's anomaly check on the row count.

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/quality.py \
        --table /lake/reviews --checks conf/checks/reviews.yaml \
        --repository /lake/quality_metrics --dataset reviews --max-size-increase 2.0

Exit codes: 0 passed (or only warnings), 1 bad arguments, 2 an ERROR-level check failed. In a pipeline:
input ``data``, property file ``quality`` (status and constraint results), arguments ``checks``,
``repository``, ``dataset``, ``max_size_increase``, ``fail_on_error``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from spark_mlops.delta import TableVersion
from spark_mlops.entrypoints import run_job
from spark_mlops.errors import StepFailedError
from spark_mlops.quality import CheckStatus, VerificationResult, VerificationSuite
from spark_mlops.quality.analyzers import Size
from spark_mlops.quality.anomaly import RelativeRateOfChangeStrategy
from spark_mlops.quality.anomaly_check import AnomalyCheckConfig
from spark_mlops.quality.repository import DeltaMetricsRepository, ResultKey
from spark_mlops.quality.yaml_checks import load_checks


def quality_gate(
    spark: Any,
    source: TableVersion,
    checks_path: str,
    repository: str | None,
    dataset: str,
    max_size_increase: float | None,
    data_set_date_ms: int | None = None,
) -> VerificationResult:
    """Run the checks of ``checks_path`` on ``source``; with a repository, save metrics (ERROR days are kept
    out of the anomaly history) and test the row count against its history."""
    suite = (
        VerificationSuite(spark).on_delta(source.table, source.version).add_checks(load_checks(checks_path))
    )
    if repository:
        key = ResultKey(data_set_date_ms or int(time.time() * 1000), {"dataset": dataset})
        suite = suite.use_repository(DeltaMetricsRepository(spark, repository)).save_or_append_result(
            key, only_if=lambda r: r.status != CheckStatus.ERROR
        )
        if max_size_increase is not None:
            suite = suite.add_anomaly_check(
                RelativeRateOfChangeStrategy(max_rate_increase=max_size_increase),
                Size(),
                AnomalyCheckConfig(with_tag_values={"dataset": dataset}),
            )
    return suite.run()


def _summary(result: VerificationResult) -> dict[str, Any]:
    rows = result.check_results_as_dataframe().collect()  # one row per constraint: small
    return {
        "status": result.status.name,
        "constraints": [r.asDict() for r in rows],
        "failed": sum(1 for r in rows if r["constraint_status"] != "Success"),
    }


def main(ctx):  # type: ignore[no-untyped-def]
    """Pipeline entry point."""
    checks = Path(str(ctx.args["checks"]))
    increase = ctx.args.get("max_size_increase")
    result = quality_gate(
        ctx.spark,
        ctx.input_versions["data"],
        str(checks),
        ctx.args.get("repository"),
        str(ctx.args.get("dataset", "data")),
        float(increase) if increase is not None else None,
    )
    summary = _summary(result)
    ctx.write_property_file("quality", summary)
    if result.status == CheckStatus.ERROR and bool(ctx.args.get("fail_on_error", True)):
        failed = [c["constraint"] for c in summary["constraints"] if c["constraint_status"] != "Success"]
        raise StepFailedError(ctx.step_name, f"data quality gate failed: {failed}")
    return {
        "constraints_failed": float(summary["failed"]),
        "status_error": float(result.status == CheckStatus.ERROR),
    }


def _run(spark, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from spark_mlops.delta import read_delta_versioned

    _, source = read_delta_versioned(spark, args.table, version=args.version)
    result = quality_gate(spark, source, args.checks, args.repository, args.dataset, args.max_size_increase)
    result.check_results_as_dataframe().show(100, truncate=80)
    print(f"{source}: {result.status.name}")
    return 2 if result.status == CheckStatus.ERROR else 0


def parser() -> argparse.ArgumentParser:
    """Command-line arguments of the job."""
    p = argparse.ArgumentParser(prog="quality.py", description=__doc__.splitlines()[0])
    p.add_argument("--table", required=True)
    p.add_argument("--version", type=int, default=None)
    p.add_argument("--checks", required=True, help="checks YAML (conf/checks/*.yaml)")
    p.add_argument("--repository", default=None, help="Delta metrics repository table")
    p.add_argument("--dataset", default="data", help="tag of the result key")
    p.add_argument("--max-size-increase", type=float, default=None, help="anomaly check on Size")
    return p


if __name__ == "__main__":
    sys.exit(run_job("quality", parser(), _run))
