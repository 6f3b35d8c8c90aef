# The commands people type. Each one sets up what it needs first, so a fresh clone works.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app mmm_events
PORT ?= 5000
CATALOGS := $(wildcard mmm_events/translations/*/LC_MESSAGES/messages.po)
# The instance folder the app uses (INSTANCE_PATH, as in mmm_events/__init__.py).
INSTANCE_DIR := $(or $(INSTANCE_PATH),instance)

.PHONY: setup dev-setup run test lint bench cluster translations extract-messages clean

setup: $(VENV)/.installed translations

# Reinstalled only when the dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

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

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python -m bench $(BENCH)

# Pull every gettext string out of the code and templates into the catalogues (en is the
# source; fr and ar are updated). --ignore-dirs keeps templates/_macros/, which pybabel's
# default skips along with every folder whose name starts with "_".
extract-messages: setup
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs '.*' -k _l -k lazy_gettext --no-location --sort-output -o mmm_events/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i mmm_events/translations/messages.pot -d mmm_events/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# nginx in front of two web servers and two mail workers, on PostgreSQL and Redis, on loopback:
# http://127.0.0.1:8080/ (CLUSTER_PORT). Ctrl-C stops everything. See "Running several servers".
cluster: setup
	$(BIN)/python scripts/cluster.py
