"""Cache keys and exactly-once write keys of a step run.

The cache key is a SHA-256 over the step's canonical definition, its resolved arguments, inputs and
outputs, the hash of its code and the Delta versions of its inputs: new data (an append) changes the
key, unchanged data and code reuse the recorded outputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from spark_mlops.delta import TableVersion

__all__ = ["cache_key", "txn_app_id"]


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def cache_key(
    definition: dict[str, Any],
    resolved: dict[str, Any],
    code_hash: str,
    input_versions: dict[str, TableVersion],
) -> str:
    """Key under which a step's outputs are cached (policies and names that do not change results are
    left out, so turning on retries does not invalidate a cache)."""
    stable = {
        k: v
        for k, v in definition.items()
        if k
        not in {
            "retry_policy",
            "cache_config",
            "timeout_seconds",
            "display_name",
            "description",
            "depends_on",
        }
    }
    return _digest(
        {
            "definition": stable,
            "resolved": resolved,
            "code": code_hash,
            "inputs": {k: v.to_dict() for k, v in sorted(input_versions.items())},
        }
    )


def txn_app_id(
    pipeline_name: str,
    step_name: str,
    logical_date: dt.date,
    parameters: dict[str, Any],
    resolved: dict[str, Any],
    input_versions: dict[str, TableVersion],
) -> str:
    """Delta ``txnAppId`` prefix of a step's writes: equal for a re-run of the same (pipeline,
    parameters, logical date) over the same input versions, so such a re-run commits nothing twice."""
    digest = _digest(
        {
            "pipeline": pipeline_name,
            "step": step_name,
            "logical_date": logical_date.isoformat(),
            "parameters": parameters,
            "resolved": resolved,
            "inputs": {k: v.to_dict() for k, v in sorted(input_versions.items())},
        }
    )
    return f"spark_mlops.pipeline/{digest[:32]}"
