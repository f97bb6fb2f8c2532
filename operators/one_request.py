# SPDX-License-Identifier: GPL-3.0-or-later
"""An operator whose work is one request on a worker: blocking in execute() (scripts), ticked by a
modal timer when invoked (the main thread never waits on the network)."""
from __future__ import annotations

import bpy

from ..core import sessions
from ..lib import tasks

TIMER_STEP = 0.1  # seconds between modal timer events


class OneRequestOperator(bpy.types.Operator):
    """Subclasses start the worker and say what its messages mean. Never registered itself."""

    _worker: tasks.Worker | None = None
    _timer: bpy.types.Timer | None = None

    def _start(self, context) -> tasks.Worker | None:
        """The started worker; None (after reporting why) when the request cannot be made."""
        raise NotImplementedError

    def _handle(self, messages) -> set | None:
        """The operator's result once the worker has answered, else None."""
        raise NotImplementedError

    def _waiting(self) -> None:
        """Called once the modal run has started (e.g. to show that an answer is awaited)."""

    def execute(self, context):
        worker = self._start(context)
        if worker is None:
            return {"CANCELLED"}
        while (result := self._handle(worker.poll(timeout=0.2))) is None:
            pass
        return result

    def invoke(self, context, event):
        self._worker = self._start(context)
        if self._worker is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_STEP, window=context.window)
        wm.modal_handler_add(self)
        self._waiting()
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type != "TIMER" or self._worker is None:  # Esc and every other event belong to Blender
            return {"PASS_THROUGH"}
        result = self._handle(self._worker.poll())
        if result is None:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        sessions.redraw()
        return result
