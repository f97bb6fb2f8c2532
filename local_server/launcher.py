# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the local server in a child process and read its endpoint and key (tests, demo, benchmarks)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunningServer:
    endpoint: str  # http://127.0.0.1:PORT/ugc/graphql
    api_key: str
    data_dir: Path
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

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

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def server_python() -> str:
    """The interpreter that runs the server: `MOVE_SERVER_PYTHON`, else this one.

    The server writes outputs with the bpy 5.0 wheel of the project's .venv; add-on tests run under
    Blender 4.2 (.venv-bpy42) point this at .venv/bin/python, as a user's Blender 4.2 would talk to a
    server installed apart from it.
    """
    return os.environ.get("MOVE_SERVER_PYTHON") or sys.executable


def start_server(data_dir: Path, *extra: str, api_key: str = "test-key-0123456789", port: int = 0,
                 host: str = "127.0.0.1", timeout: float = 60.0) -> RunningServer:
    """Run `python -m local_server` on a (free, by default) loopback port; return once it is ready."""
    env = dict(os.environ, MOVE_LOCAL_API_KEY=api_key, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [server_python(), "-m", "local_server", "--host", host, "--port", str(port),
         "--data-dir", str(data_dir), *extra],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
