"""Compatibility layers: meet users where they are.

* :mod:`spark_mlops.compat.pydeequ` — PyDeequ's API (camelCase, ``Check(spark, CheckLevel.Error, ...)``)
  on our engine: a PyDeequ user changes only the imports; no JVM Deequ, works over Spark Connect.
* :mod:`spark_mlops.compat.great_expectations` — Great Expectations 1.x suites to and from our Checks.
"""

__all__: list[str] = []
