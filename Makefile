# Developer entry points. `make run` and `make test` set up .venv themselves on a fresh machine.
# Everything runs from the repository root; tools are called from .venv explicitly, so no
# virtualenv needs to be activated.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k sandbox -x"`.
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench clean distclean

help: ## List the targets
	@grep -hE '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The stamp is newer than pyproject.toml once the dependencies it declares are installed; editing
# pyproject.toml makes the next `make run`/`make test` install again.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

run: $(VENV)/.installed ## Portal on the embedded default (SQLite, in-process tasks, Loket.nl sandbox)
	scripts/run-embedded

# scripts/test-env picks PostgreSQL/Redis when they answer locally, says which, and runs the rest
# with that environment. "$$@" hands PYTEST_ARGS to pytest word for word.
test: $(VENV)/.installed ## Lint, format check and the whole test suite
	scripts/test-env bash -c '$(BIN)/ruff check . && $(BIN)/ruff format --check . && exec $(BIN)/pytest "$$@"' pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Each benchmark prints its own figures. PYTHONPATH makes the project importable from bench/.
bench: $(VENV)/.installed ## Run every bench/*.py
	@shopt -s nullglob; found=0; \
	for script in bench/*.py; do \
		found=1; \
		echo "== $$script"; \
		PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(BIN)/python "$$script" || exit $$?; \
	done; \
	if [ $$found = 0 ]; then echo "Geen benchmarks in bench/."; fi

clean: ## Remove caches and build output (keeps .venv and db.sqlite3)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles build *.egg-info bench/*.out

distclean: clean ## Also remove .venv and the local SQLite database
	rm -rf $(VENV) db.sqlite3
