"""Canonical JSON of Spark ML estimators, transformers and evaluators (class + explicitly set params),
so training steps have a YAML form and a cache key that changes when a hyperparameter changes."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pyspark.ml import Pipeline
from pyspark.ml.param import Params

from spark_mlops.errors import PipelineDefinitionError

__all__ = ["params_from_json", "params_to_json", "resolve_param"]


def params_to_json(obj: Params) -> dict[str, Any]:
    """``{"class": "pyspark.ml.regression.LinearRegression", "params": {...}}`` (Pipeline: ``stages``)."""
    cls = type(obj)
    out: dict[str, Any] = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    if isinstance(obj, Pipeline):
        out["stages"] = [params_to_json(s) for s in obj.getStages()]
        return out
    params: dict[str, Any] = {}
    for param in obj.params:
        if obj.isSet(param):
            value = obj.getOrDefault(param)
            params[param.name] = list(value) if isinstance(value, tuple) else value
    out["params"] = dict(sorted(params.items()))
    return out


def params_from_json(data: Mapping[str, Any], where: str) -> Params:
    """Inverse of :func:`params_to_json`.

    Raises:
        PipelineDefinitionError: unknown class or parameter; names ``where``.
    """
    path = str(data.get("class", ""))
    module_name, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        raise PipelineDefinitionError(f"{where}: cannot import Spark ML class {path!r}") from None
    if "stages" in data:
        stages: list[Any] = [
            params_from_json(s, f"{where}.stages[{i}]") for i, s in enumerate(data["stages"])
        ]
        return Pipeline(stages=stages)
    try:
        built: Params = cls(**dict(data.get("params") or {}))
        return built
    except TypeError as exc:
        raise PipelineDefinitionError(f"{where}: bad parameters for {path}: {exc}") from None


def resolve_param(estimator: Params, key: str, where: str) -> Any:
    """The Param named ``key`` (``"regParam"``, or ``"LinearRegression.regParam"`` inside a Pipeline).

    Raises:
        PipelineDefinitionError: no such parameter; names ``where``.
    """
    if isinstance(estimator, Pipeline):
        stage_name, _, param = key.partition(".")
        for stage in estimator.getStages():
            if type(stage).__name__ == stage_name and param and stage.hasParam(param):
                return stage.getParam(param)
        raise PipelineDefinitionError(
            f"{where}: no pipeline stage parameter '{key}' (use 'StageClass.param')"
        )
    if not estimator.hasParam(key):
        raise PipelineDefinitionError(f"{where}: {type(estimator).__name__} has no parameter '{key}'")
    return estimator.getParam(key)
