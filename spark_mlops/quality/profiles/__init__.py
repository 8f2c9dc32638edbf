"""Per-column distribution profiles (moments, KLL sketches, frequency tables) computed in ≤ 2 Spark jobs.

Shared by the column profiler (this layer) and by baselines and drift (:mod:`spark_mlops.monitoring`),
which is why it lives in the quality layer: monitoring imports down, never the other way.
"""
