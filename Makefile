# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PLUGINS := $(wildcard plugins/*/pyproject.toml)
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(PLUGINS))

.PHONY: install demo test lint bench

$(VENV)/.installed: pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,plots,reference]" $(foreach d,$(PLUGIN_DIRS),-e $(d))
	# the model-independent sampler kernels, compiled once here instead of in the first cr.sample
	$(PY) -W ignore -m credo.sampling.precompile
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) examples/kepler_transit.py --out results/kepler_transit

test: install
	$(PY) -m ruff check core plugins tests examples benchmarks
	$(PY) -m pytest -n 2 -q tests $(PLUGIN_DIRS)

lint: install
	$(PY) -m ruff check core plugins tests examples benchmarks
