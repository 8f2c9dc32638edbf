"""spark-submit job: model quality of a scored Delta table, logged to MLflow.

    spark-submit jobs/model_quality.py --input /data/scored --problem-type binary_classification \
        --label label --prediction prediction --probability probability \
        --constraints constraints.json --output /data/monitoring/mq --fail-on-violation

Exit codes: 0 ok, 1 bad arguments/input, 3 constraint violations with --fail-on-violation.
"""

from __future__ import annotations

import sys

from spark_mlops.commands.model import main

if __name__ == "__main__":
    sys.exit(main("model-quality", sys.argv[1:]))
