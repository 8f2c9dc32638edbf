"""The HTML monitoring report: parses, has every section and image, logs to a real MLflow store."""

from __future__ import annotations

import base64
import math
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spark_mlops.monitoring.attribution import attribution_drift
from spark_mlops.monitoring.bias import BiasCounts, bias_from_counts
from spark_mlops.monitoring.model_quality import model_quality
from spark_mlops.monitoring.report import (
    build_report,
    distribution_overlay,
    log_report_to_mlflow,
    write_report,
)

SECTIONS = {
    "metadata",
    "data-quality",
    "violations",
    "distributions",
    "drift",
    "model-quality",
    "bias",
    "attribution",
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[tuple[str, bytes]] = []
        self.open_sections = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(str(a["id"]))
            self.open_sections += 1
        if tag == "img":
            src = str(a["src"])
            assert src.startswith("data:image/png;base64,")  # self-contained: no external file
            self.images.append((str(a["alt"]), base64.b64decode(src.split(",", 1)[1])))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.open_sections -= 1


def test_distribution_overlay_counts_match_numpy(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"x": rng.normal(0, 1, 300), "c": rng.choice(["a", "b", "c"], 300)})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, 200), "c": rng.choice(["a", "b"], 200)})
    out = distribution_overlay(spark.createDataFrame(base), spark.createDataFrame(cur), ["x", "c"], bins=5)
    edges = np.linspace(min(base.x.min(), cur.x.min()), max(base.x.max(), cur.x.max()), 6)
    assert out["x"]["baseline"] == list(np.histogram(base.x, edges)[0])
    assert out["x"]["current"] == list(np.histogram(cur.x, edges)[0])
    counts = base.c.value_counts()
    assert dict(zip(out["c"]["bins"], out["c"]["baseline"], strict=True)) == {k: counts[k] for k in "abc"}
    assert dict(zip(out["c"]["bins"], out["c"]["current"], strict=True))["c"] == 0


def test_report_has_every_section_and_image(spark, tmp_path: Path, mlflow_tracking_uri: str) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(float)
    s = np.clip(0.4 * y + 0.6 * rng.random(200), 0, 1)
    frame = pd.DataFrame({"label": y, "prediction": (s > 0.5).astype(float), "probability": s})
    mq = model_quality(
        spark.createDataFrame(frame), "binary_classification", "label", "prediction", "probability",
        bootstrap_replicates=0, curve_points=20,
    )  # fmt: skip
    bias = bias_from_counts(
        BiasCounts(
            rows={(True, 1, True, True, None): 3, (True, 0, False, True, None): 2,
                  (False, 1, True, True, None): 4, (False, 0, False, False, None): 5},
            has_predictions=True, has_groups=False,
        )
    )  # fmt: skip
    current = {"income": 0.4, "age": 0.3, "zip": 0.1}
    baseline = {"age": 0.5, "income": 0.2, "zip": 0.1}
    html_text = build_report(
        "nightly run",
        metadata={"table": "reviews@v3"},
        data_quality=[{"check": "review check", "constraint": "is_complete(id)", "status": "Success"}],
        violations=[{"feature_name": "x", "constraint_check_type": "data_type_check", "description": "bad"}],
        distributions={"x": {"bins": ["0", "1"], "baseline": [3, 4], "current": [5, 1]}},
        drift=[
            {
                "column": "x",
                "method": "ks",
                "statistic": 0.3,
                "p_value": 0.01,
                "threshold": 0.05,
                "drifted": True,
            }
        ],
        model_quality=mq,
        bias=bias,
        attributions=current,
        baseline_attributions=baseline,
        attribution_drift=attribution_drift(baseline, current),
    )
    parser = _Collector()
    parser.feed(html_text)
    parser.close()
    assert set(parser.sections) == SECTIONS and parser.open_sections == 0
    alts = [alt for alt, _ in parser.images]
    assert alts == [
        "distribution of x", "drift statistics", "confusion matrix", "ROC curve", "precision-recall curve",
        "bias metrics", "feature attribution ranking",
    ]  # fmt: skip
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for _, png in parser.images)
    assert f"{mq['auc']:.6g}" in html_text and "is_complete(id)" in html_text
    assert "flip test" in html_text  # the reason FT is nan is shown

    only_bias = _Collector()
    only_bias.feed(build_report(bias=bias))
    assert only_bias.sections == ["bias"]

    path = write_report(tmp_path / "out" / "report.html", html_text)
    assert path.read_text(encoding="utf-8") == html_text

    import mlflow
    from mlflow.tracking import MlflowClient

    run_id = log_report_to_mlflow(html_text, metrics=mq.scalars(), prefix="model_quality.")
    client = MlflowClient(mlflow_tracking_uri)
    run = client.get_run(run_id)
    assert run.data.metrics["model_quality.auc"] == pytest.approx(mq["auc"])
    assert all(math.isfinite(v) for v in run.data.metrics.values())
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="monitoring_report.html", dst_path=str(tmp_path)
    )
    assert Path(local).read_text(encoding="utf-8") == html_text
