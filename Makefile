# Car Pulse Tracker backend. `make demo` runs the whole flow locally; `make test` runs the tests.
# Both set themselves up from nothing (virtualenv, packages); emulators start on demand.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
SCENARIO ?=
ENV ?= dev
export PYTHONPATH := $(CURDIR):$(CURDIR)/shared
# Compiled modules are cached (in __pycache__, ignored by git): every test process and every
# function the stack starts would otherwise compile the sources again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help venv test unit lint format demo dev bench bundles lock prereqs clean provision deploy verify-env keys reencrypt register-partner live-check

help:  ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.lock
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PY=python3.12)")'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.lock
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)  ## Create/refresh the virtualenv from the lock file

prereqs:  ## Check Java and the Firestore emulator are present
	@$(BIN)/python -c 'from infra.local.stack import find_firestore_jar; print("firestore emulator:", find_firestore_jar())'
	@java -version 2>&1 | head -1

test: venv prereqs lint  ## Lint and type-check, then every test (unit, emulators, end-to-end, bundles)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast loop: the product's own tests (tests/unit, tests/property: logic on in-memory fakes, the
# report, the HTTP edge in-process), one worker per core (pytest-xdist), a few hypothesis examples per
# property test (profile "unit", tests/conftest.py) and the representative cases of each sweep
# (tests/sweeps.py). `make test` runs all of it in full, and the simulator, deploy-tooling,
# emulator and stack tests; `make unit UNIT_TESTS=tests/simulator` runs another folder the fast way.
UNIT_TESTS ?= tests/unit tests/property
unit: venv  ## The product's fast tests (no stack, no sweeps), on every core: about 40 s
	CARPULSE_HYPOTHESIS_PROFILE=unit $(BIN)/python -m pytest -m "not stack and not bundle and not sweep" -n auto \
		-p no:schemathesis $(UNIT_TESTS) $(PYTEST_ARGS)

lint: venv  ## ruff check + format check + mypy (strict on shared/ and functions/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv  ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

demo: venv prereqs  ## Whole flow locally: connect, request, per-VIN tasks, PDFs in ./out/ (SCENARIO=dir LANGUAGE=en|de|fi LOG_LEVEL=DEBUG)
	$(BIN)/python -m infra.local.demo $(if $(SCENARIO),--scenario $(SCENARIO)) $(if $(LANGUAGE),--language $(LANGUAGE)) $(if $(LOG_LEVEL),--log-level $(LOG_LEVEL))

dev: venv prereqs  ## Run the local stack until Ctrl-C (URLs and env printed)
	$(BIN)/python -m infra.local.stack $(if $(SCENARIO),--scenario $(SCENARIO))

bench: venv prereqs  ## Ratio table (concurrency, wall time, billed calls, storage, cold start, memory) + render times
	$(BIN)/python -m infra.bench

bundles: venv  ## Assemble each function's deployable source into build/functions/<name>/
	$(BIN)/python -m infra.deploy.bundle --out build/functions

lock:  ## Re-pin requirements*.lock from pyproject.toml
	PY=$(PY) bash infra/deploy/lock.sh

clean:  ## Remove build output, caches and local logs (keeps the virtualenv)
	rm -rf build out .local .pytest_cache .ruff_cache

DEPLOY_FLAGS = --env $(ENV) $(if $(filter 1,$(DRY_RUN)),--dry-run)

provision: venv  ## Phase 1 of ENV=dev|tst|prd: APIs, accounts, IAM, Firestore+TTL+indexes, bucket, queue, secrets, IP, cert (DRY_RUN=1 prints)
	$(BIN)/python -m infra.deploy.provision $(DEPLOY_FLAGS) --phase base

deploy: bundles  ## Phases 2+3 of ENV: functions, then invokers, scheduler jobs, load balancer (DRY_RUN=1 prints)
	$(BIN)/python -m infra.deploy.provision $(DEPLOY_FLAGS) --phase functions --phase wire

verify-env: venv  ## Check deployed ENV: served key, callback, internal refusals, queue, jobs, bucket, TTLs [BASE_URL=…]
	$(BIN)/python -m infra.deploy.verify_env --env $(ENV) $(if $(BASE_URL),--base-url $(BASE_URL)) \
		$(if $(FUNCTIONS_URL),--functions-url $(FUNCTIONS_URL))

keys: venv  ## New KEY=tesla-private-key|token-encryption-key for ENV as a secret version (APPLY=1 to store; RETIRE=1: drop the token keyring's previous key)
	$(BIN)/python -m infra.deploy.keys $(if $(PROJECT),--project $(PROJECT),--env $(ENV)) --key "$(KEY)" $(if $(APPLY),--apply) \
		$(if $(RETIRE),--retire-previous)

reencrypt: venv  ## Move every account's tokens to the current token key of ENV (or ENV_FILE=…) [FORCE=1 right after a deploy]
	$(BIN)/python -m infra.ops.reencrypt --env-file $(or $(ENV_FILE),infra/envs/$(ENV).yaml) $(if $(FORCE),--force)

register-partner: venv  ## Register the partner domain with Tesla: REGION=na|eu|cn|all [DOMAIN=…] ENV=dev or ENV_FILE=…
	$(BIN)/python -m infra.ops.register_partner --region $(REGION) $(if $(DOMAIN),--domain $(DOMAIN)) \
		--env-file $(or $(ENV_FILE),infra/envs/$(ENV).yaml)

live-check: venv  ## Every Fleet API endpoint once: REGION=eu [TOKEN=…, else log in] [VIN=…] [BASE_URL=…] [ENV=dev|ENV_FILE=…]
	@$(BIN)/python -m infra.ops.live_check $(if $(TOKEN),--token "$(TOKEN)") --region $(or $(REGION),eu) \
		$(if $(VIN),--vin $(VIN)) $(if $(BASE_URL),--base-url $(BASE_URL)) \
		--env-file $(or $(ENV_FILE),infra/envs/$(ENV).yaml)
