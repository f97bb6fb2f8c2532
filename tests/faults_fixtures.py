# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the fault tests: quick retries in the add-on's clients, fault rules on the local
server, what the panel shows for a job record, and the server's own view of a take's jobs.

The add-on's clients keep their real retry rule; only the pauses are shortened (through
`core.settings.CLIENT_OPTIONS`), so a burst of failures costs a test milliseconds, not the
tens of seconds a user's Blender would patiently wait.
"""
from __future__ import annotations

import sys
import threading
import time
from types import SimpleNamespace

import pytest

from addon_fixtures import MODULE, tick_until  # noqa: F401  (re-exported for the fault tests)
from test_client_helpers import active_faults, add_fault, clear_faults, server_jobs_of_take, server_log_lines

import bpy  # noqa: E402,F401  (after addon_fixtures: the user folder must be set first)

__all__ = ["active_faults", "add_fault", "server_jobs_of_take"]

RETRY_ATTEMPTS = 4


def addon_module(name: str):
    """A module of the installed add-on, looked up afresh (disabling and enabling makes new ones)."""
    return sys.modules[f"{MODULE}.{name}"]


def quick_policy(attempts: int = RETRY_ATTEMPTS, base_delay: float = 0.05, max_delay: float = 0.2):
    """The add-on's own RetryPolicy class (its lib is a copy of the repository's, not `lib`)."""
    retry = addon_module("lib.retry")
    return retry.RetryPolicy(attempts=attempts, base_delay=base_delay, max_delay=max_delay,
                             max_retry_after=max_delay)


@pytest.fixture
def client_options(addon, monkeypatch):
    """The add-on's clients retry RETRY_ATTEMPTS times with short pauses; tests may add timeouts."""
    options = {"retry_policy": quick_policy()}
    monkeypatch.setattr(addon_module("core.settings"), "CLIENT_OPTIONS", options)
    return options


@pytest.fixture
def faults(local_server):
    """Fault rules on the shared local server: none before the test, none left after it."""
    clear_faults(local_server)
    book = SimpleNamespace(add=lambda rule: add_fault(local_server, rule),
                           active=lambda: active_faults(local_server),
                           clear=lambda: clear_faults(local_server))
    yield book
    clear_faults(local_server)


def fault_hits(server, rule_id: int) -> list[str]:
    """Server log lines of requests that rule `rule_id` answered (once the log has settled)."""
    return server_log_lines(server, f"(fault {rule_id}")


def jobs_on_server(server, take_id: str) -> list[str]:
    return [job["id"] for job in server_jobs_of_take(server, take_id)]


class PanelRecorder:
    """Stands in for a UILayout (the bpy module draws no panels): notes what the real draw code
    puts in it, so a test reads the texts and buttons a user would see."""

    def __init__(self, log: list | None = None):
        self.log = [] if log is None else log

    def _child(self, *args, **kwargs):
        return PanelRecorder(self.log)

    box = row = column = split = _child

    def label(self, text: str = "", **kwargs) -> None:
        self.log.append(("label", text))

    def progress(self, factor: float = 0.0, text: str = "", **kwargs) -> None:
        self.log.append(("progress", text))

    def prop(self, data, name: str, **kwargs) -> None:
        self.log.append(("prop", name))

    def operator(self, idname: str, text: str = "", **kwargs):
        props = SimpleNamespace()
        self.log.append(("operator", idname, text, props))
        return props


def panel_of(record) -> dict:
    """What the sidebar shows for one job record: its texts and its buttons {label: (operator, job)}."""
    layout = PanelRecorder()
    addon_module("ui.panels").draw_job(layout, record)
    lines = [entry[1] for entry in layout.log if entry[0] in ("label", "progress")]
    # long messages are wrapped to the sidebar's width over several labels: each run of lines
    # joined again counts as a text too, so a test can look for a whole message
    texts = lines + [" ".join(lines[i:j]) for i in range(len(lines)) for j in range(i + 2, len(lines) + 1)]
    buttons = {entry[2]: (entry[1], getattr(entry[3], "job", "")) for entry in layout.log
               if entry[0] == "operator"}
    return {"texts": texts, "buttons": buttons}


def worker_threads() -> list[threading.Thread]:
    """The add-on's live worker threads (named move-ai-...)."""
    return [t for t in threading.enumerate() if t.name.startswith("move-ai-") and t.is_alive()]


def wait_until(condition, timeout: float = 30.0, step: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(step)


def error_texts(driver) -> list[str]:
    return [text for level, text in driver.reports if level == "ERROR"]


def armatures() -> list:
    return [o for o in bpy.data.objects if o.type == "ARMATURE"]
