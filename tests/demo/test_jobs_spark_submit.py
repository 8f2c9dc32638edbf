"""Jobs as a cluster runs them: jobs/quality.py through pyspark's own spark-submit (a failing gate exits 2
with the failing constraint printed, no Py4J trace), jobs/split.py and the passing gate as scripts in this
process (``runpy``, the script's own ``__main__``), so the module starts one extra JVM, not three.
jobs/model_quality.py goes through spark-submit in tests/jobs.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pyspark
import pytest

from spark_mlops.datasets import ReviewDefects, generate_reviews
from spark_mlops.delta import read_delta, write_delta
from spark_mlops.jars import delta_jars

ROOT = Path(__file__).resolve().parents[2]


def _submit(*args: str) -> subprocess.CompletedProcess[str]:
    spark_submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    cmd = [
        str(spark_submit),
        "--master", "local[1]",
        "--jars", ",".join(str(j) for j in delta_jars()),
        "--conf", "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
        "--conf", "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "--conf", "spark.ui.enabled=false",
        *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)


def _script(path: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run a job script as ``__main__`` in this process (its ``get_spark()`` reuses the test session)."""
    monkeypatch.setattr(sys, "argv", [path, *args])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / path), run_name="__main__")
    return int(done.value.code or 0)


@pytest.mark.slow
def test_split_and_quality_jobs(spark, tmp_path, monkeypatch, capsys):
    clean, dirty = str(tmp_path / "clean"), str(tmp_path / "dirty")
    write_delta(generate_reviews(spark, 1500, seed=4), clean)
    write_delta(generate_reviews(spark, 1500, seed=4, defects=ReviewDefects(duplicate_id_rate=0.01)), dirty)

    train, test = str(tmp_path / "train"), str(tmp_path / "test")
    args = ("--input", clean, "--train-output", train, "--test-output", test)
    assert _script("jobs/split.py", *args, monkeypatch=monkeypatch) == 0
    n_train, n_test = read_delta(spark, train).count(), read_delta(spark, test).count()
    assert n_train + n_test == 1500 and 0.7 < n_train / 1500 < 0.9

    checks = str(ROOT / "conf/checks/reviews_daily.yaml")
    assert _script("jobs/quality.py", "--table", clean, "--checks", checks, monkeypatch=monkeypatch) == 0
    assert "@v0: SUCCESS" in capsys.readouterr().out
    bad = _submit("jobs/quality.py", "--table", dirty, "--checks", checks)
    assert bad.returncode == 2, bad.stderr[-3000:]
    assert "Uniqueness" in bad.stdout and "ERROR" in bad.stdout
    assert "Py4JJavaError" not in bad.stderr
