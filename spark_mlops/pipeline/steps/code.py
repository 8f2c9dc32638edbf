"""Loading and hashing a step's code: a Python callable, ``module:function`` or a script file.

The hash is part of the cache key: editing the function or the script invalidates cached outputs.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spark_mlops.errors import PipelineDefinitionError

__all__ = ["code_reference", "hash_code", "load_code"]


def code_reference(code: Callable[..., Any] | str) -> str:
    """Canonical text of ``code``: ``module:qualname`` of a callable, absolute path of a script."""
    if callable(code):
        return f"{code.__module__}:{code.__qualname__}"
    if code.endswith(".py"):
        return os.path.abspath(code)
    return code


def _resolve(step_name: str, code: Callable[..., Any] | str) -> Callable[..., Any]:
    if callable(code):
        return code
    if code.endswith(".py"):
        path = Path(code)
        if not path.is_file():
            raise PipelineDefinitionError(f"step '{step_name}': code script {code!r} does not exist")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(f"_spark_mlops_step_{digest}", path)
        if spec is None or spec.loader is None:
            raise PipelineDefinitionError(f"step '{step_name}': cannot load code script {code!r}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fn = getattr(module, "main", None)
        if not callable(fn):
            raise PipelineDefinitionError(
                f"step '{step_name}': script {code!r} defines no main(ctx) function"
            )
        return fn
    module_name, _, attr = code.partition(":")
    if not attr:
        raise PipelineDefinitionError(
            f"step '{step_name}': code {code!r} is neither a .py script nor 'module:function'"
        )
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise PipelineDefinitionError(f"step '{step_name}': cannot import code {code!r}: {exc}") from None
    if not callable(target):
        raise PipelineDefinitionError(f"step '{step_name}': code {code!r} is not callable")
    return target


def load_code(step_name: str, code: Callable[..., Any] | str) -> Callable[..., Any]:
    """The callable to run; raises :class:`PipelineDefinitionError` naming the step when unloadable."""
    return _resolve(step_name, code)


def hash_code(step_name: str, code: Callable[..., Any] | str) -> str:
    """SHA-256 of the code: script bytes, or the callable's source (its bytecode when no source)."""
    if isinstance(code, str) and code.endswith(".py"):
        try:
            return hashlib.sha256(Path(code).read_bytes()).hexdigest()
        except OSError as exc:
            raise PipelineDefinitionError(
                f"step '{step_name}': cannot read code script {code!r}: {exc}"
            ) from None
    fn = _resolve(step_name, code)
    try:
        text = inspect.getsource(fn).encode()
    except (OSError, TypeError):
        raw = getattr(fn, "__code__", None)
        text = (raw.co_code + repr(raw.co_consts).encode()) if raw is not None else repr(fn).encode()
    return hashlib.sha256(text).hexdigest()
