# The commands people type. Each one sets up what it needs first, so a fresh clone works.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app mmm_events
PORT ?= 5000
CATALOGS := $(wildcard mmm_events/translations/*/LC_MESSAGES/messages.po)
# The instance folder the app uses (INSTANCE_PATH, as in mmm_events/__init__.py).
INSTANCE_DIR := $(or $(INSTANCE_PATH),instance)

.PHONY: setup dev-setup run test lint lock bench cluster translations extract-messages clean vendor-js

setup: $(VENV)/.installed translations

# Reinstalled only when the dependencies change: exactly the versions and files pinned in
# requirements-dev.txt (the hashes refuse any other), then this project itself.
$(VENV)/.installed: requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# The lock files, resolved again from pyproject.toml after a dependency changed there:
# requirements.txt for production (with the sentry extra), requirements-dev.txt for
# development and CI (with the dev extra). Pins still allowed are kept; LOCK_ARGS=--upgrade
# moves every pin to the newest release allowed.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip-tools
	$(PIP_COMPILE) --extra sentry -o requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra dev -o requirements-dev.txt pyproject.toml

translations: $(CATALOGS:.po=.mo)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null

# A development checkout: instance/config.py saying MMM_ENV = "development" (written once, never
# overwritten), so that every later `.venv/bin/flask ...` typed in this checkout is development
# too, with no variable to set; a production deployment has no such file and stays strict.
# Then the SQLite database in instance/, migrated, with demo content when empty.
dev-setup: setup $(INSTANCE_DIR)/config.py
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

$(INSTANCE_DIR)/config.py:
	umask 077 && mkdir -p $(INSTANCE_DIR) && printf '%s\n' \
	  '# Written by `make run`: this checkout is for development (see the README, Configuration).' \
	  'MMM_ENV = "development"' > $@

# Development server on http://127.0.0.1:$(PORT) with the SQLite database in instance/,
# demo content on first start, and the mail worker beside it.
run: dev-setup
	# Retention, as cron or a systemd timer runs it daily in production (see the README).
	$(FLASK) privacy purge
	PORT=$(PORT) FLASK="$(FLASK)" sh scripts/dev-server.sh

# One pytest worker per core (pytest-xdist), each on databases of its own; worksteal hands the
# tests of a worker that is behind to one that is idle, so the long ones do not finish alone.
# Compiled modules are kept (__pycache__, even where PYTHONDONTWRITEBYTECODE is set): each
# worker, and each process a test starts (gunicorn, flask commands), imports the project again:
# compiling it every time, and pytest rewriting every test module, cost about 40 s of CPU a run.
test: setup
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n auto --dist worksteal $(PYTEST_ARGS)

# Ruff, then the floors of docs/architecture.md ([tool.importlinter] in pyproject.toml): an
# upward import, or a cycle between packages, fails.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench $(BENCH)

# The check-in page's QR decoder (for browsers without BarcodeDetector), from the npm registry
# at the version package.json pins, copied with its licence into static/js/vendor/, which is
# committed: the page needs no network to run it. Run again only to change the version.
vendor-js:
	npm install --no-save --no-package-lock --ignore-scripts
	cp node_modules/jsqr/dist/jsQR.js static/js/vendor/jsQR.js
	cp node_modules/jsqr/LICENSE static/js/vendor/jsQR.LICENSE

# Pull every gettext string out of the code and templates into the catalogues (en is the
# source; fr and ar are updated). --ignore-dirs keeps templates/_macros/, which pybabel's
# default skips along with every folder whose name starts with "_".
extract-messages: setup
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs '.*' -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output -o mmm_events/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i mmm_events/translations/messages.pot -d mmm_events/translations

clean:
	rm -rf node_modules $(VENV) .pytest_cache .ruff_cache .hypothesis

# nginx in front of two web servers and two mail workers, on PostgreSQL, on loopback:
# http://127.0.0.1:8080/ (CLUSTER_PORT). Ctrl-C stops everything. See "Running several servers".
cluster: setup
	$(BIN)/python scripts/cluster.py
