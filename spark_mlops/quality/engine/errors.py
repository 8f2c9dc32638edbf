"""Turning Spark's exceptions into short failure messages (never a Py4J trace)."""

from __future__ import annotations

import re

__all__ = ["failure_message"]

_ERROR_CLASS = re.compile(r"\[[A-Z][A-Z0-9_.]+\]")
_MAX = 500


def failure_message(exc: BaseException) -> str:
    """The first meaningful line of a Spark/Py4J exception, with Spark's error class when present."""
    text = str(exc).strip()
    for line in text.splitlines():
        match = _ERROR_CLASS.search(line)
        if match:
            text = line[match.start() :]
            break
    else:
        text = text.splitlines()[0] if text else type(exc).__name__
    text = re.sub(r"\s*SQLSTATE: \w+", "", text).strip()
    return text[:_MAX]
