# SPDX-License-Identifier: GPL-3.0-or-later
"""What a caller without the key can cost the local server: a 60 KB hostile query against a one-liner.

Before the key was checked first, the hostile query (20 000 repeated fields, whose validation is
quadratic) was parsed and validated before the 401: no answer within 600 s. Now both are refused
from the headers, so the hostile one should cost about what the one-liner costs (its bytes only).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.figures import Figure
from benchmarks.servers import local_server

HOSTILE = "{ client { " + "id " * 20000 + "} }"
SMALL = "{ client { id } }"


def _median_seconds(session: requests.Session, endpoint: str, query: str, repeats: int, headers: dict) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = session.post(endpoint, json={"query": query}, headers=headers, timeout=30)
        times.append(time.perf_counter() - started)
        assert answer.status_code in (401, 413), answer.status_code
    return statistics.median(times)


def run(repeats: int = 21, log=print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="move-bench-auth-") as work:
        with local_server(Path(work) / "server", "--processor", "reference") as server:
            session = requests.Session()
            no_key = {"Authorization": "not-the-key-0123456789"}
            _median_seconds(session, server.endpoint, SMALL, 3, no_key)  # warm the connection
            rows = []
            for i in range(repeats):  # alternate, so a busy moment of the machine hits both sides
                rows.append((_median_seconds(session, server.endpoint, SMALL, 1, no_key),
                             _median_seconds(session, server.endpoint, HOSTILE, 1, no_key),
                             _median_seconds(session, server.endpoint, HOSTILE, 1,
                                             {"Authorization": server.api_key})))
    small, hostile, keyed = (statistics.median(column) * 1000 for column in zip(*rows))
    log(f"  401 for a one-line query {small:.2f} ms, for a 60 KB hostile one {hostile:.2f} ms; "
        f"413 for it with the key {keyed:.2f} ms")
    within = (lambda value, ratio: ratio <= 3 or value < 20)
    return [
        Figure("hostile query 401", hostile, "ms", small, "one-line query, no key",
               "answered at once (<= 3x a one-line query)", within),
        Figure("hostile query 413 with key", keyed, "ms", small, "one-line query, no key",
               "refused before validation (<= 3x a one-line query)", within),
    ]
