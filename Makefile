# propsvc — two commands: `make run` (demo on SQLite, port 5000) and `make test` (whole suite).
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
# Debian's own python3.11 (built with profile-guided and link-time optimisation: WeasyPrint
# renders ~10-15 % faster than on a plain source build such as pyenv's); else python3.
PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || echo python3)

.PHONY: run test test-moments fuzz setup sysdeps venv db demo bench serve clean

run: setup db
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 0.0.0.0 --port 5000

test: setup
	@bash scripts/test.sh $(ARGS)

# The whole suite (SQLite) once from each chosen moment of tests/moments.py, time ticking on:
# proves no test depends on the day it runs (issue 12). ~3 min per moment.
test-moments: setup
	@bash scripts/test-moments.sh $(ARGS)

# The form fuzzer's long profile: 500 examples per form and route (make test runs 4 of each,
# plus the sharpest edges), on SQLite and on PostgreSQL when it answers. Roughly half an hour.
fuzz: setup
	@PROPSVC_FUZZ=long bash scripts/test.sh tests/test_form_fuzz.py $(ARGS)

setup: sysdeps venv

sysdeps:
	@PYTHON=$(PYTHON) bash scripts/sysdeps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

db: venv
	$(FLASK) init-db

# Production-style server: gunicorn with 4 workers on port 5000.
serve: setup db
	$(BIN)/gunicorn -w 4 -b 0.0.0.0:5000 app:app

bench: setup
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) .pytest_cache
