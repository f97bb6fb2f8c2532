# Two commands matter: `make demo` (the main job) and `make test`. Both build .venv/ first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: setup test demo server build bench clean

$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed (bpy wheels are cp311)"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.3.1
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

setup: $(STAMP)

test: setup
	$(PY) -m pytest tests

server: setup
	$(PY) -m local_server

clean:
	rm -rf dist build .pytest_cache
