"""``spark-mlops verify`` through ``cli.main`` on a real Delta table."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_mlops.cli import main
from spark_mlops.datasets import ReviewDefects, generate_reviews
from spark_mlops.delta import write_delta

SEED_FILE = Path(__file__).resolve().parents[2] / "conf" / "checks" / "reviews.yaml"

SMALL = """
checks:
  - description: small review check
    level: error
    constraints:
      - has_size: {assertion: ">= 500"}
      - is_complete: review_id
      - is_contained_in: {column: marketplace, values: [US, UK, DE, JP, FR]}
  - description: soft
    level: warning
    constraints:
      - is_non_negative: {column: year, hint: "years are AD"}
"""


@pytest.fixture(scope="module")
def table(spark, tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    path = str(tmp_path_factory.mktemp("verify") / "reviews")
    write_delta(generate_reviews(spark, 600, seed=2), path, mode="overwrite")  # v0: clean
    bad = generate_reviews(spark, 100, seed=3, defects=ReviewDefects(negative_year_rate=0.1))
    write_delta(bad, path, mode="append")  # v1: 10 negative years (a warning)
    return path


@pytest.fixture(scope="module")
def small_checks(tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("checks") / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return str(path)


def test_clean_version_exits_zero_and_prints_a_table(table, small_checks, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["verify", "--table", table, "--version", "0", "--checks", small_checks])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Verification of {Path(table).resolve()}@v0: Success"
    assert lines[2].split() == ["CHECK", "LEVEL", "CONSTRAINT", "STATUS", "MESSAGE"]
    assert "is_contained_in_marketplace" in out and lines[-1] == "4 constraints, 0 failed"


def test_warning_exits_zero_unless_asked_to_fail(table, small_checks, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["verify", "--table", table, "--checks", small_checks]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("@v1: Warning")
    assert f"Value: {690 / 700} does not meet the constraint requirement! years are AD" in out
    assert main(["verify", "--table", table, "--checks", small_checks, "--fail-on-warning"]) == 2


def test_seed_checks_fail_on_small_data_with_exit_one(table, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["verify", "--table", table, "--checks", str(SEED_FILE)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0].endswith("@v1: Error")
    has_size = next(
        line for line in out.splitlines() if line.startswith("review check") and "has_size" in line
    )
    assert "Failure" in has_size and "Value: 700 does not meet the constraint requirement!" in has_size
    assert out.splitlines()[-1] == "9 constraints, 2 failed"  # size, and the negative years


def test_json_output(table, small_checks, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    assert main(["verify", "--table", table, "--version", "0", "--checks", small_checks, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "Success" and doc["source"]["version"] == 0


def test_bad_inputs_exit_one_with_a_message(table, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "checks:\n  - description: x\n    constraints: [{has_min: {column: a}}]\n", encoding="utf-8"
    )
    assert main(["verify", "--table", table, "--checks", str(bad)]) == 1
    assert "checks[0].constraints[0].has_min.assertion: Field required" in capsys.readouterr().err
    assert main(["verify", "--table", str(tmp_path / "nope"), "--checks", str(SEED_FILE)]) == 1
    assert "is not a Delta table" in capsys.readouterr().err
    assert main(["verify", "--table", table, "--version", "9", "--checks", str(SEED_FILE)]) == 1
    assert "has no version 9" in capsys.readouterr().err
