"""``spark-mlops verify``: run YAML checks on a Delta table version and print the constraint results.

Exit code: 0 when every check passes (or only warnings), 1 on an ERROR check (or a bad argument),
2 on WARNING checks when ``--fail-on-warning`` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from spark_mlops.quality.checks import CheckStatus, ConstraintStatus
from spark_mlops.quality.verification import VerificationResult, VerificationSuite
from spark_mlops.quality.yaml_checks import load_checks

__all__ = ["format_result", "register", "run_verify"]

log = logging.getLogger(__name__)

_MESSAGE_WIDTH = 90


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``verify`` sub-command."""
    parser = subparsers.add_parser(
        "verify",
        help="run data quality checks (YAML) on a Delta table",
        description="Run the checks of a YAML file on a Delta table (path or name) at a version.",
    )
    parser.add_argument("--table", required=True, help="Delta table path or catalog name")
    parser.add_argument("--version", type=int, default=None, help="table version (default: newest)")
    parser.add_argument("--checks", required=True, help="YAML checks file, e.g. conf/checks/reviews.yaml")
    parser.add_argument("--fail-on-warning", action="store_true", help="exit 2 when a WARNING check fails")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON instead")
    parser.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    """Handler of ``verify``: returns the exit code."""
    from spark_mlops.spark import get_spark

    checks = load_checks(args.checks)  # validate before starting Spark
    spark = get_spark()
    result = VerificationSuite(spark).on_delta(args.table, version=args.version).add_checks(checks).run()
    sys.stdout.write(result.to_json(indent=2) + "\n" if args.json else format_result(result))
    if result.status is CheckStatus.ERROR:
        return 1
    if result.status is CheckStatus.WARNING and args.fail_on_warning:
        return 2
    return 0


def format_result(result: VerificationResult) -> str:
    """A plain-text table of constraint results, one line per constraint, headed by the status."""
    source = str(result.source) if result.source else "a DataFrame"
    header = ("CHECK", "LEVEL", "CONSTRAINT", "STATUS", "MESSAGE")
    rows: list[Sequence[str]] = []
    for check, res in result.constraint_results():
        message = res.message or ""
        if len(message) > _MESSAGE_WIDTH:
            message = message[: _MESSAGE_WIDTH - 3] + "..."
        rows.append((check.description, check.level.value, res.constraint.label, res.status.value, message))
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header) - 1)]
    lines = [f"Verification of {source}: {result.status.value}", ""]
    for row in (header, *rows):
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    failed = sum(1 for _, r in result.constraint_results() if r.status is ConstraintStatus.FAILURE)
    lines.append("")
    lines.append(f"{len(rows)} constraints, {failed} failed")
    return "\n".join(lines) + "\n"
