"""Settings read from the environment, validated with pydantic.

| setting               | environment variable      | default                                   |
|-----------------------|---------------------------|-------------------------------------------|
| ``jars_dir``          | ``SPARK_MLOPS_JARS_DIR``  | ``~/.cache/spark_mlops/jars``             |
| ``mlflow_tracking_uri``| ``MLFLOW_TRACKING_URI``  | ``sqlite:///mlflow.db`` (MLflow's default)|
| ``home``              | ``SPARK_MLOPS_HOME``      | ``./spark_mlops_data`` (Delta outputs)    |
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Settings", "settings"]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


class Settings(BaseModel):
    """Process-wide settings; build a fresh one with :func:`settings` to re-read the environment."""

    model_config = ConfigDict(frozen=True)

    jars_dir: Path = Field(description="Folder holding the Delta jars fetched by `make setup`.")
    mlflow_tracking_uri: str = Field(description="MLflow tracking URI used when none is set.")
    home: Path = Field(description="Root folder for Delta outputs written by jobs and the demo.")


def settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed, do not cache)."""
    return Settings(
        jars_dir=Path(
            os.environ.get("SPARK_MLOPS_JARS_DIR", Path.home() / ".cache" / "spark_mlops" / "jars")
        ).expanduser(),
        mlflow_tracking_uri=os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI),
        home=Path(os.environ.get("SPARK_MLOPS_HOME", "spark_mlops_data")).expanduser(),
    )
