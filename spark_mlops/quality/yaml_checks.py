"""Checks from YAML (``conf/checks/*.yaml``), validated with pydantic before anything runs.

Format (one key per constraint: the Check method, then its arguments)::

    checks:
      - description: review check
        level: error                      # or warning
        constraints:
          - has_size: {assertion: ">= 3000000"}
          - has_min: {column: star_rating, assertion: {op: "==", value: 1}}
          - is_complete: review_id        # shorthand for {column: review_id}
          - is_contained_in: {column: marketplace, values: [US, UK, DE, JP, FR]}
          - is_contained_in: {column: total_votes, lower: 30, upper: 300}
          - is_non_negative: {column: year, where: "marketplace = 'US'", hint: "years are AD"}

Assertions are comparisons (``">= 3"``, ``"between 1 and 5"``, ``{op: ">=", value: 3}`` or a number for
equality) — never evaluated code. A bad file raises :class:`~spark_mlops.errors.ConfigError` naming the
field path, e.g. ``checks[0].constraints[2].has_min.column: Field required``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from spark_mlops.errors import ConfigError, InvalidArgumentError
from spark_mlops.quality.checks import Check, CheckLevel, Comparison, parse_assertion

__all__ = ["checks_from_dict", "load_checks"]


def _assertion(value: Any) -> Comparison | None:
    if value is None:
        return None
    try:
        return parse_assertion(value, "assertion")
    except InvalidArgumentError as exc:
        raise ValueError(str(exc).removeprefix("assertion: ").removeprefix("assertion.")) from None


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    where: str | None = None
    hint: str | None = None


class _OptAssert(_Params):
    assertion: Any = None

    @field_validator("assertion", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Comparison | None:
        return _assertion(value)


class _ReqAssert(_Params):
    assertion: Any

    @field_validator("assertion", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Comparison | None:
        if value is None:
            raise ValueError("expected a comparison like '>= 3', got null")
        return _assertion(value)


class _Size(_ReqAssert):
    pass


class _Column(_Params):
    column: str = Field(min_length=1)


class _ColumnAssert(_ReqAssert):
    column: str = Field(min_length=1)


class _ColumnOptAssert(_OptAssert):
    column: str = Field(min_length=1)


class _Columns(_Params):
    columns: list[str] = Field(min_length=1)


class _ColumnsOptAssert(_OptAssert):
    columns: list[str] = Field(min_length=1)


class _TwoColumnsAssert(_ReqAssert):
    column_a: str = Field(min_length=1)
    column_b: str = Field(min_length=1)


class _TwoColumnsOptAssert(_OptAssert):
    column_a: str = Field(min_length=1)
    column_b: str = Field(min_length=1)


class _Quantile(_ColumnAssert):
    quantile: float = Field(ge=0.0, le=1.0)


class _DistinctValues(_ColumnAssert):
    max_bins: int = Field(default=1000, ge=1, le=1000)


class _Pattern(_ColumnOptAssert):
    pattern: str = Field(min_length=1)
    name: str | None = None


class _Satisfies(_OptAssert):
    predicate: str = Field(min_length=1)
    name: str = Field(min_length=1)
    columns: list[str] = Field(default_factory=list)


class _ContainedIn(_ColumnOptAssert):
    values: list[str | int | float | bool] | None = Field(default=None, min_length=1)
    lower: float | None = None
    upper: float | None = None
    include_lower: bool = True
    include_upper: bool = True


class _DataType(_ColumnOptAssert):
    data_type: str


_METHODS: dict[str, type[_Params]] = {
    "has_size": _Size,
    "is_complete": _Column,
    "has_completeness": _ColumnAssert,
    "are_complete": _Columns,
    "are_any_complete": _Columns,
    "have_completeness": _ColumnsOptAssert,
    "have_any_completeness": _ColumnsOptAssert,
    "is_unique": _Column,
    "is_primary_key": _Columns,
    "has_uniqueness": _ColumnsOptAssert,
    "has_distinctness": _ColumnsOptAssert,
    "has_unique_value_ratio": _ColumnsOptAssert,
    "has_number_of_distinct_values": _DistinctValues,
    "has_entropy": _ColumnAssert,
    "has_mutual_information": _TwoColumnsAssert,
    "has_approx_quantile": _Quantile,
    "has_min_length": _ColumnAssert,
    "has_max_length": _ColumnAssert,
    "has_min": _ColumnAssert,
    "has_max": _ColumnAssert,
    "has_mean": _ColumnAssert,
    "has_sum": _ColumnAssert,
    "has_standard_deviation": _ColumnAssert,
    "has_approx_count_distinct": _ColumnAssert,
    "has_correlation": _TwoColumnsAssert,
    "satisfies": _Satisfies,
    "has_pattern": _Pattern,
    "contains_email": _ColumnOptAssert,
    "contains_url": _ColumnOptAssert,
    "contains_credit_card_number": _ColumnOptAssert,
    "contains_social_security_number": _ColumnOptAssert,
    "has_data_type": _DataType,
    "is_non_negative": _ColumnOptAssert,
    "is_positive": _ColumnOptAssert,
    "is_less_than": _TwoColumnsOptAssert,
    "is_less_than_or_equal_to": _TwoColumnsOptAssert,
    "is_greater_than": _TwoColumnsOptAssert,
    "is_greater_than_or_equal_to": _TwoColumnsOptAssert,
    "is_contained_in": _ContainedIn,
}
# Methods whose arguments are Python callables on non-numeric values (no YAML form).
_PYTHON_ONLY = {"has_histogram_values": "its assertion takes a Distribution; use the Python API"}

# Arguments named differently in YAML and in the Python method.
_CALLS: dict[str, Callable[[Check, dict[str, Any]], Check]] = {
    "is_primary_key": lambda c, kw: c.is_primary_key(*kw.pop("columns"), **kw),
    "satisfies": lambda c, kw: c.satisfies(constraint_name=kw.pop("name"), **kw),
}


class _CheckSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1)
    level: str = "error"
    constraints: list[dict[str, Any]] = Field(min_length=1)

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in {"error", "warning"}:
            raise ValueError(f"expected 'error' or 'warning', got {value!r}")
        return value.lower()


class _ChecksFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: list[_CheckSpec] = Field(min_length=1)


def _path(loc: tuple[Any, ...], prefix: str = "") -> str:
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _errors(exc: ValidationError, prefix: str = "") -> str:
    return "; ".join(
        f"{_path(e['loc'], prefix) or '<root>'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def _constraint(check: Check, item: Any, where: str) -> Check:
    if not isinstance(item, Mapping) or len(item) != 1:
        raise ConfigError(f"{where}: expected a mapping with one key (the constraint), got {item!r}")
    ((method, args),) = item.items()
    if method in _PYTHON_ONLY:
        raise ConfigError(f"{where}.{method}: not available in YAML: {_PYTHON_ONLY[method]}")
    model = _METHODS.get(method)
    if model is None:
        raise ConfigError(
            f"{where}: unknown constraint {method!r}; expected one of {', '.join(sorted(_METHODS))}"
        )
    if isinstance(args, str) and "column" in model.model_fields:
        args = {"column": args}
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise ConfigError(f"{where}.{method}: expected a mapping of arguments, got {args!r}")
    try:
        params = model.model_validate(dict(args))
    except ValidationError as exc:
        raise ConfigError(_errors(exc, f"{where}.{method}")) from None
    kwargs = {k: v for k, v in params if k != "where" and v is not None}  # no model_dump: keeps Comparison
    if "columns" in kwargs and not kwargs["columns"] and method == "satisfies":
        kwargs.pop("columns")
    try:
        built = _CALLS[method](check, kwargs) if method in _CALLS else getattr(check, method)(**kwargs)
        return built.where(params.where) if params.where else built
    except InvalidArgumentError as exc:
        raise ConfigError(f"{where}.{method}.{exc}") from None


def checks_from_dict(data: Any, source: str = "checks") -> list[Check]:
    """Checks from an already-parsed YAML/JSON document.

    Raises:
        ConfigError: the document does not validate; the message names the field path.
    """
    try:
        spec = _ChecksFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_errors(exc)}") from None
    checks = []
    for i, check_spec in enumerate(spec.checks):
        level = CheckLevel.ERROR if check_spec.level == "error" else CheckLevel.WARNING
        check = Check(level, check_spec.description)
        for j, item in enumerate(check_spec.constraints):
            try:
                check = _constraint(check, item, f"checks[{i}].constraints[{j}]")
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc}") from None
        checks.append(check)
    return checks


def load_checks(path: str | os.PathLike[str]) -> list[Check]:
    """Checks from a YAML file.

    Raises:
        ConfigError: the file is missing, not YAML, or does not validate (the message names the file
            and the field path).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the checks file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return checks_from_dict(data, str(file))
