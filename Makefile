# Two commands matter: `make demo` (the main job) and `make test`. Both build .venv/ first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --quiet --disable-pip-version-check
STAMP := $(VENV)/.installed

.PHONY: setup test demo server build bench clean

# mediapipe goes in with --no-deps: its full resolution pulls jax and opencv-contrib, which the
# legacy `solutions` API we use never imports (requirements/mocap.txt lists what it does need).
$(STAMP): requirements/dev.txt requirements/mocap.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed (bpy wheels are cp311)"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip==24.3.1
	$(PIP) install -r requirements/dev.txt
	$(PIP) install --no-deps mediapipe==0.10.14
	$(PIP) install -r requirements/mocap.txt
	touch $@

setup: $(STAMP)

test: setup
	$(PY) -m pytest tests

demo: setup
	$(PY) -m demo

server: setup
	$(PY) -m local_server

build: setup
	$(PY) tools/build_addon.py

clean:
	rm -rf dist build .pytest_cache
