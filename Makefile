# Homefinder: `make demo` serves the embedded demo; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
DEMO_ENV := HOMEFINDER_ENV=development FLASK_APP=portal

.PHONY: demo test install assets system-packages seed serve clean backup restore

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed
assets: node_modules/.installed

demo: install assets
	$(DEMO_ENV) $(VENV)/bin/flask db upgrade
	$(DEMO_ENV) $(VENV)/bin/flask demo seed
	@echo "Homefinder is running at http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(DEMO_ENV) $(VENV)/bin/flask run --host 127.0.0.1 --port 5000

# As root, install the servers and browser the tests drive (Debian packages) when missing.
system-packages:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Install these Debian packages first:$$missing" >&2; exit 1; fi; \
	fi

test: system-packages install assets
	scripts/test.sh

# Operations (README "Backups and restore"): the database and local documents to BACKUP_DIR (default instance/backups).
backup: install
	$(VENV)/bin/flask --app portal backup create

restore: install
	@test -n "$(BACKUP)" || { echo "Usage: make restore BACKUP=instance/backups/homefinder-YYYYMMDDTHHMMSSZ" >&2; exit 2; }
	$(VENV)/bin/flask --app portal backup restore "$(BACKUP)"

clean:
	rm -rf $(VENV) node_modules instance .services
