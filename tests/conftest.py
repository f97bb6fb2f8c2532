# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by every test: the repository on sys.path, a real local server, real videos.

Areas keep their own fixtures in their own modules; this file holds only what all of them share.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `lib` and `local_server` import as top-level packages in tests; the add-on itself is
# installed from its built zip by the add-on tests.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from media import make_video  # noqa: E402


@dataclass
class RunningServer:
    endpoint: str  # http://127.0.0.1:PORT/ugc/graphql
    api_key: str
    data_dir: Path
    process: subprocess.Popen
    output: list[str]

    @property
    def base_url(self) -> str:
        return self.endpoint.rsplit("/ugc/graphql", 1)[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(data_dir: Path, *extra: str, api_key: str = "test-key-0123456789", port: int = 0,
                 timeout: float = 60.0) -> RunningServer:
    """Start `python -m local_server` on a free loopback port and wait until it prints its endpoint."""
    env = dict(os.environ, MOVE_LOCAL_API_KEY=api_key, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "local_server", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    endpoint = key = None
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline and (endpoint is None or key is None):
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        if m := re.match(r"Endpoint: (\S+)", line):
            endpoint = m.group(1)
        if m := re.match(r"API key: (\S+)", line):
            key = m.group(1)
    if endpoint is None or key is None:
        proc.kill()
        raise RuntimeError("local server did not start:\n" + "".join(lines))

    def drain() -> None:  # keep reading so the server never blocks on a full pipe
        for out in proc.stdout:  # type: ignore[union-attr]
            lines.append(out)

    threading.Thread(target=drain, daemon=True).start()
    return RunningServer(endpoint, key, Path(data_dir), proc, lines)


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
