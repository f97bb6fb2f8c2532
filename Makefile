# Two commands matter: `make demo` (the main job) and `make test`. Both build .venv/ first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --quiet --disable-pip-version-check
STAMP := $(VENV)/.installed

.PHONY: setup test test-fast typecheck test-bpy42 demo server build bench bench-mocap mocap-models clean

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

# While developing: everything but the long end-to-end runs (the demo, the benchmark smoke tests,
# MediaPipe on real clips), which tests/pytest.ini marks `slow`. `make test` still runs them all.
test-fast: setup
	$(PY) -m pytest -m "not slow" tests

# The add-on's bpy code against the API stubs of the oldest and the newest supported Blender.
# fake-bpy-module ships a `bpy` package of its own, so each lives in a venv of its own.
.venv-typecheck-%/.installed: requirements/typecheck-%.txt
	$(PYTHON) -m venv $(@D)
	$(@D)/bin/python -m pip --quiet --disable-pip-version-check install -r $<
	touch $@

typecheck: .venv-typecheck-4.2/.installed .venv-typecheck-5.0/.installed
	.venv-typecheck-4.2/bin/python tools/typecheck_addon.py
	.venv-typecheck-5.0/bin/python tools/typecheck_addon.py

# The add-on, fault and retarget tests once more in Blender 4.2 LTS; the local server they start stays on .venv.
.venv-bpy42/.installed: requirements/bpy42.txt
	$(PYTHON) -m venv .venv-bpy42
	.venv-bpy42/bin/python -m pip --quiet --disable-pip-version-check install -r requirements/bpy42.txt
	touch $@

test-bpy42: setup .venv-bpy42/.installed
	MOVE_SERVER_PYTHON=$(abspath $(PY)) .venv-bpy42/bin/python -m pytest tests/test_addon_*.py tests/test_faults_*.py tests/test_retarget_blender.py

demo: setup
	$(PY) -m demo

server: setup
	$(PY) -m local_server

build: setup
	$(PY) tools/build_addon.py

bench: setup
	$(PY) -m benchmarks

# The heavy pose model (npm @mediapipe/pose, pinned and checksummed) into the sample cache.
mocap-models: setup
	$(PY) -m local_server.mocap.models

# Mocap accuracy and speed beside raw MediaPipe: real video (Pose2Sim demos against their 4-view
# triangulation), rendered clips (tuning and validation halves), speed, full vs heavy model.
bench-mocap: setup mocap-models
	$(PY) -m benchmarks.mocap

clean:
	rm -rf dist build .pytest_cache
