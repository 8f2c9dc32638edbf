"""Assertions that read well in constraint listings and can be written in YAML.

A constraint's assertion is any ``Callable[[value], bool]``. :class:`Comparison` is a callable with a
readable ``repr`` (``>= 3000000``), built from a parsed string (``"'>= 3'"``) or a mapping
(``{op: ">=", value: 3}``) — a fixed set of operators, never ``eval`` of user text.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spark_mlops.errors import InvalidArgumentError

__all__ = ["OPERATORS", "Comparison", "is_one", "parse_assertion"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
#: Operators a :class:`Comparison` accepts; ``between`` takes ``[low, high]`` (inclusive).
OPERATORS: tuple[str, ...] = (*_OPS, "between")

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?|nan"
_TEXT = re.compile(rf"^\s*(==|!=|>=|<=|>|<|=)\s*({_NUMBER})\s*$", re.IGNORECASE)
_BETWEEN = re.compile(rf"^\s*between\s+({_NUMBER})\s+and\s+({_NUMBER})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Comparison:
    """``value <op> operand``, e.g. ``Comparison(">=", 3)``; ``between`` takes ``(low, high)``.

    Example:
        >>> Comparison(">=", 3)(5)
        True
    """

    op: str
    operand: float | tuple[float, float]

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise InvalidArgumentError(f"op: expected one of {', '.join(OPERATORS)}, got {self.op!r}")
        if self.op == "between":
            bounds = self.operand
            if (
                not isinstance(bounds, (tuple, list))
                or len(bounds) != 2
                or not all(_is_number(b) for b in bounds)
                or bounds[0] > bounds[1]
            ):
                raise InvalidArgumentError(
                    f"value: 'between' expects [low, high] with low <= high, got {bounds!r}"
                )
            object.__setattr__(self, "operand", (float(bounds[0]), float(bounds[1])))
        elif not _is_number(self.operand):
            raise InvalidArgumentError(f"value: expected a number to compare with, got {self.operand!r}")

    def __call__(self, value: Any) -> bool:
        if self.op == "between":
            low, high = self.operand  # type: ignore[misc]
            return bool(low <= value <= high)
        return bool(_OPS[self.op](value, self.operand))

    def __repr__(self) -> str:
        if self.op == "between":
            low, high = self.operand  # type: ignore[misc]
            return f"between {_fmt(low)} and {_fmt(high)}"
        return f"{self.op} {_fmt(self.operand)}"  # type: ignore[arg-type]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(number: float) -> str:
    return repr(number)


def is_one() -> Comparison:
    """The default assertion of ratio constraints: ``== 1.0``."""
    return Comparison("==", 1.0)


def parse_assertion(spec: str | Mapping[str, Any] | float, argument: str = "assertion") -> Comparison:
    """A :class:`Comparison` from ``">= 3"``, ``"between 1 and 5"``, ``{"op": ">=", "value": 3}`` or a number
    (meaning ``== number``).

    Raises:
        InvalidArgumentError: the text or mapping is not a comparison; the message names ``argument``.
    """
    if _is_number(spec):
        return Comparison("==", float(spec))  # type: ignore[arg-type]
    if isinstance(spec, str):
        if match := _TEXT.match(spec):
            op = "==" if match.group(1) == "=" else match.group(1)
            return Comparison(op, float(match.group(2)))
        if match := _BETWEEN.match(spec):
            return _build(argument, "between", (float(match.group(1)), float(match.group(2))))
        raise InvalidArgumentError(
            f"{argument}: expected a comparison like '>= 3', '== 1.0' or 'between 1 and 5', got {spec!r}"
        )
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"op", "value"}
        if unknown or "op" not in spec or "value" not in spec:
            raise InvalidArgumentError(
                f"{argument}: expected a mapping with exactly 'op' and 'value', got keys {sorted(spec)}"
            )
        value = spec["value"]
        return _build(argument, str(spec["op"]), tuple(value) if isinstance(value, list) else value)
    raise InvalidArgumentError(f"{argument}: expected a comparison string or mapping, got {spec!r}")


def _build(argument: str, op: str, value: Any) -> Comparison:
    try:
        return Comparison(op, value)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"{argument}.{exc}") from None
