"""The CLI: `spark-mlops run conf/pipelines/example.yaml --param ...` on the shared session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from spark_mlops.cli import main as cli_main
from spark_mlops.delta import read_delta

CONF = Path(__file__).resolve().parents[2] / "conf" / "pipelines"


def test_cli_runs_the_yaml_pipeline(spark, raw_table, raw_data, tmp_path, home, capsys):
    out = tmp_path / "out"
    code = cli_main(
        [
            "run",
            str(CONF / "example.yaml"),
            "--param",
            f"input_table={raw_table}",
            "--param",
            f"output_root={out}",
            "--home",
            str(home),
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0, summary
    assert summary["status"] == "Succeeded"
    assert summary["steps"] == {
        "prepare": "Succeeded",
        "evaluate": "Succeeded",
        "mse_ok": "Succeeded",
        "publish": "Succeeded",
        "too_bad": "Skipped",
    }
    published = read_delta(spark, str(out / "published")).toPandas().sort_values("id")
    expected = raw_data.dropna(subset=["y"]).sort_values("id")
    np.testing.assert_allclose(published.y.to_numpy(), expected.y.to_numpy())

    code = cli_main(["run", str(CONF / "example.yaml"), "--param", "mse_threshold=abc", "--home", str(home)])
    assert code == 1
    assert "parameter 'mse_threshold': expected a Float value, got 'abc'" in capsys.readouterr().err
