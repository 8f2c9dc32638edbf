"""SQL text helpers shared by the checks and by converters that write SQL predicates (GE interop)."""

from __future__ import annotations

from typing import Any

from spark_mlops.errors import InvalidArgumentError

__all__ = ["sql_literal"]


def sql_literal(value: Any, argument: str = "values") -> str:
    """A Spark SQL literal for a str, bool, int or finite float.

    Strings are quoted and escaped for Spark's parser (backslash and single quote), so a value list can be
    put into ``col IN (...)`` or a pattern into ``col RLIKE ...`` safely.

    Args:
        value: The Python value.
        argument: Name of the argument the value came from (for the error message).

    Returns:
        The literal's SQL text, e.g. ``'it\\'s'``, ``TRUE``, ``42``, ``0.5``.

    Raises:
        InvalidArgumentError: ``value`` is another type, NaN or infinite; the message names ``argument``.

    Example:
        >>> sql_literal("it's")
        "'it\\\\'s'"
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return repr(value)
    raise InvalidArgumentError(f"{argument}: expected strings or finite numbers, got {value!r}")
