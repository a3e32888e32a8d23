# The README's two commands: `make demo` (set up + run the main job) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: setup setup-test demo test chromium services bench clean-data

# Default install: no torch, no transformers.
$(VENV)/.core: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel
	$(PIP) -e .
	touch $@

# Test install: dev tools, the cluster profile's integrations, plus the CPU build of torch 2.13.0 (pinned first, so the `torch`
# extra's range is already met and no multi-GB CUDA build is pulled) and transformers.
$(VENV)/.test: $(VENV)/.core
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,torch,cluster]'
	touch $@

setup: $(VENV)/.core
setup-test: $(VENV)/.test

demo: setup
	$(VENV)/bin/sopilot serve --demo

# Debian's chromium for the browser test (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL and Redis for the cluster profile's tests: each test session starts its own
# on a free localhost port in a temporary folder and stops it after (tests/services.py).
services:
	@{ command -v redis-server >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null; }

test: setup-test chromium services
	$(PY) -m pytest

bench: setup-test
	$(PY) benchmarks/bench_dtw.py
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_score.py

clean-data:
	@echo "refusing to delete ./data automatically: it holds users' videos. Move it aside by hand."
