"""Job: run a pipeline definition (YAML) — the same as ``spark-mlops run`` — under spark-submit.

    spark-submit --jars "$(python -m spark_mlops.jars path)" jobs/run_pipeline.py \
        conf/pipelines/reviews.yaml --param raw_table=/lake/reviews --param home=/lake

Exit codes: 0 succeeded (or waiting on a callback), 1 failed.
"""

from __future__ import annotations

import sys

from spark_mlops.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
