"""spark-submit job: drift and violations of a Delta table version against a data baseline.

    spark-submit jobs/drift.py --baseline /monitors/reviews_baseline --table /data/reviews --version 12 \
        --output-table /monitors/reviews --fail-on-violation

Exit codes: 0 ok, 1 bad arguments/input, 2 violations with --fail-on-violation.
"""

from __future__ import annotations

import sys

from spark_mlops.commands.monitor import main

if __name__ == "__main__":
    sys.exit(main("drift", sys.argv[1:]))
