# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on as an animator uses it (issue 10): one paid job per press, Stop never loses a job id,
imports land in the strip's scene and collection and replace an earlier import of the same job,
menus for F3, and panel texts that say what is going on.

Real Blender (the bpy module), the real built add-on and the local server. The bpy module has no
event loop and no window: modal operators are driven by calling their real modal() with stand-in
TIMER events (blender_harness.ModalRun), the background timer's function is called directly, and
panels and menus draw into a recording stand-in layout (ui_recorder).
"""
from __future__ import annotations

import sys
import time

import pytest
import requests

from addon_fixtures import (MODULE, add_movie, addon, addon_zip, capture_until_job, installed_addon,  # noqa: F401
                            local_prefs, modal, scene, strips_of, tick_until)
from ui_recorder import draw

import bpy  # noqa: E402


def _fault(server, rule):
    r = requests.post(server.base_url + "/_faults", json=rule, headers={"Authorization": server.api_key},
                      timeout=10)
    r.raise_for_status()


@pytest.fixture
def faults(local_server):
    """Fault rules for this test only."""
    yield lambda rule: _fault(local_server, rule)
    requests.delete(local_server.base_url + "/_faults", headers={"Authorization": local_server.api_key},
                    timeout=10).raise_for_status()


def _server_jobs(addon, take_id):
    client = addon.core.settings.make_client(bpy.context)
    return client.jobs.list(take_id)


def _finish(driver, timeout: float = 60.0) -> set:
    """TIMER events to an invoked modal operator until it ends (ModalRun.run would invoke it again)."""
    deadline = time.monotonic() + timeout
    while (result := driver.tick()) == {"PASS_THROUGH"}:
        assert time.monotonic() < deadline, driver.reports
        time.sleep(0.05)
    return result


def _armatures():
    return sorted(o.name for o in bpy.data.objects if o.type == "ARMATURE")


# -- 1. two presses, two paid jobs ---------------------------------------------------------------------
def test_capture_again_while_the_strip_is_captured_is_refused(addon, scene, local_prefs, modal, sample_video,
                                                              monkeypatch):
    sessions = addon.core.sessions
    undo_steps = []
    real_push = sessions.push_undo
    monkeypatch.setattr(sessions, "push_undo", lambda text: undo_steps.append(text) or real_push(text))
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    assert not bpy.types.MOVEAI_OT_capture.poll(bpy.context)  # greyed out in the panel
    with pytest.raises(RuntimeError) as refused:
        bpy.ops.moveai.capture("EXEC_DEFAULT")
    assert "already being captured" in str(refused.value) and record.job_id in str(refused.value)
    assert len(scene.move_ai.jobs) == 1 and len(_server_jobs(addon, record.take_id)) == 1
    assert _finish(capture) == {"FINISHED"}, capture.reports
    assert bpy.types.MOVEAI_OT_capture.poll(bpy.context)  # done: a new capture may start
    assert undo_steps == [f"Import Move job {record.job_id}"]  # the import is an undo step of its own
    assert "UNDO" not in getattr(bpy.types.MOVEAI_OT_capture, "bl_options", set())  # a redo would spend credits again


def test_rerun_from_the_ui_asks_first_and_scripts_are_not_asked(addon, scene, local_prefs, modal,
                                                               sample_video, monkeypatch):
    add_movie(scene, sample_video)
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    first = scene.move_ai.jobs[-1]
    first_uid, take = first.uid, first.take_id
    flow = sys.modules[MODULE + ".operators.flow"]

    # background Blender cannot show a dialog (it crashes 5.0): the invoke is refused, nothing is spent
    rerun = modal("MOVEAI_OT_rerun_job")
    with pytest.raises(RuntimeError, match="must be confirmed in Blender's window"):
        rerun.invoke(job=first_uid)
    assert rerun.invoke_result == {"CANCELLED"}
    assert len(scene.move_ai.jobs) == 1 and len(_server_jobs(addon, take)) == 1

    # with a window: the dialog is shown (stand-in for window_manager.invoke_props_dialog) ...
    asked = []
    monkeypatch.setattr(flow, "can_show_dialog", lambda: True)
    monkeypatch.setattr(flow, "show_dialog", lambda op, context: asked.append(op) or {"RUNNING_MODAL"})
    rerun = modal("MOVEAI_OT_rerun_job")
    assert rerun.invoke(job=first_uid) == {"RUNNING_MODAL"} and asked == [rerun.instance]
    assert len(scene.move_ai.jobs) == 1 and len(_server_jobs(addon, take)) == 1  # nothing yet
    shown = draw(type(rerun.instance).draw, bpy.context, job=first_uid,  # ... it shows what will be spent
                 target_record=rerun.instance.target_record)
    text = " ".join(shown.texts())
    assert take in text and "Model S2" in text and "credits" in text
    # ... OK runs the job, as from the UI (modal): execute() of the instance that asked
    assert type(rerun.instance).execute(rerun.instance, bpy.context) == {"RUNNING_MODAL"}
    assert _finish(rerun) == {"FINISHED"} and scene.move_ai.jobs[-1].stage == "IMPORTED"
    assert len(_server_jobs(addon, take)) == 2

    assert bpy.ops.moveai.rerun_job("EXEC_DEFAULT", job=first_uid) == {"FINISHED"}  # a script: no question
    assert len(_server_jobs(addon, take)) == 3


def test_stop_while_move_creates_the_job_keeps_its_id(addon, scene, local_prefs, modal, sample_video, faults):
    """Stop pressed after the job request left and before its answer: the stop waits for the id."""
    add_movie(scene, sample_video)
    faults({"route": "graphql", "operation": "createSingleCamJob", "latency_ms": 1500, "when": "after",
            "count": 1})
    capture = modal("MOVEAI_OT_capture")
    assert capture.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    uid = record.uid
    session = addon.core.sessions.SESSIONS[uid]
    tick_until(capture, lambda: session.running_step == "job" and record.stage == "JOB")
    time.sleep(0.3)  # the request is at the server, which has made the job and is slow to answer

    assert bpy.ops.moveai.cancel_poll("EXEC_DEFAULT", job=uid) == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.uid == uid and not record.job_id and "Stopping as soon as Move answers" in record.message
    panel = draw(bpy.types.MOVEAI_PT_sequencer.draw, bpy.context)
    assert "Stopping once Move gives the job's id" in panel.texts()

    _finish(capture, timeout=20)
    assert record.job_id.startswith("job-") and record.stage == "STOPPED", record.message
    assert record.job_id in record.message and "continues on Move" in record.message
    assert [j.id for j in _server_jobs(addon, record.take_id)] == [record.job_id]
    assert record.can_watch


def test_a_job_whose_id_never_arrived_is_found_again(addon, scene, local_prefs, modal, sample_video, faults):
    """Blender closed (or the file reloaded) while Move created the job: the id never reached the
    record. Watch Job finds the job by the record's uid in the job's metadata."""
    add_movie(scene, sample_video)
    faults({"route": "graphql", "operation": "createSingleCamJob", "latency_ms": 1500, "when": "after",
            "count": 1})
    capture = modal("MOVEAI_OT_capture")
    assert capture.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    session = addon.core.sessions.SESSIONS[record.uid]
    tick_until(capture, lambda: session.running_step == "job" and record.stage == "JOB")
    time.sleep(0.3)
    addon.core.sessions.stop_all()  # as when the file is closed: no waiting
    assert not record.job_id and record.job_requested and record.can_watch
    time.sleep(1.5)

    assert bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    server_jobs = _server_jobs(addon, record.take_id)
    assert [j.id for j in server_jobs] == [record.job_id] and record.stage == "IMPORTED"


# -- 2., 7. re-import replaces; tidy names and collection ----------------------------------------------
def test_import_twice_replaces_and_names_after_strip_and_job(addon, scene, local_prefs, sample_video):
    local_prefs.add_overlay = True
    strip = add_movie(scene, sample_video)
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    collection = scene.collection.children[strip.name]
    names = sorted(o.name for o in collection.objects)
    arm = bpy.data.objects[strip.name]
    assert arm.type == "ARMATURE" and record.imported_object == strip.name
    assert all(n == strip.name or n.startswith(strip.name + " ") for n in names), names
    assert not any("Actor" in n for n in names) and not scene.collection.objects[:]
    action = arm.animation_data.action
    assert action.name == f"{strip.name} S2 {record.job_id[:8]}"
    overlays = [s for s in strips_of(scene) if s.name != strip.name]
    assert len(overlays) == 1

    before = {"objects": sorted(o.name for o in bpy.data.objects), "actions": sorted(a.name for a in bpy.data.actions),
              "strips": sorted(s.name for s in strips_of(scene))}
    assert bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    after = {"objects": sorted(o.name for o in bpy.data.objects), "actions": sorted(a.name for a in bpy.data.actions),
             "strips": sorted(s.name for s in strips_of(scene))}
    assert after == before  # no walk.001, no second overlay
    assert sorted(o.name for o in collection.objects) == names
    assert len(bpy.data.collections) == 1


# -- 3. import during the download ---------------------------------------------------------------------
def test_import_during_the_download_waits_for_it_without_a_traceback(addon, scene, local_prefs, modal,
                                                                     sample_video, faults):
    add_movie(scene, sample_video)
    faults({"route": "download", "latency_ms": 1500, "count": 1})
    capture = modal("MOVEAI_OT_capture")
    assert capture.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    tick_until(capture, lambda: record.stage == "DOWNLOADING", timeout=60)
    assert bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    assert record.stage == "IMPORTED" and _armatures() == [record.imported_object]
    assert capture.tick() in ({"FINISHED"}, {"CANCELLED"})  # its session ended with the import
    assert _armatures() == [record.imported_object]  # one import, not two


def test_watch_during_a_running_watch_is_a_report_not_a_traceback(addon, scene, local_prefs, modal, sample_video):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    sessions = addon.core.sessions
    with pytest.raises(sessions.AlreadyRunning, match=f"already working on job {record.job_id}"):
        sessions.start_session(bpy.context, record, [])
    _finish(capture)


# -- 4. the strip's scene; background imports after a reload --------------------------------------------
def test_import_goes_into_the_strips_scene_not_the_windows(addon, scene, local_prefs, modal, sample_video):
    strip = add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    other = bpy.data.scenes.new("Edit")
    other.render.fps = 30
    bpy.context.window.scene = other  # the user looks at another scene meanwhile
    assert _finish(capture) == {"FINISHED"}, capture.reports
    arm = bpy.data.objects[record.imported_object]
    assert arm.name in scene.collection.children[strip.name].objects
    assert not other.collection.all_objects[:] and not other.collection.children[:]
    assert (scene.render.fps, other.render.fps) == (24, 30)  # the FBX importer changed neither


def test_background_import_after_reload_is_reported_shown_and_undoable(addon, scene, local_prefs, modal,
                                                                      sample_video, tmp_path, monkeypatch,
                                                                      capfd):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    uid = record.uid
    path = tmp_path / "reload.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))  # load_post watches the job again
    sessions = sys.modules[MODULE + ".core.sessions"]
    undo_steps = []
    real_push = sessions.push_undo
    monkeypatch.setattr(sessions, "push_undo", lambda text: undo_steps.append(text) or real_push(text))
    deadline = time.monotonic() + 60
    while uid in sessions.SESSIONS:  # what bpy.app.timers would call (the module runs no timers)
        assert time.monotonic() < deadline
        sessions._drive_background()
        time.sleep(0.05)
    sc = bpy.context.scene
    record = next(r for r in sc.move_ai.jobs if r.uid == uid)
    assert record.stage == "IMPORTED"
    assert undo_steps == [f"Import Move job {record.job_id}"]
    out = capfd.readouterr().out
    assert f"Info: Imported {record.imported_object!r}" in out  # Blender's report, not only the log
    panel = draw(bpy.types.MOVEAI_PT_sequencer.draw, bpy.context)
    assert "Imported" in panel.texts() and "Finished" not in panel.texts()


# -- 5. menus, labels, descriptions, poll --------------------------------------------------------------
def _menu_entries(context):
    menu = draw(bpy.types.MOVEAI_MT_menu.draw, context)
    return menu.operators()


@pytest.mark.parametrize("host", ["SEQUENCER_MT_strip", "SEQUENCER_MT_context_menu", "VIEW3D_MT_object_animation"])
def test_move_ai_submenu_in_the_host_menus(addon, scene, host):
    found = []
    for function in getattr(bpy.types, host)._dyn_ui_initialize():
        if not function.__module__.startswith(MODULE):
            continue  # Blender's own entries need an editor's context
        layout = draw(function, bpy.context)
        found += [d.target for d in layout.record if d.kind == "menu"]
    assert "MOVEAI_MT_menu" in found
    entries = _menu_entries(bpy.context)
    for idname in ("moveai.capture", "moveai.import_output", "moveai.poll_job", "moveai.rerun_job",
                   "moveai.test_connection"):
        assert idname in entries


def test_menu_shows_operators_of_other_parts_once_they_exist(addon, scene):
    assert "moveai.import_job" not in _menu_entries(bpy.context) or hasattr(bpy.types, "MOVEAI_OT_import_job")
    if hasattr(bpy.types, "MOVEAI_OT_retarget"):
        pytest.skip("retarget is registered by the add-on already")

    class MOVEAI_OT_retarget(bpy.types.Operator):
        """Stand-in for the retarget operator another part of the add-on adds"""
        bl_idname = "moveai.retarget"
        bl_label = "Retarget"

        def execute(self, context):
            return {"FINISHED"}

    bpy.utils.register_class(MOVEAI_OT_retarget)
    try:
        assert "moveai.retarget" in _menu_entries(bpy.context)
    finally:
        bpy.utils.unregister_class(MOVEAI_OT_retarget)
    assert "moveai.retarget" not in _menu_entries(bpy.context)


def _addon_operators():
    return [getattr(bpy.types, n) for n in dir(bpy.types) if n.startswith("MOVEAI_OT_")]


def test_every_operator_and_property_has_a_label_rule_and_a_description(addon, scene):
    operators = _addon_operators()
    assert len(operators) >= 12
    for op in operators:
        assert op.bl_description.strip(), op.__name__
        assert not op.bl_label.startswith("Move:"), op.bl_label  # one rule: no prefix (menus say Move AI)
        rna = getattr(bpy.ops.moveai, op.bl_idname.split(".", 1)[1]).get_rna_type()
        for prop in rna.properties:
            if prop.identifier != "rna_type":
                assert prop.description.strip(), f"{op.__name__}.{prop.identifier}"
    record = addon.core.state.new_record(scene)
    for struct in (scene.move_ai, scene.move_ai.options, record):
        for prop in struct.bl_rna.properties:
            if prop.identifier not in ("rna_type", "name"):
                assert prop.description.strip(), f"{struct.bl_rna.identifier}.{prop.identifier}"


def test_capture_is_greyed_out_with_a_reason(addon, scene, local_prefs, sample_video, monkeypatch):
    capture = bpy.types.MOVEAI_OT_capture
    assert not capture.poll(bpy.context)  # no strip
    with pytest.raises(RuntimeError, match=r"poll\(\) .*(has no Video Sequencer strips|No active strip)"):
        bpy.ops.moveai.capture("EXEC_DEFAULT")
    add_movie(scene, sample_video)
    assert capture.poll(bpy.context)
    monkeypatch.delenv("MOVE_API_KEY", raising=False)
    local_prefs.api_key = ""
    assert not capture.poll(bpy.context)
    with pytest.raises(RuntimeError, match=r"poll\(\) No Move API key is set"):
        bpy.ops.moveai.capture("EXEC_DEFAULT")
    for name in ("MOVEAI_OT_poll_job", "MOVEAI_OT_import_output", "MOVEAI_OT_rerun_job", "MOVEAI_OT_cancel_poll",
                 "MOVEAI_OT_create_take", "MOVEAI_OT_create_job", "MOVEAI_OT_test_connection"):
        assert not getattr(bpy.types, name).poll(bpy.context), name  # no job (or no key) yet


# -- 8. panel texts -------------------------------------------------------------------------------------
def _panel(context=None):
    return draw(bpy.types.MOVEAI_PT_sequencer.draw, context or bpy.context)


def test_panel_words_while_a_job_is_made_and_after_a_network_failure(addon, scene, local_prefs):
    state = addon.core.state
    record = state.new_record(scene)
    record.strip_name, record.take_id, record.stage = "walk", "take-1", "JOB"
    sessions = addon.core.sessions
    fake = sessions.CaptureSession(scene.name, record.uid, [], {})
    sessions.SESSIONS[record.uid] = fake  # stands for a running session (no worker started)
    try:
        texts = _panel().texts()
        assert "Creating the job…" in texts and not any(t.endswith("%") for t in texts)
    finally:
        sessions.SESSIONS.pop(record.uid)
    record.job_id, record.job_state, record.stage = "job-1a2b3c4d", "RUNNING", "FAILED"
    record.message = "The connection to 127.0.0.1:8765 could not be made. Check the endpoint."
    panel = _panel()
    assert "Running at Move" not in panel.texts() and "Interrupted" in panel.texts()
    assert panel.find("operator", "moveai.poll_job") is not None  # it can be watched again
    assert panel.find("operator", "moveai.copy_job_id").props.job_id == "job-1a2b3c4d"
    assert bpy.ops.moveai.copy_job_id("EXEC_DEFAULT", job_id=record.job_id) == {"FINISHED"}
    assert any(t.startswith("Jobs in scene") for t in panel.texts())
    assert panel.find("template_list", "MOVEAI_UL_jobs") is not None
    assert not any(t == "Jobs in this file" for t in panel.texts())


def test_long_texts_wrap_and_strip_errors_keep_their_advice(addon, scene, local_prefs, sample_video, tmp_path):
    strip = add_movie(scene, sample_video)
    strip.filepath = str(tmp_path / "gone.mp4")
    texts = _panel().texts()
    joined = " ".join(texts)
    assert "Find Missing Files" in joined  # the advice survives
    assert not any(t.endswith("..") for t in texts)
    assert all(len(t) < 60 for t in texts), texts  # wrapped to the sidebar, not cut off


def test_job_list_remove_and_clear_finished(addon, scene):
    state = addon.core.state
    for stage in ("IMPORTED", "FAILED", "STOPPED"):
        record = state.new_record(scene)
        record.strip_name, record.stage = f"clip {stage}", stage
    ui_list = bpy.types.MOVEAI_UL_jobs
    flags, order = ui_list.filter_items(type("L", (), {"filter_name": "", "bitflag_filter_item": 1})(),
                                        bpy.context, scene.move_ai, "jobs")
    assert order == [2, 1, 0]  # newest first
    assert bpy.ops.moveai.clear_finished("EXEC_DEFAULT") == {"FINISHED"}
    assert [r.stage for r in scene.move_ai.jobs] == ["STOPPED"]
    scene.move_ai.active_job_index = 0
    assert bpy.ops.moveai.remove_job("EXEC_DEFAULT") == {"FINISHED"}
    assert len(scene.move_ai.jobs) == 0


# -- 6. autosave: the modal operator ends once the job exists -------------------------------------------
def test_the_modal_operator_ends_once_the_job_exists_and_the_timer_finishes(addon, scene, local_prefs, modal,
                                                                             sample_video):
    """Blender skips autosave while any modal operator runs: Capture's modal part covers upload, take
    and job only; the watch, download and import run on the add-on's timer."""
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    sessions = addon.core.sessions
    session = sessions.SESSIONS[record.uid]
    result = capture.instance.modal(bpy.context, type("Event", (), {"type": "TIMER", "value": "NOTHING"})())
    assert result == {"FINISHED"}  # the real operator has ended: nothing holds autosave off
    assert not session.driven_by_operator and bpy.app.timers.is_registered(sessions._drive_background)
    assert record.stage in ("WATCHING", "DOWNLOADING")
    deadline = time.monotonic() + 60
    while record.uid in sessions.SESSIONS:  # what bpy.app.timers would call (the module runs no timers)
        assert time.monotonic() < deadline
        sessions._drive_background()
        time.sleep(0.05)
    assert record.stage == "IMPORTED" and bpy.data.objects[record.imported_object].type == "ARMATURE"


def test_test_connection_lets_esc_through(addon, scene, local_prefs, modal):
    connect = modal("MOVEAI_OT_test_connection")
    assert connect.invoke() == {"RUNNING_MODAL"}
    assert connect.tick(type("Event", (), {"type": "ESC", "value": "PRESS"})()) == {"PASS_THROUGH"}
    deadline = time.monotonic() + 20
    while (result := connect.tick()) == {"PASS_THROUGH"}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert result == {"FINISHED"} and addon.core.connection.CONNECTION["ok"]
