# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the client tests (no tests here): a fast-retrying client, fault rules, raw API checks.

The raw checks talk to the server with plain requests, not through the client under test, so that
"the server holds exactly one job" is read independently of the code being tested.
"""
from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

import pytest
import requests

import lib

FAST = lib.RetryPolicy(attempts=4, base_delay=0.02, max_delay=0.1, max_retry_after=0.1)


def make_client(server, *, policy: lib.RetryPolicy = FAST, key: str | None = None, **kw) -> lib.MoveClient:
    return lib.MoveClient(server.api_key if key is None else key, server.endpoint, retry_policy=policy, **kw)


def add_fault(server, rule: dict) -> dict:
    response = requests.post(server.base_url + "/_faults", json=rule,
                             headers={"Authorization": server.api_key}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def active_faults(server) -> list[dict]:
    response = requests.get(server.base_url + "/_faults", headers={"Authorization": server.api_key}, timeout=10)
    response.raise_for_status()
    return response.json()["rules"]


def clear_faults(server) -> None:
    requests.delete(server.base_url + "/_faults", headers={"Authorization": server.api_key},
                    timeout=10).raise_for_status()


def raw_graphql(server, query: str, variables: dict | None = None) -> dict:
    response = requests.post(server.endpoint, json={"query": query, "variables": variables or {}},
                             headers={"Authorization": server.api_key}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def server_jobs_of_take(server, take_id: str) -> list[dict]:
    """Every job of the take as the server lists it (all pages)."""
    jobs, after = [], None
    while True:
        data = raw_graphql(server, "query($t: String, $a: AWSJSON) { listJobs(takeId: $t, first: 100, after: $a)"
                                   " { after items { id metadata } } }", {"t": take_id, "a": after})
        jobs += data["listJobs"]["items"]
        after = data["listJobs"]["after"]
        if not after:
            return jobs


def server_takes_named(server, name: str) -> list[dict]:
    takes, after = [], None
    while True:
        data = raw_graphql(server, "query($a: AWSJSON) { listTakes(first: 100, after: $a)"
                                   " { after items { id name } } }", {"a": after})
        takes += [t for t in data["listTakes"]["items"] if t["name"] == name]
        after = data["listTakes"]["after"]
        if not after:
            return takes


def random_file(path: Path, size: int, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def md5_of(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def server_log_lines(server, needle: str, settle: float = 0.3, timeout: float = 5.0) -> list[str]:
    """The server's log lines holding `needle`, once no new one has come for `settle` seconds.

    The server logs a request after answering it and a thread reads that log, so a client may have
    acted on an answer before its line arrives.
    """
    def matching() -> list[str]:
        return [line for line in list(server.output) if needle in line]

    found, quiet_since, deadline = matching(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - quiet_since < settle and time.monotonic() < deadline:
        time.sleep(0.05)
        now = matching()
        if len(now) != len(found):
            found, quiet_since = now, time.monotonic()
    return found


@pytest.fixture
def client(local_server):
    return make_client(local_server)


@pytest.fixture
def no_faults(local_server):
    """Start and end with no fault rules, whatever a test left behind."""
    clear_faults(local_server)
    yield
    clear_faults(local_server)


@pytest.fixture(scope="module")
def uploaded_take(local_server, sample_video):
    """A take on a real uploaded video, made once per module (jobs are cheap to add to it)."""
    c = make_client(local_server)
    file = c.files.upload(sample_video)
    return c.takes.create_singlecam(sources=[lib.Source("cam01", file.id, "MP4")], name="client-tests")
