"""Delta Lake JVM jars: fetched once with Maven into a local cache, put on ``spark.jars`` at start.

``make setup`` runs ``python -m spark_mlops.jars fetch``. Maven resolves
``io.delta:delta-spark_<spark major.minor>_2.13:<delta-spark version>`` (the naming delta-spark's own
``pip_utils`` uses) with its runtime dependencies; jars whose artifact pyspark already ships (Scala,
Jackson, Parquet, Hadoop, ...) are left out so the JVM sees one copy of each library, Spark's. Starting
Spark then needs no network, unlike ``spark.jars.packages``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from spark_mlops.config import settings
from spark_mlops.errors import SparkSetupError

__all__ = ["delta_coordinate", "delta_jars", "fetch_delta_jars", "jar_cache_dir"]

log = logging.getLogger(__name__)

SCALA_BINARY = "2.13"
MANIFEST = "manifest.json"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>spark-mlops</groupId><artifactId>delta-jars</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.delta</groupId><artifactId>{artifact}</artifactId><version>{version}</version></dependency>
  </dependencies>
</project>
"""


def _spark_binary_version() -> str:
    return ".".join(metadata.version("pyspark").split(".")[:2])


def delta_coordinate() -> str:
    """Maven coordinate of the Delta jar matching the installed pyspark and delta-spark wheels."""
    artifact = f"delta-spark_{_spark_binary_version()}_{SCALA_BINARY}"
    return f"io.delta:{artifact}:{metadata.version('delta-spark')}"


def jar_cache_dir() -> Path:
    """Folder for this (Spark, Delta) pair's jars inside the configured jar cache."""
    _, artifact, version = delta_coordinate().split(":")
    return settings().jars_dir / f"{artifact}-{version}"


def delta_jars() -> list[Path]:
    """Paths of the cached Delta jars.

    Raises:
        SparkSetupError: the jars were never fetched (run ``make setup``) or a listed jar is missing.
    """
    folder = jar_cache_dir()
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise SparkSetupError(
            f"Delta jars for {delta_coordinate()} are not in {folder}. Run `make setup` (or "
            "`python -m spark_mlops.jars fetch`) once to fetch them with Maven, or set "
            "SPARK_MLOPS_JARS_DIR to a folder that holds them."
        )
    names: list[str] = json.loads(manifest.read_text())["jars"]
    paths = [folder / name for name in names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise SparkSetupError(
            f"Delta jar cache {folder} is incomplete (missing {', '.join(missing)}). "
            "Delete the folder and run `make setup` again."
        )
    return paths


def _pyspark_artifacts() -> set[str]:
    import pyspark  # local import: only fetching needs it

    jar_dir = Path(pyspark.__file__).parent / "jars"
    return {re.sub(r"-\d[^-]*(-.*)?\.jar$", "", p.name) for p in jar_dir.glob("*.jar")}


def fetch_delta_jars(force: bool = False) -> list[Path]:
    """Fetch the Delta jars with Maven into :func:`jar_cache_dir` (a no-op when already there).

    Raises:
        SparkSetupError: Maven is missing or the download failed; the message says what to do.
    """
    if not force:
        try:
            return delta_jars()
        except SparkSetupError:
            pass
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SparkSetupError("Maven (`mvn`) is not on PATH; install Maven, then run `make setup`.")
    coordinate = delta_coordinate()
    _, artifact, version = coordinate.split(":")
    folder = jar_cache_dir()
    with tempfile.TemporaryDirectory(prefix="spark-mlops-mvn-") as tmp:
        work = Path(tmp)
        (work / "pom.xml").write_text(_POM.format(artifact=artifact, version=version))
        listing, out_dir = work / "deps.txt", work / "jars"
        cmd = [
            mvn, "-q", "-B", "-f", str(work / "pom.xml"),
            "dependency:list", "dependency:copy-dependencies",
            "-DincludeScope=runtime", f"-DoutputFile={listing}", f"-DoutputDirectory={out_dir}",
        ]  # fmt: skip
        log.info("fetching %s with Maven into %s", coordinate, folder)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SparkSetupError(
                f"Maven could not fetch {coordinate} (exit {proc.returncode}). Check that Maven "
                "can reach its central repository (proxy settings in ~/.m2/settings.xml), then run "
                f"`make setup` again.\n{(proc.stdout + proc.stderr)[-2000:]}"
            )
        provided = _pyspark_artifacts()
        keep: list[str] = []
        for line in listing.read_text().splitlines():
            parts = line.strip().split(":")
            if len(parts) < 5 or parts[2] != "jar":
                continue
            art, ver = parts[1], parts[3]
            if art in provided:
                log.debug("skipping %s: pyspark ships it", art)
                continue
            keep.append(f"{art}-{ver}.jar")
        folder.mkdir(parents=True, exist_ok=True)
        for name in keep:
            shutil.copy2(out_dir / name, folder / name)
    (folder / MANIFEST).write_text(json.dumps({"coordinate": coordinate, "jars": sorted(keep)}, indent=2))
    return delta_jars()


def main(argv: list[str] | None = None) -> int:
    """``python -m spark_mlops.jars fetch [--force]`` / ``path``."""
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args and args[0] == "path":
            print(",".join(str(p) for p in delta_jars()))  # noqa: T201 - CLI output
            return 0
        jars = fetch_delta_jars(force="--force" in args)
    except SparkSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1
    log.info("%d Delta jars ready in %s", len(jars), jars[0].parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
