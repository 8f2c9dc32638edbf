"""Jobs as a cluster runs them: jobs/split.py and the passing jobs/quality.py gate as scripts in this
process (``runpy``, the script's own ``__main__``; its ``get_spark()`` reuses the test session). The failing
gate runs under spark-submit in tests/jobs/test_model_jobs.py, in the same driver as jobs/model_quality.py.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from spark_mlops.datasets import generate_reviews
from spark_mlops.delta import read_delta, write_delta

ROOT = Path(__file__).resolve().parents[2]


def _script(path: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run a job script as ``__main__`` in this process (its ``get_spark()`` reuses the test session)."""
    monkeypatch.setattr(sys, "argv", [path, *args])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / path), run_name="__main__")
    return int(done.value.code or 0)


@pytest.mark.slow
def test_split_and_quality_jobs(spark, tmp_path, monkeypatch, capsys):
    clean = str(tmp_path / "clean")
    write_delta(generate_reviews(spark, 1500, seed=4), clean)

    train, test = str(tmp_path / "train"), str(tmp_path / "test")
    args = ("--input", clean, "--train-output", train, "--test-output", test)
    assert _script("jobs/split.py", *args, monkeypatch=monkeypatch) == 0
    n_train, n_test = read_delta(spark, train).count(), read_delta(spark, test).count()
    assert n_train + n_test == 1500 and 0.7 < n_train / 1500 < 0.9

    checks = str(ROOT / "conf/checks/reviews_daily.yaml")
    assert _script("jobs/quality.py", "--table", clean, "--checks", checks, monkeypatch=monkeypatch) == 0
    assert "@v0: SUCCESS" in capsys.readouterr().out
