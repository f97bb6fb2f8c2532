# SPDX-License-Identifier: GPL-3.0-or-later
"""The local server for a benchmark (started as tests and the demo start it) and its fault rules."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local_server.launcher import start_server  # noqa: E402


@contextlib.contextmanager
def local_server(data_dir: Path, *extra: str, env: dict | None = None):
    """A running `python -m local_server --port 0` with its own data folder; stopped on exit."""
    import os
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})  # the launcher passes our environment on to the server
    try:
        server = start_server(Path(data_dir), *extra)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        yield server
    finally:
        server.stop()


def set_latency(server, ms: int) -> None:
    """Every route answers `ms` later (POST /_faults {"latency_ms": ms}); 0 clears all rules."""
    url = server.base_url + "/_faults"
    headers = {"Authorization": server.api_key}
    if ms:
        requests.post(url, json={"latency_ms": ms}, headers=headers, timeout=10).raise_for_status()
    else:
        requests.delete(url, headers=headers, timeout=10).raise_for_status()
