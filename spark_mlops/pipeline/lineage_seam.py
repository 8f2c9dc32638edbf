"""Lineage of each step (inputs with versions → action → outputs), through ``spark_mlops.lineage``.

The lineage package is a layer below the pipeline; when it is not installed in this build the runner
logs the lineage it would write at debug level and carries on.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_mlops.delta import TableVersion

__all__ = ["record_step_lineage"]

log = logging.getLogger(__name__)


def record_step_lineage(
    spark: SparkSession,
    home: Path,
    *,
    pipeline_name: str,
    execution_id: str,
    step_name: str,
    step_type: str,
    inputs: dict[str, TableVersion],
    outputs: dict[str, TableVersion],
    model_uris: list[str],
) -> dict[str, Any] | None:
    """Write the step's lineage; returns a summary, or None when lineage is unavailable."""
    try:
        lineage: Any = importlib.import_module("spark_mlops.lineage")
    except ImportError:
        log.debug(
            "lineage unavailable; step %s: %s -> %s -> %s",
            step_name,
            [str(v) for v in inputs.values()],
            step_type,
            [str(v) for v in outputs.values()] + model_uris,
        )
        return None
    writer = getattr(lineage, "record_pipeline_step", None)
    if writer is None:
        log.debug("spark_mlops.lineage has no record_pipeline_step; skipping lineage of %s", step_name)
        return None
    result: dict[str, Any] | None = writer(
        spark,
        home / "lineage",
        pipeline_name=pipeline_name,
        execution_id=execution_id,
        step_name=step_name,
        step_type=step_type,
        inputs=list(inputs.values()),
        outputs=list(outputs.values()),
        model_uris=model_uris,
    )
    return result
