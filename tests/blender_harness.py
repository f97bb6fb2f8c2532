# SPDX-License-Identifier: GPL-3.0-or-later
"""The one Blender harness of the tests and the benchmarks: install the built extension as Blender
does, drive its REAL registered modal operators, and reach the VSE's strips on 4.2 and 5.0 alike.

The bpy module has no event loop: `bpy.ops.x('INVOKE_DEFAULT')` never reaches invoke() and timers
never fire. `ModalRun` therefore swaps the registered operator class's `execute` for one bpy.ops call
with a function that calls the real invoke() with a stand-in event and keeps the real operator
instance (Blender looks methods up on the class at call time), then calls that instance's real
modal() with stand-in TIMER events, as Blender's window manager would. Nothing is copied or
subclassed, so zero-argument super() in the operator's methods works as in Blender.

A flow operator hands its session over to the add-on's background timer once the job exists and
ends (FINISHED). bpy.app.timers never fire in the module, so from then on each stand-in TIMER event
calls that timer's function instead, and `tick()`/`run()` go on as if it were one operator until
the session ends: PASS_THROUGH while it runs, then FINISHED or CANCELLED as its status says.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import bpy

ROOT = Path(__file__).resolve().parent.parent
MODULE = "bl_ext.user_default.move_ai"


def install_addon(zip_path: Path):
    """Install a built extension zip with Blender's own installer; the add-on's module."""
    result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default",
                                                      enable_on_install=True)
    if result != {"FINISHED"}:
        raise RuntimeError(f"installing the add-on failed: {result}")
    return sys.modules[MODULE]


def build_extension(output_dir: Path) -> Path:
    """The extension zip, built (and validated) by Blender's own tool."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    import build_addon
    return build_addon.build(output_dir)


def top_strips(editor):
    """The strips collection `new_movie()` lives on (5.0: strips, 4.2: sequences)."""
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def add_movie(scene, path, frame_start: int = 1, channel: int = 2):
    """A movie strip of `path` on `scene`, made active."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    strip = top_strips(editor).new_movie(Path(path).stem, str(path), channel=channel, frame_start=frame_start)
    editor.active_strip = strip
    return strip


@dataclass
class StandInEvent:
    """Stands in for a window-manager event (the bpy module has none of its own)."""
    type: str = "TIMER"
    value: str = "NOTHING"


class ModalRun:
    """A real registered moveai operator (`bpy.types.<cls_name>`) run as from the UI: invoke(), then
    modal() on timer events. `reports` holds what its session gave it to report, as (level, text)
    (RNA's Operator.report cannot be wrapped: bpy finds RNA functions before the class's own)."""

    def __init__(self, cls_name: str):
        self.cls = getattr(bpy.types, cls_name)
        self.instance = None
        self.invoke_result: set | None = None
        self.handed_over = None  # the session the operator left to the background timer
        self.reports: list[tuple[str, str]] = []
        self._op = getattr(bpy.ops.moveai, self.cls.bl_idname.split(".", 1)[1])
        if "_forward" not in self.cls.__dict__ and hasattr(self.cls, "_forward"):
            self.cls._forward = _noted_forward
        _RUNS.append(self)

    def invoke(self, **props) -> set | None:
        run, cls = self, self.cls
        self.handed_over = None
        own_execute = cls.__dict__.get("execute")

        def execute(op, context):  # for this one call: invoke for real, and keep the instance
            run.instance = op
            run.invoke_result = op.invoke(context, StandInEvent("LEFTMOUSE", "PRESS"))
            return run.invoke_result

        cls.execute = execute
        try:
            self._op("EXEC_DEFAULT", **props)
        finally:
            if own_execute is None:
                del cls.execute  # inherited again (FlowOperator.execute)
            else:
                cls.execute = own_execute
        return self.invoke_result

    def tick(self, event: StandInEvent | None = None) -> set:
        assert self.instance is not None, "invoke() first"
        event = event or StandInEvent()
        if self.handed_over is not None:
            return self._background_tick(event)
        result = self.instance.modal(bpy.context, event)
        if result == {"FINISHED"}:
            sessions = sys.modules[MODULE + ".core.sessions"]
            session = sessions.SESSIONS.get(getattr(self.instance, "_uid", ""))
            if session is not None and not session.driven_by_operator:  # handed over, still running
                self.handed_over = session
                return {"PASS_THROUGH"}
        return result

    def _background_tick(self, event: StandInEvent) -> set:
        """What the add-on's app timer does for this session on its interval (the module runs no
        timers: sessions.drive_unattended, which _drive_background calls for each session); its
        reports, which go to Blender's report system, are noted in `reports` too."""
        sessions = sys.modules[MODULE + ".core.sessions"]
        session = self.handed_over
        if event.type == "TIMER" and not session.driven_by_operator:
            real_notify = sessions.notify

            def noted(level, text):
                self.reports.append((level, text))
                real_notify(level, text)

            sessions.notify = noted
            try:
                sessions.drive_unattended(session, bpy.context)
            finally:
                sessions.notify = real_notify
        if session.status == sessions.RUNNING:
            return {"PASS_THROUGH"}
        return {"FINISHED"} if session.status == sessions.FINISHED else {"CANCELLED"}

    def run(self, timeout: float = 60.0, interval: float = 0.05, **props) -> set | None:
        """invoke(), then TIMER events every `interval` s until modal() ends (or `timeout`)."""
        result = self.invoke(**props)
        if result != {"RUNNING_MODAL"}:
            return result
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.tick()
            if result != {"PASS_THROUGH"} and result != {"RUNNING_MODAL"}:
                return result
            time.sleep(interval)
        raise AssertionError(f"modal operator still running after {timeout} s; reports: {self.reports}")

    def close(self) -> None:
        """Give the class back its own _forward() once no run drives it (the registered class stays)."""
        if self in _RUNS:
            _RUNS.remove(self)
        if self.cls.__dict__.get("_forward") is _noted_forward and not any(r.cls is self.cls for r in _RUNS):
            del self.cls._forward


_RUNS: list[ModalRun] = []  # open runs; an operator instance's reports go to the run that holds it


def _noted_forward(op, session):
    """The flow operators' _forward(): note what the session is about to report, then report it."""
    for run in _RUNS:
        if run.instance is op:
            run.reports.extend(session.reports)
    return super(type(op), op)._forward(session)
