"""spark-submit job: Clarify bias metrics of a Delta table, logged to MLflow.

    spark-submit jobs/bias.py --input /data/scored --label label --facet gender --facet-value F \
        --predicted-label prediction --threshold DPPL=0.1 --threshold DI=0.2 --fail-on-violation

Exit codes: 0 ok, 1 bad arguments/input, 3 violations (|metric| > threshold) with --fail-on-violation.
"""

from __future__ import annotations

import sys

from spark_mlops.commands.model import main

if __name__ == "__main__":
    sys.exit(main("bias", sys.argv[1:]))
