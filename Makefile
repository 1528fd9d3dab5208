# Two commands set up everything on a fresh machine (see README):
#   make gate   virtualenv + pinned packages, then the full gate on all envs against the emulator
#   make test   the test suite (what CI runs, through .ci/run)
# Both install what they need first; the set-up is skipped when nothing it depends on changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup gate test test-integration lint fmt clean

setup: $(STAMP)

# constraints.txt pins every package, transitive ones included; pyproject.toml names the direct ones.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

gate: setup
	$(BIN)/infra gate

test: setup
	$(BIN)/ruff check infra policy tests
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

test-integration: setup
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check infra policy tests
	terraform fmt -check -recursive terraform

fmt: setup
	$(BIN)/ruff check --fix infra policy tests
	terraform fmt -recursive terraform

clean:
	-$(BIN)/infra emulator stop
	rm -rf .infra $(VENV) .pytest_cache .ruff_cache
	find terraform -name .terraform -type d -prune -exec rm -rf {} +
