"""Deequ's JVM jar for the benchmark only: fetched once with Maven into ~/.cache/spark_mlops/bench-jars.

Same approach as :mod:`spark_mlops.jars` (a throw-away POM, ``dependency:copy-dependencies`` with the
runtime scope, jars that pyspark already ships left out so the JVM sees one copy of each library), but
for ``com.amazon.deequ:deequ`` and kept apart from the engine's jar cache: the engine never needs Deequ.

    .venv/bin/python -m bench.peers.deequ_jars fetch
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = [
    "DEEQU_COORDINATE",
    "DEEQU_PYSPARK",
    "deequ_jar_dir",
    "deequ_jars",
    "deequ_python",
    "ensure_deequ_venv",
    "fetch_deequ_jars",
]

log = logging.getLogger(__name__)

#: The newest Deequ build on Maven Central when this bench was written (2026-11): there is no build for
#: Spark 4.x there (``2.0.18-spark-4.1`` is not published), so Deequ runs on its own Spark 3.5.
DEEQU_COORDINATE = "com.amazon.deequ:deequ:2.1.0-spark-3.5"
#: The Spark that Deequ's POM builds against; the bench-only virtualenv installs this pyspark.
DEEQU_PYSPARK = "3.5.7"
MANIFEST = "manifest.json"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>spark-mlops-bench</groupId><artifactId>deequ-jars</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>
      <!-- Glue's DQDL parser (Deequ's DQDL entry point only) is not on Maven Central. -->
      <exclusions><exclusion><groupId>software.amazon.glue</groupId><artifactId>dqdl</artifactId></exclusion></exclusions>
    </dependency>
  </dependencies>
</project>
"""


def deequ_jar_dir(coordinate: str = DEEQU_COORDINATE) -> Path:
    """Cache folder for one Deequ coordinate (``SPARK_MLOPS_BENCH_JARS_DIR`` overrides the root)."""
    root = Path(os.environ.get("SPARK_MLOPS_BENCH_JARS_DIR", bench_root() / "bench-jars"))
    _, artifact, version = coordinate.split(":")
    return root / f"{artifact}-{version}"


def deequ_jars(coordinate: str = DEEQU_COORDINATE) -> list[Path]:
    """Paths of the cached jars; raises FileNotFoundError when they were never fetched."""
    folder = deequ_jar_dir(coordinate)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"Deequ jars not in {folder}: run `python -m bench.peers.deequ_jars fetch`")
    paths = [folder / n for n in json.loads(manifest.read_text())["jars"]]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"Deequ jar cache {folder} is incomplete: {missing}")
    return paths


def bench_root() -> Path:
    """``~/.cache/spark_mlops`` (or ``SPARK_MLOPS_BENCH_JARS_DIR``'s parent): outside the repository."""
    override = os.environ.get("SPARK_MLOPS_BENCH_JARS_DIR")
    return Path(override).parent if override else Path.home() / ".cache" / "spark_mlops"


def deequ_venv() -> Path:
    """The bench-only virtualenv with Deequ's Spark (``pyspark==DEEQU_PYSPARK``)."""
    return bench_root() / "bench-venv-deequ"


def deequ_python() -> Path:
    """Python of :func:`deequ_venv`."""
    return deequ_venv() / "bin" / "python"


def ensure_deequ_venv() -> Path:
    """Create the bench-only virtualenv with ``pyspark==DEEQU_PYSPARK`` once; returns its python."""
    python = deequ_python()
    check = [str(python), "-c", f"import pyspark, sys; sys.exit(pyspark.__version__ != '{DEEQU_PYSPARK}')"]
    if python.is_file() and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    log.info("creating %s with pyspark==%s", deequ_venv(), DEEQU_PYSPARK)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(deequ_venv())], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"pyspark=={DEEQU_PYSPARK}"], check=True)
    return python


def _pyspark_artifacts() -> set[str]:
    # Deequ's Spark, not ours: the jars it ships are the ones Deequ's JVM already has.
    out = subprocess.run(
        [str(ensure_deequ_venv()), "-c", "import pyspark, os; print(os.path.dirname(pyspark.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    jar_dir = Path(out.stdout.strip()) / "jars"
    return {re.sub(r"-\d[^-]*(-.*)?\.jar$", "", p.name) for p in jar_dir.glob("*.jar")}


def fetch_deequ_jars(coordinate: str = DEEQU_COORDINATE, force: bool = False) -> list[Path]:
    """Fetch Deequ and its runtime dependencies with Maven (a no-op when cached)."""
    if not force:
        try:
            return deequ_jars(coordinate)
        except FileNotFoundError:
            pass
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (`mvn`) is not on PATH; it is needed to fetch the Deequ jar")
    group, artifact, version = coordinate.split(":")
    folder = deequ_jar_dir(coordinate)
    with tempfile.TemporaryDirectory(prefix="bench-deequ-mvn-") as tmp:
        work = Path(tmp)
        (work / "pom.xml").write_text(_POM.format(group=group, artifact=artifact, version=version))
        listing, out_dir = work / "deps.txt", work / "jars"
        cmd = [
            mvn, "-q", "-B", "-f", str(work / "pom.xml"),
            "dependency:list", "dependency:copy-dependencies",
            "-DincludeScope=runtime", f"-DoutputFile={listing}", f"-DoutputDirectory={out_dir}",
        ]  # fmt: skip
        log.info("fetching %s with Maven into %s", coordinate, folder)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"Maven could not fetch {coordinate}:\n{(proc.stdout + proc.stderr)[-2000:]}")
        provided = _pyspark_artifacts()
        keep: list[str] = []
        for line in listing.read_text().splitlines():
            parts = line.strip().split(":")
            if len(parts) < 5 or parts[2] != "jar" or parts[1] in provided:
                continue
            keep.append(f"{parts[1]}-{parts[3]}.jar")
        folder.mkdir(parents=True, exist_ok=True)
        for name in keep:
            shutil.copy2(out_dir / name, folder / name)
    (folder / MANIFEST).write_text(json.dumps({"coordinate": coordinate, "jars": sorted(keep)}, indent=2))
    return deequ_jars(coordinate)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.peers.deequ_jars fetch [--force]`` / ``path``."""
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args and args[0] == "path":
            sys.stdout.write(",".join(str(p) for p in deequ_jars()) + "\n")
            return 0
        ensure_deequ_venv()
        jars = fetch_deequ_jars(force="--force" in args)
    except (RuntimeError, FileNotFoundError, subprocess.CalledProcessError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    log.info("%d Deequ jars ready in %s", len(jars), jars[0].parent if jars else "-")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
