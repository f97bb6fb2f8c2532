# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection test: its worker step, and its last result for the preferences page."""

from ..lib import tasks

# The last connection test, shown in the preferences (runtime only, never saved).
CONNECTION: dict = {"text": "", "ok": False}


def who_am_i(context: tasks.StepContext) -> dict:
    """Worker step: ask Move who the client's API key belongs to."""
    info = context.values["client"].client_info.retrieve(cancel=context.cancel)
    return {"name": info.name, "id": info.id}


def show(ok: bool, text: str) -> None:
    CONNECTION.update(text=text, ok=ok)


def clear() -> None:
    """Forget the last result: it was about another key or endpoint."""
    CONNECTION.update(text="", ok=False)
