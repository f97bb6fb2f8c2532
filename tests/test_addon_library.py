# SPDX-License-Identifier: GPL-3.0-or-later
"""The user's Move library in real Blender (issue 10): takes and jobs listed newest first, a page at
a time, fetched on a worker; any finished job imported by id (made outside the add-on too), onto the
active strip or at the current frame, again in another format; any take re-run, asked first in the
UI, not asked from scripts; the preferences page.

A local server of its own whose test processor returns a small real capture (tests/hostile_blends.py
writes it with bpy, as .blend and FBX); takes and jobs are made "outside the add-on" with plain
GraphQL calls. The bpy module has no event loop: modal operators are driven by calling the real
operator's modal() with stand-in timer events (ModalRun).
"""
from __future__ import annotations

import subprocess
import sys
import time

import bpy
import pytest

from addon_fixtures import (MODULE, ROOT, add_movie, addon, addon_zip, armature_keys, installed_addon,  # noqa: F401
                            local_prefs, modal, scene)
from conftest import start_server
from hostile_blends import GIVEN_FBX_ENV, GIVEN_OUTPUT_ENV, GIVEN_OUTPUT_PROCESSOR
from server_support import Api


@pytest.fixture(scope="module")
def library_server(tmp_path_factory, sample_video):
    """(server, Api, [(take id, job id)] oldest first): three takes with one finished job each."""
    out = tmp_path_factory.mktemp("capture")
    subprocess.run([sys.executable, str(ROOT / "tests" / "hostile_blends.py"), str(out), str(out / "markers")],
                   check=True, capture_output=True, timeout=120)
    env = {GIVEN_OUTPUT_ENV: str(out / "clean.blend"), GIVEN_FBX_ENV: str(out / "clean.fbx")}
    saved = {k: __import__("os").environ.get(k) for k in env}
    __import__("os").environ.update(env)
    server = start_server(tmp_path_factory.mktemp("library-server"), "--processor", GIVEN_OUTPUT_PROCESSOR)
    api = Api(server)
    made = []
    for n in range(3):
        take = api.create_take(api.upload(sample_video)["id"])
        job = api.create_job(take["id"], outputs=["MAIN_FBX", "MAIN_BLEND"], name=f"web shot {n}",
                             options={"mocapModel": "S1" if n else "S2"})
        api.wait_job(job["id"])
        made.append((take["id"], job["id"]))
        time.sleep(0.01)  # distinct creation times
    yield server, api, made
    server.stop()
    for key, value in saved.items():
        if value is None:
            __import__("os").environ.pop(key, None)
        else:
            __import__("os").environ[key] = value


@pytest.fixture
def library(addon, local_prefs, library_server, monkeypatch):
    server, api, made = library_server
    local_prefs.endpoint, local_prefs.api_key = server.endpoint, server.api_key
    lib_module = addon.core.library
    monkeypatch.setattr(lib_module, "PAGE_SIZE", 2)
    lib_module.LIBRARY.__init__()  # a fresh runtime list
    return lib_module.LIBRARY, api, made


def test_the_library_lists_newest_first_a_page_at_a_time_on_a_worker(scene, library, modal, tmp_path):
    state, _api, made = library
    refresh = modal("MOVEAI_OT_library_refresh")
    assert refresh.invoke() == {"RUNNING_MODAL"}  # returned at once: the worker fetches
    assert state.busy and not state.loaded
    deadline = time.monotonic() + 30
    while (result := refresh.tick()) == {"PASS_THROUGH"}:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert result == {"FINISHED"} and not state.busy
    newest_jobs = [job for _take, job in reversed(made)]
    newest_takes = [take for take, _job in reversed(made)]
    assert [j.id for j in state.jobs] == newest_jobs[:2] and [t.id for t in state.takes] == newest_takes[:2]
    first = state.jobs[0]
    assert (first.name, first.state, first.model) == ("web shot 2", "FINISHED", "S1") and first.date[:2] == "20"
    assert state.has_more
    log: list = []
    sys.modules[MODULE + ".ui.library_panel"].draw_library(Recorder(log), bpy.context)
    assert ("op", "moveai.library_refresh", "more", True) in log  # the "More" button
    assert bpy.ops.moveai.library_refresh(more=True) == {"FINISHED"}
    assert [j.id for j in state.jobs][:3] == newest_jobs and [t.id for t in state.takes][:3] == newest_takes

    # what the panel shows: a row per job and take, Import on finished jobs, Re-run on takes, More
    log: list = []
    sys.modules[MODULE + ".ui.library_panel"].draw_library(Recorder(log), bpy.context)
    assert ("label", "Jobs (3)") in log and ("label", "Takes (3)") in log
    assert ("label", "web shot 2") in log
    assert [e[3] for e in log if e[:3] == ("op", "moveai.import_job", "job_id")] == newest_jobs
    assert [e[3] for e in log if e[:3] == ("op", "moveai.rerun_take", "take_id")] == newest_takes
    assert ("op", "moveai.library_refresh", "more", True) not in log  # three of three: no More

    path = tmp_path / "shot.blend"  # kept at runtime, never in the user's file
    bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    assert made[0][1].encode() not in path.read_bytes()


def test_import_a_job_made_outside_the_addon_at_the_current_frame_then_in_another_format(scene, library):
    _state, _api, made = library
    job_id = made[0][1]
    scene.frame_current = 50
    assert bpy.ops.moveai.import_job(job_id=job_id, format="blend") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.job_id == job_id and record.stage == "IMPORTED" and record.output_path.endswith(".blend")
    keys = armature_keys(bpy.data.objects[record.imported_object])
    assert keys[0] == 50.0 and len(keys) == 10
    # again, as FBX: the same record, the other output downloaded and imported
    assert bpy.ops.moveai.import_job(job_id=job_id, format="fbx") == {"FINISHED"}
    assert len(scene.move_ai.jobs) == 1 and record.output_path.endswith(".fbx") and record.stage == "IMPORTED"


def test_import_by_id_lands_on_the_active_strip_modally(scene, library, modal, sample_video):
    _state, _api, made = library
    strip = add_movie(scene, sample_video, frame_start=20)
    run = modal("MOVEAI_OT_import_job")
    assert run.run(timeout=60, job_id=made[1][1], format="fbx") == {"FINISHED"}, run.reports
    record = scene.move_ai.jobs[-1]
    assert record.strip_name == strip.name and record.strip_start == 20
    assert armature_keys(bpy.data.objects[record.imported_object])[0] == 20.0


def test_import_by_id_without_an_id_or_with_a_wrong_one_says_why(scene, library):
    with pytest.raises(RuntimeError, match="Give the id of the Move job"):
        bpy.ops.moveai.import_job(job_id=" ")
    with pytest.raises(RuntimeError, match="job-nope"):
        bpy.ops.moveai.import_job(job_id="job-nope")
    assert len(scene.move_ai.jobs) == 0  # no such job at Move: no record of it left behind


def test_rerun_a_take_asks_first_in_the_ui_and_not_from_scripts(scene, library, modal, monkeypatch):
    _state, api, made = library
    take_id = made[2][0]
    before = len(api.jobs_of_take(take_id))
    ui = sys.modules[MODULE + ".operators.library"]
    # The bpy module has no window to show a dialog in (Blender's own invoke_props_dialog crashes
    # there): record the request instead, as the window manager would show it.
    asked = []
    monkeypatch.setattr(ui, "ask", lambda context, op, width=400: asked.append(op.take_id) or {"RUNNING_MODAL"})
    rerun = modal("MOVEAI_OT_rerun_take")
    assert rerun.invoke(take_id=take_id) == {"RUNNING_MODAL"}  # from the panel: the dialog is up
    assert asked == [take_id] and rerun.instance.asked
    assert len(api.jobs_of_take(take_id)) == before and len(scene.move_ai.jobs) == 0  # nothing spent
    # OK in the dialog: runs as from the UI, modally
    assert rerun.instance.execute(bpy.context) == {"RUNNING_MODAL"}
    deadline = time.monotonic() + 60
    while (result := rerun.tick()) == {"PASS_THROUGH"}:
        assert time.monotonic() < deadline, rerun.reports
        time.sleep(0.02)
    assert result == {"FINISHED"}, rerun.reports
    assert len(api.jobs_of_take(take_id)) == before + 1
    # a script is not asked
    assert bpy.ops.moveai.rerun_take("EXEC_DEFAULT", take_id=take_id) == {"FINISHED"}
    assert len(api.jobs_of_take(take_id)) == before + 2
    assert [r.stage for r in scene.move_ai.jobs] == ["IMPORTED", "IMPORTED"]
    monkeypatch.undo()  # without a window, the real dialog is refused with a way out, nothing spent
    with pytest.raises(RuntimeError, match="asks first in a dialog.*EXEC_DEFAULT"):
        modal("MOVEAI_OT_rerun_take").invoke(take_id=take_id)
    assert len(api.jobs_of_take(take_id)) == before + 2


class Recorder:
    """Stands in for a UILayout: records props, operators and settings."""

    def __init__(self, log):
        self.log = log

    def __setattr__(self, name, value):
        if name != "log":
            self.log.append(("set", name, value))
        object.__setattr__(self, name, value)

    def operator(self, idname, **kw):
        log = self.log

        class Props:
            def __setattr__(self, name, value):
                log.append(("op", idname, name, value))
        log.append(("op", idname))
        return Props()

    def prop(self, data, name, **kw):
        self.log.append(("prop", name))

    def label(self, text="", **kw):
        self.log.append(("label", text))

    def __getattr__(self, name):  # row(), column(), box(), label(), ...
        return lambda *a, **kw: self if name in ("row", "column", "box", "split") else None


def test_preferences_page_split_link_and_every_property_described(addon, local_prefs):
    log: list = []
    prefs_class = type(local_prefs)

    class Page:
        layout = Recorder(log)

        def __getattr__(self, name):
            return getattr(local_prefs, name)

    prefs_class.draw(Page(), bpy.context)
    assert ("set", "use_property_split", True) in log
    assert ("op", "wm.url_open", "url", "https://dev.move.ai") in log
    assert ("prop", "api_key") in log and ("prop", "endpoint") in log
    undescribed = []
    structs = [(prefs_class.bl_rna, bpy.types.AddonPreferences.bl_rna),
               (addon.core.job_options.MoveJobOptions.bl_rna, bpy.types.PropertyGroup.bl_rna),
               (addon.core.preferences.EndpointKey.bl_rna, bpy.types.PropertyGroup.bl_rna)]
    structs += [(getattr(bpy.ops.moveai, name).get_rna_type(), None)
                for name in ("import_job", "rerun_take", "library_refresh", "console_client")]
    for rna, base in structs:
        inherited = {p.identifier for p in base.properties} if base is not None else {"rna_type"}
        undescribed += [f"{rna.identifier}.{p.identifier}" for p in rna.properties
                        if p.identifier not in inherited and not p.description]
    assert undescribed == []
