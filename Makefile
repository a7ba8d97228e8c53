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
.PHONY: help run test messages po chromium deploy-check lint format bench drill clean distclean

help: ## List the targets
	@grep -hE '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The stamp is newer than pyproject.toml and the lock once the dependencies are installed; editing
# either makes the next `make run`/`make test` install again. The dependencies come from
# requirements-dev.lock, each file checked against its sha256 (--require-hashes); the project itself
# is installed without dependencies. After changing pyproject.toml: scripts/lock-dependencies.
$(VENV)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/pip install --no-deps -e .
	touch $@

# DEBUG defaults to off in config/settings.py; the embedded default is the development mode, so
# `make run` (scripts/run-embedded) and the developer targets below turn it on explicitly.
run: $(VENV)/.installed messages ## Portal on the embedded default (SQLite, a Celery worker with its beat, Loket.nl sandbox, demo data)
	DEBUG=on scripts/run-embedded

# scripts/test-env picks PostgreSQL/Redis when they answer locally, says which, and runs the rest
# with that environment. "$$@" hands PYTEST_ARGS to pytest word for word.
test: $(VENV)/.installed messages chromium ## Lint (ruff, import contracts), format check and the whole test suite
	scripts/test-env bash -c '$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports && exec $(BIN)/pytest "$$@"' pytest $(PYTEST_ARGS)

# The compiled catalogues (.mo, not in git) from locale/<language>/LC_MESSAGES/django.po. Needs GNU
# gettext's msgfmt (Debian: gettext; scripts/ensure-gettext installs it as root).
messages: $(VENV)/.installed ## Compile the nl/en translation catalogues
	@scripts/ensure-gettext
	DEBUG=on $(BIN)/python manage.py compilemessages --ignore $(VENV) --verbosity 0

# After changing a text: collect every msgid of the templates and Python code into
# locale/en/LC_MESSAGES/django.po (tests/config/test_catalogues.py uses the same options and fails
# while a msgid is missing there or has no English). Then write the English msgstr and `make messages`.
# locale/nl/LC_MESSAGES/django.po holds only Dutch for Django's own texts that Django leaves English.
po: $(VENV)/.installed ## Update locale/en/LC_MESSAGES/django.po from the sources (makemessages)
	@scripts/ensure-gettext
	DEBUG=on $(BIN)/python manage.py makemessages -l en --ignore .venv --ignore tests --ignore bench --add-location file -e html,txt,py --no-obsolete

# Debian's Chromium for tests/browser (Playwright cannot download its own browser here). As root
# it installs it; otherwise it says what is missing. Outside CI `make test` goes on and the browser
# tests skip with that reason; in CI (CI=true) a missing Chromium stops the run.
chromium: ## Install Debian's Chromium for the browser tests (as root) if it is missing
	@scripts/ensure-chromium || { [ "$${CI:-}" != true ] && echo "Verder zonder Chromium: de browsertests worden overgeslagen."; }

# `manage.py check --deploy` with a production-like environment. The secrets are generated here for
# this one run and never written anywhere. tests/config/test_deploy_check.py runs the same check.
deploy-check: $(VENV)/.installed ## manage.py check --deploy with a production-like environment
	@secret_key=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') && \
	credentials_key=$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') && \
	env DEBUG=off SECRET_KEY="$$secret_key" CREDENTIALS_KEYS="$$credentials_key" \
		ALLOWED_HOSTS=portal.example.nl LOKET_ENDPOINT=https://loket.example.nl/loket/soap \
		DATABASE_URL=sqlite://:memory: \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

lint: $(VENV)/.installed ## ruff check, ruff format --check and the import contracts (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

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

# The fault drills of the production shape (PostgreSQL, a private Redis, gunicorn, two workers and a
# beat, all on loopback): prints RESULT lost=… duplicated=… late_mail_max_s=… recovery_after_kill_s=…
drill: $(VENV)/.installed messages ## Fault drills: Redis emptied, rows held, workers killed
	PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(BIN)/python bench/drill.py

clean: ## Remove caches and build output (keeps .venv and db.sqlite3)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles build *.egg-info bench/*.out

distclean: clean ## Also remove .venv and the local SQLite database
	rm -rf $(VENV) db.sqlite3 .run
