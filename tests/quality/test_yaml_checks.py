"""YAML checks: the seed suite file, every field validated, errors naming the field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_mlops.errors import ConfigError
from spark_mlops.quality import CheckLevel
from spark_mlops.quality.analyzers import Compliance, Maximum, Minimum, Size, Uniqueness
from spark_mlops.quality.yaml_checks import checks_from_dict, load_checks

SEED_FILE = Path(__file__).resolve().parents[2] / "conf" / "checks" / "reviews.yaml"


def test_seed_file_builds_the_seed_check() -> None:
    (check,) = load_checks(SEED_FILE)
    assert check.level is CheckLevel.ERROR and check.description == "review check"
    analyzers = [c.analyzer for c in check.constraints]
    assert analyzers[:3] == [Size(), Minimum("star_rating"), Maximum("star_rating")]
    assert analyzers[4] == Uniqueness("review_id")
    assert [repr(c.assertion) for c in check.constraints] == [
        ">= 3000000.0",
        "== 1.0",
        "== 5.0",
        "== 1.0",
        "== 1.0",
        "== 1.0",
        "== 1.0",
        "== 1.0",
        "== 1.0",
    ]
    size = check.constraints[0].assertion
    assert size(3_000_000) and not size(2_999_999)
    assert isinstance(analyzers[7], Compliance)
    assert (
        analyzers[7].predicate == "`marketplace` IS NULL OR `marketplace` IN ('US', 'UK', 'DE', 'JP', 'FR')"
    )


def test_every_yaml_form_and_argument_maps_to_the_python_builder() -> None:
    doc = {
        "checks": [
            {
                "description": "all forms",
                "level": "Warning",
                "constraints": [
                    {"is_complete": "a"},
                    {
                        "has_min": {
                            "column": "b",
                            "assertion": {"op": "between", "value": [0, 5]},
                            "where": "c > 1",
                        }
                    },
                    {"is_primary_key": {"columns": ["a", "b"], "hint": "pk"}},
                    {"satisfies": {"predicate": "a > b", "name": "a above b", "assertion": ">= 0.9"}},
                    {"has_pattern": {"column": "t", "pattern": "^x", "name": "starts_x"}},
                    {"is_contained_in": {"column": "v", "lower": 0, "include_lower": False}},
                    {"has_data_type": {"column": "s", "data_type": "integral", "assertion": 0.5}},
                    {"has_approx_quantile": {"column": "b", "quantile": 0.5, "assertion": "< 3"}},
                    {"is_less_than": {"column_a": "a", "column_b": "b"}},
                    {"has_number_of_distinct_values": {"column": "t", "assertion": "<= 10", "max_bins": 20}},
                ],
            }
        ]
    }
    (check,) = checks_from_dict(doc)
    assert check.level is CheckLevel.WARNING
    c = check.constraints
    assert c[1].analyzer == Minimum("b", "c > 1") and c[1].assertion(5) and not c[1].assertion(5.1)
    assert c[2].analyzer == Uniqueness(("a", "b")) and c[2].hint == "pk"
    assert c[3].analyzer.instance == "a above b" and c[3].assertion(0.9) and not c[3].assertion(0.89)
    assert c[4].label == "starts_x_t"
    assert c[5].analyzer.predicate == "`v` IS NULL OR (try_cast(`v` AS DOUBLE) > 0.0)"  # type: ignore[attr-defined]
    assert c[6].assertion(0.5) and not c[6].assertion(0.6)
    assert c[9].analyzer.max_detail_bins == 20  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("constraint", "needle"),
    [
        ({"has_minn": "a"}, "checks[0].constraints[0]: unknown constraint 'has_minn'; expected one of"),
        (
            {"has_min": {"colum": "a", "assertion": ">= 1"}},
            "checks[0].constraints[0].has_min.column: Field required; "
            "checks[0].constraints[0].has_min.colum: Extra inputs are not permitted",
        ),
        ({"has_min": {"column": "a"}}, "checks[0].constraints[0].has_min.assertion: Field required"),
        (
            {"has_min": {"column": "a", "assertion": "__import__('os').system('x')"}},
            "checks[0].constraints[0].has_min.assertion: expected a comparison like '>= 3'",
        ),
        (
            {"has_min": {"column": "a", "assertion": {"op": "~", "value": 1}}},
            "checks[0].constraints[0].has_min.assertion: op: expected one of",
        ),
        (
            {"is_contained_in": {"column": "a", "lower": 5, "upper": 1}},
            "checks[0].constraints[0].is_contained_in.lower, upper: lower bound 5.0 is above upper bound 1.0",
        ),
        (
            {"is_contained_in": {"column": "a", "values": []}},
            "checks[0].constraints[0].is_contained_in.values: List should have at least 1 item",
        ),
        (
            {"has_approx_quantile": {"column": "a", "quantile": 2, "assertion": "> 0"}},
            "checks[0].constraints[0].has_approx_quantile.quantile: Input should be less than or equal to 1",
        ),
        (
            {"has_data_type": {"column": "a", "data_type": "date"}},
            "checks[0].constraints[0].has_data_type.data_type: expected one of Null, Fractional",
        ),
        (
            {"has_histogram_values": {"column": "a"}},
            "checks[0].constraints[0].has_histogram_values: not available in YAML",
        ),
        ({"is_complete": "a", "is_unique": "a"}, "checks[0].constraints[0]: expected a mapping with one key"),
        ({"is_complete": ["a"]}, "checks[0].constraints[0].is_complete: expected a mapping of arguments"),
    ],
)
def test_bad_constraints_name_the_field_path(constraint: dict, needle: str) -> None:
    doc = {"checks": [{"description": "d", "constraints": [constraint]}]}
    with pytest.raises(ConfigError) as info:
        checks_from_dict(doc, "my.yaml")
    assert str(info.value).startswith("my.yaml: ")
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"chekcs": []}, "checks: Field required; chekcs: Extra inputs are not permitted"),
        ({"checks": []}, "checks: List should have at least 1 item"),
        (
            {"checks": [{"description": "d", "level": "fatal", "constraints": [{"is_complete": "a"}]}]},
            "checks[0].level: expected 'error' or 'warning', got 'fatal'",
        ),
        (
            {"checks": [{"description": "d", "constraints": []}]},
            "checks[0].constraints: List should have at least 1",
        ),
        (None, "<root>: Input should be a valid dictionary"),
    ],
)
def test_bad_files_name_the_field_path(doc, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=None) as info:
        checks_from_dict(doc, "f.yaml")
    assert needle in str(info.value)


def test_unreadable_and_invalid_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the checks file"):
        load_checks(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("checks: [\n  - {description: x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML"):
        load_checks(broken)
