# SayWell developer commands. Every target is idempotent from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint bench dist clean

run: $(VENV)/.core-installed
	$(PY) -m desktop

test: $(VENV)/.dev-installed
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check engine desktop training tests bench packaging
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check engine desktop training tests bench packaging
	$(VENV)/bin/lint-imports

bench: $(VENV)/.dev-installed
	$(PY) -m bench.run_all

dist: $(VENV)/.dev-installed
	$(VENV)/bin/pyinstaller --noconfirm --clean build.spec
	$(PY) packaging/check_dist.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

# torch is pinned to the CPU wheel on local disk; an unpinned torch pulls a CUDA build.
$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[alm,dev]'
	touch $(VENV)/.core-installed $@

clean:
	rm -rf $(VENV) build dist
