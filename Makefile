# `make run` and `make test` each do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
EXTRAS ?= test
RUN_EXTRAS ?= web,fast
comma  := ,
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: run test lint setup docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The tests' environment is installed without byte code (--no-compile): pip would compile some 16,000 modules
# one after another, 40 s of a fresh clone's set-up, for the few thousand that the tests import. The tests'
# processes compile what they import, once, into the environment's own folder (PYTHONPYCACHEPREFIX), which
# leaves the source tree clean and holds even where the shell sets PYTHONDONTWRITEBYTECODE.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e ".[$(EXTRAS)]"
	touch $@

BYTECODE := PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache PYTHONDONTWRITEBYTECODE=

RUN_STAMP := $(VENV)/.installed-$(subst $(comma),-,$(RUN_EXTRAS))

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(RUN_EXTRAS)]"
	touch $@

run: $(RUN_STAMP)
	$(BIN)/glassnet train

test: $(STAMP)
	$(BYTECODE) $(BIN)/python -m pytest -n auto

DEV_STAMP := $(VENV)/.installed-dev

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# ruff and mypy come with the dev extra: a separate install, unless EXTRAS names it (.ci/run installs every
# extra it needs in one pip call, which saves pip a second resolution and a second build of glassnet)
LINT_STAMPS := $(STAMP) $(if $(filter dev,$(subst $(comma), ,$(EXTRAS))),,$(DEV_STAMP))

# the environment of the tests and the linters, installed and nothing run (.ci/run then runs both side by side)
setup: $(LINT_STAMPS)

lint: $(LINT_STAMPS)
	$(BIN)/ruff check src tests examples benchmarks notebooks docs/scripts
	$(BIN)/mypy

# the documentation site: strict (a warning fails it) and offline; DISABLE_... quiets two banners
# that plugins print about MkDocs' future
DOCS_STAMP := $(VENV)/.installed-docs
DOCS_ENV   := NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

docs: $(DOCS_STAMP)
	$(DOCS_ENV) $(BIN)/mkdocs build --strict

docs-serve: $(DOCS_STAMP)
	$(DOCS_ENV) $(BIN)/mkdocs serve --strict -a 127.0.0.1:8001

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache site .cache
