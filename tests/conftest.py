"""Shared fixtures: one SparkSession per test run, temp Delta paths, a temp SQLite MLflow store.

Session settings follow DESIGN.md: ``local[2]``, 2 shuffle partitions, AQE off (deterministic job
counts), UI off, UTC, warehouse in a temp folder.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# A temp MLflow store for the whole run, set before anything imports mlflow.
_TMP_ROOT = Path(os.environ.get("SPARK_MLOPS_TEST_TMP", "/tmp"))
_SESSION_TMP = _TMP_ROOT / f"spark-mlops-tests-{uuid.uuid4().hex[:8]}"
_SESSION_TMP.mkdir(parents=True, exist_ok=True)
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_SESSION_TMP / 'mlflow.db'}"
# Per process (each pytest-xdist worker imports this file itself): workers never share default tables.
os.environ["SPARK_MLOPS_HOME"] = str(_SESSION_TMP / "home")
os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]

TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.warehouse.dir": str(_SESSION_TMP / "warehouse"),
    "spark.driver.memory": "2g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


@pytest.fixture(scope="session")
def session_tmp() -> Path:
    """A folder shared by the whole test run."""
    return _SESSION_TMP


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """The one SparkSession of the test run (real Spark with real Delta)."""
    from spark_mlops import get_spark

    session = get_spark(app_name="spark_mlops-tests", master="local[2]", conf=TEST_SPARK_CONF)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def tmp_delta_path(tmp_path: Path) -> str:
    """A fresh path for a Delta table (not yet created)."""
    return str(tmp_path / f"delta_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def mlflow_tracking_uri() -> str:
    """The SQLite tracking URI of this test run (a real MLflow store in a temp folder)."""
    import mlflow

    uri = os.environ["MLFLOW_TRACKING_URI"]
    mlflow.set_tracking_uri(uri)
    return uri


class JobCounter:
    """Counts the Spark jobs started inside a ``with`` block (via a job group)."""

    def __init__(self, spark) -> None:  # type: ignore[no-untyped-def]
        self._sc = spark.sparkContext
        self.group = f"count-{uuid.uuid4().hex}"
        self.count = 0

    def __enter__(self) -> JobCounter:
        self._sc.setJobGroup(self.group, "job counting in a test", interruptOnCancel=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.count = len(self._sc.statusTracker().getJobIdsForGroup(self.group))
        # PySpark 4.2's SparkContext has no clearJobGroup: clear what setJobGroup set.
        for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
            self._sc.setLocalProperty(key, None)  # type: ignore[arg-type]


@pytest.fixture
def count_jobs(spark):  # type: ignore[no-untyped-def]
    """``with count_jobs() as c: ...; assert c.count == 1`` counts Spark jobs run in the block."""

    @contextlib.contextmanager
    def _counter() -> Iterator[JobCounter]:
        counter = JobCounter(spark)
        with counter:
            yield counter

    return _counter


@pytest.fixture
def py4j_calls(spark):  # type: ignore[no-untyped-def]
    """``with py4j_calls() as calls: ...; calls[0]`` counts the Py4J commands the driver sends to the JVM in
    the block (all pass through). Memory commands (Py4J releasing a JVM reference when Python
    garbage-collects its proxy) are not counted: they arrive whenever the collector runs, also for
    objects of earlier tests."""

    @contextlib.contextmanager
    def _counter() -> Iterator[list[int]]:
        client = spark.sparkContext._gateway._gateway_client
        calls = [0]
        original = client.send_command

        def counting(command: str, *args: object, **kwargs: object) -> object:
            if not command.startswith("m\n"):
                calls[0] += 1
            return original(command, *args, **kwargs)

        client.send_command = counting
        try:
            yield calls
        finally:
            del client.send_command  # the instance attribute only: the class method is back

    return _counter


# The longest modules (measured with --durations in a full run) start first: `make test` hands whole
# modules to two xdist workers in collection order; a long module collected last would run alone at the end.
LONG_MODULES = (
    "tests/demo/test_demo.py",
    "tests/notebooks/test_notebooks.py",
    "tests/bench/test_bench_harness.py",
    "tests/jobs/test_model_jobs.py",
    "tests/pipeline/test_pipeline_execution.py",
    "tests/pipeline/test_pipeline_external.py",
    "tests/demo/test_abalone_pipeline.py",
    "tests/quality/test_incremental.py",
    "tests/lineage/test_lineage_graph.py",
    "tests/pipeline/test_pipeline_quality.py",
    "tests/demo/test_jobs_spark_submit.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests that use the ``spark`` fixture ``spark``; start the longest modules first."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
    rank = {name: i for i, name in enumerate(LONG_MODULES)}
    root = Path(str(config.rootpath))

    def order(item: pytest.Item) -> int:
        path = Path(str(item.fspath))
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        return rank.get(rel, len(LONG_MODULES))

    items.sort(key=order)  # stable: the order inside a module and among the others is kept
