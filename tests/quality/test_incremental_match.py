"""The driver-side summary correction against pandas and against the Spark join it replaces."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spark_mlops.quality import incremental_hashed
from spark_mlops.quality.incremental_match import correction_on_driver


def _write(folder: Path, name: str, frame: pd.DataFrame, row_group_size: int) -> str:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame[["g", "h", "h2", "cnt"]], preserve_index=False)
    pq.write_table(table, folder / name, row_group_size=row_group_size)
    return name


def _reference(old: pd.DataFrame, added: pd.DataFrame) -> dict[str, tuple[int, int, float]]:
    """Touched groups (a key stored before and appended now) per grouping: (−count, −singleton changes,
    Σ c·ln c − o·ln o − d·ln d), written out with pandas."""
    stored = old.groupby(["h", "h2"], as_index=False)["cnt"].sum().rename(columns={"cnt": "o"})
    both = stored.merge(added.rename(columns={"cnt": "d"}), on=["h", "h2"])
    out = {}
    for g, part in both.groupby("g"):
        o, d = part["o"].to_numpy(float), part["d"].to_numpy(float)
        c = o + d
        entropy = float((c * np.log(c) - o * np.log(o) - d * np.log(d)).sum())
        out[str(g)] = (-len(part), -int((d == 1).sum() + (o == 1).sum()), entropy)
    return out


def test_driver_correction_matches_pandas_and_the_spark_join(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    # Two groupings, 5 k stored keys each (random 64-bit hashes, some counts > 1), split over three
    # files of several row groups; a key of the last file repeats one of the first (not compacted).
    frames = []
    for g in ("g1", "g2"):
        n = 5_000
        frames.append(
            pd.DataFrame(
                {
                    "g": g,
                    "h": rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64),
                    "h2": rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64),
                    "cnt": rng.choice([1, 1, 1, 2, 5], n).astype(np.int64),
                }
            )
        )
    stored = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=1)
    parts = [stored.iloc[i::3] for i in range(3)]
    repeat = parts[0].head(300).assign(cnt=1)
    parts[2] = pd.concat([parts[2], repeat])
    old_files = [_write(tmp_path, f"b-1/part-{i}.parquet", p, 1024) for i, p in enumerate(parts)]
    # Appended: 800 stored keys (counts 1 or 3), 300 of them from the repeated ones, one stored h with
    # another h2 (a different key: must not match), and 3,000 new keys.
    touched = pd.concat([stored.sample(n=500, random_state=2), repeat]).drop_duplicates(["h", "h2"])
    touched = touched.assign(cnt=rng.choice([1, 3], len(touched)).astype(np.int64))
    other_h2 = touched.head(1).assign(h2=lambda f: f["h2"] ^ 1, cnt=1)
    new = pd.DataFrame(
        {
            "g": rng.choice(["g1", "g2"], 3_000),
            "h": rng.integers(-(2**63), 2**63 - 1, 3_000, dtype=np.int64),
            "h2": rng.integers(-(2**63), 2**63 - 1, 3_000, dtype=np.int64),
            "cnt": np.ones(3_000, dtype=np.int64),
        }
    )
    added = pd.concat([touched, other_h2, new], ignore_index=True)
    added_files = [_write(tmp_path, "a-1/part-0.parquet", added, 1_000_000)]
    want = _reference(pd.concat(parts), added)
    assert len(want) == 2 and sum(-v[0] for v in want.values()) == len(touched)

    for got in (
        correction_on_driver(str(tmp_path), old_files, added_files),
        incremental_hashed.correction(spark, str(tmp_path), old_files, added_files, len(added), 10**12),
    ):
        assert set(got) == set(want)
        for g, (groups, singletons, entropy) in want.items():
            s = got[g]
            assert (s.num_rows, s.num_groups, s.num_singletons, s.null_rows) == (0, groups, singletons, 0)
            assert math.isclose(s.sum_c_ln_c, entropy, rel_tol=1e-9)


def test_driver_correction_of_nothing_stored_or_nothing_touched(tmp_path: Path) -> None:
    frame = pd.DataFrame({"g": ["g1"], "h": [1], "h2": [2], "cnt": [1]})
    old = [_write(tmp_path, "b/part-0.parquet", frame, 10)]
    added = [_write(tmp_path, "a/part-0.parquet", frame.assign(h2=3), 10)]
    assert correction_on_driver(str(tmp_path), old, added) == {}  # same h, other h2: another key
    assert correction_on_driver(str(tmp_path), [], added) == {}
