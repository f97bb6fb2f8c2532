# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by every test: the repository on sys.path, a real local server, real videos.

Areas keep their own fixtures in their own modules; this file holds only what all of them share.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Before anything imports bpy: Blender's user config (extensions, preferences) goes to a temporary
# folder, never the real one. Set first here so whichever test module imports bpy first agrees.
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="blender-user-"))

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `lib` and `local_server` import as top-level packages in tests; the add-on itself is
# installed from its built zip by the add-on tests.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local_server.launcher import RunningServer, start_server  # noqa: E402,F401  (re-exported for tests)
from media import make_video  # noqa: E402


@pytest.fixture(scope="session")
def local_server(tmp_path_factory):
    """One local server (reference processor) for the session; tests must not assume an empty state."""
    server = start_server(tmp_path_factory.mktemp("server-data"), "--processor", "reference")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory) -> Path:
    """A 2 s, 24 fps, 320x240 H.264 clip (48 frames)."""
    return make_video(tmp_path_factory.mktemp("media") / "sample.mp4", seconds=2.0, fps=24)
