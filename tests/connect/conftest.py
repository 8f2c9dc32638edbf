"""A local Spark Connect server for the ``connect`` tests, started as a subprocess per Connect module.

The server is pyspark's own ``spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer``
with the cached Delta jars and the Delta extension/catalog, ``local[2]``, on a free port of 127.0.0.1.
The fixture waits until the server answers a query, yields a remote session and stops the server at
the end (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_S = 240.0  # a saturated CI box can take minutes to start a JVM with Delta


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_command(port: int, warehouse: Path) -> list[str]:
    import pyspark

    from spark_mlops.jars import delta_jars

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.sql.adaptive.enabled": "false",
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": "1g",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.databricks.delta.snapshotPartitions": "2",
    }
    cmd = [
        str(submit),
        "--master",
        "local[2]",
        "--class",
        SERVER_CLASS,
        "--name",
        "spark_mlops-connect-tests",
    ]
    cmd += ["--jars", ",".join(str(j) for j in delta_jars())]
    for key, value in conf.items():
        cmd += ["--conf", f"{key}={value}"]
    return cmd


def _wait_until_ready(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Spark Connect server exited with {proc.returncode}:\n{tail}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(1.0)
    raise RuntimeError(f"Spark Connect server did not listen on port {port} within {START_TIMEOUT_S} s")


# Module scope: the server (a JVM with 1 GiB of heap) lives only while a Connect module runs, not for
# the rest of the suite.
@pytest.fixture(scope="module")
def connect_server(session_tmp: Path) -> Iterator[str]:
    """Start a local Spark Connect server; yields its ``sc://127.0.0.1:PORT`` address."""
    port = _free_port()
    folder = session_tmp / f"connect-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "server.log"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            _server_command(port, folder / "warehouse"),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,  # its own process group, so stopping it reaches the JVM child
        )
    try:
        _wait_until_ready(proc, port, log_path)
        yield f"sc://127.0.0.1:{port}"
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def connect_spark(connect_server: str):  # type: ignore[no-untyped-def]
    """A remote SparkSession over the local Spark Connect server (no JVM in this process)."""
    from pyspark.sql.connect.session import SparkSession as RemoteSession

    deadline = time.monotonic() + START_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        # The port opens before the server's session is ready; retry a trivial query until it answers.
        try:
            session = RemoteSession.builder.remote(connect_server).getOrCreate()
            session.range(1).collect()
            break
        except Exception as exc:
            last = exc
            time.sleep(2.0)
    else:
        raise RuntimeError(f"Spark Connect server at {connect_server} never answered: {last}")
    yield session
    session.stop()


@pytest.fixture(scope="module", autouse=True)
def connect_mode(connect_spark) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Route ``pyspark.sql.functions`` to Spark Connect while this folder's modules run.

    pyspark picks classic or Connect column functions from the process-wide environment variable
    ``SPARK_CONNECT_MODE_ENABLED``; the rest of the suite uses the classic ``spark`` session in the same
    process, so the variable is set only for the duration of each Connect test module (module-scoped
    autouse fixtures run before the module's other fixtures) and restored afterwards.
    """
    previous = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        else:
            os.environ["SPARK_CONNECT_MODE_ENABLED"] = previous


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder runs over Spark Connect: mark it ``connect``."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.connect)
