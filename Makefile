# spark_mlops — every target does its own set-up; stamps keep repeats fast.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JARS_STAMP := $(VENV)/.jars
DEMO_ARGS ?=
PYTEST_ARGS ?=
# The suite runs in two pytest-xdist workers (one local Spark each; most tests wait on Spark/Delta
# latency, not CPU); a module stays on one worker so its module-scoped fixtures are built once.
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint bench bench-peers clean help

help:
	@echo "make demo   - run the end-to-end demo on generated data (local Spark, Delta, SQLite MLflow)"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - benchmarks against the bare-scan floor and Great Expectations (bench/results/)"
	@echo "make bench-peers - the same plus Deequ (sets up a bench-only pyspark 3.5 virtualenv)"
	@echo "make setup  - venv in .venv, pinned packages, Delta jars (done by the targets above)"

setup: $(STAMP) $(JARS_STAMP)

$(STAMP): setup.py requirements/constraints.txt
	@command -v java >/dev/null || { echo "Java 17 is required (java not on PATH)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements/constraints.txt -e '.[dev]' || { \
	  echo "pip install failed: check that PyPI is reachable (pip's proxy settings), then run make setup again"; exit 1; }
	touch $@

# Delta jars: fetched once with Maven into ~/.cache/spark_mlops/jars (SPARK_MLOPS_JARS_DIR overrides).
$(JARS_STAMP): $(STAMP)
	$(PY) -c "import sys; from spark_mlops.jars import main; sys.exit(main(['fetch']))"
	touch $@

demo: setup
	$(PY) -m spark_mlops.cli demo $(DEMO_ARGS)

test: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check spark_mlops jobs tests bench
	$(VENV)/bin/ruff format --check spark_mlops jobs tests bench
	$(VENV)/bin/mypy spark_mlops

bench: setup
	$(PY) -m bench.run --peers ge $(BENCH_ARGS)

# Deequ has no build for Spark 4: a bench-only virtualenv with pyspark 3.5 and the Deequ jar (first run only).
bench-peers: setup
	$(PY) -m bench.peers.deequ_jars fetch
	$(PY) -m bench.run --peers ge,deequ $(BENCH_ARGS)

clean:
	rm -rf $(VENV) spark_mlops_data mlflow.db .pytest_cache .mypy_cache .ruff_cache
