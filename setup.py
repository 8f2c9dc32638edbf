"""Packaging for spark_mlops (setuptools only; tool configuration lives in pyproject.toml)."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

setup(
    name="spark-mlops",
    version="0.1.0",
    description="A Spark-native data and model quality engine over Delta tables, logging to MLflow.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["spark_mlops", "spark_mlops.*"]),
    package_data={"spark_mlops": ["py.typed", "resources/*", "resources/**/*"]},
    include_package_data=True,
    # Ranges are the ones the test suite runs against; requirements/constraints.txt pins exact versions.
    # delta-spark 4.4.0 is the newest release whose JVM jar for Spark 4.2 is published, and it caps
    # pyspark at 4.2.0.
    install_requires=[
        "pyspark[connect]>=4.2.0,<4.3",
        "delta-spark==4.4.0",
        "mlflow>=3.17,<3.18",
        "great-expectations>=1.24,<1.25",
        "pandas>=2.2,<3",
        "numpy>=1.26",
        "pyarrow>=15",
        "pydantic>=2.6,<3",
        "pyyaml>=6",
        "matplotlib>=3.8",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "pytest-xdist>=3.6",
            "hypothesis>=6.100",
            "scipy>=1.12",
            "scikit-learn>=1.4",
            "ruff>=0.6",
            "mypy>=1.10",
            "types-PyYAML",
            "nbformat>=5.9",
        ],
        "bench": [
            "scipy>=1.12",
        ],
    },
    entry_points={"console_scripts": ["spark-mlops=spark_mlops.cli:main"]},
)
