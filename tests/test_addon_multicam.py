# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam in real Blender against the local server: selected movie strips (one per camera) become
one upload per camera, a volume (calibrated once, reused), a multicam take and job, and an imported
skeleton in step with the active strip. Bad selections say why and send nothing; nothing is paid twice.

The bpy module has no event loop: the modal operator is driven by calling its real modal() with
stand-in TIMER events (blender_harness.ModalRun). Today's main server finishes a volume without
calibrating and reports no sync; where a test needs a FAILED volume or a reported sync, it puts it
on the server the way the server records it (an SQLite trigger on the volume, updateJob metadata on
the job), and says so.
"""
from __future__ import annotations

import json
import sqlite3
import time
import wave
from types import SimpleNamespace

import bpy
import pytest

from addon_fixtures import (MODULE, add_movie, addon, addon_zip, armature_keys, installed_addon, local_prefs,  # noqa: F401
                            modal, scene, strips_of, tick_until, top_strips)
from media import make_video
from server_support import Api
from test_client_helpers import add_fault
from faults_fixtures import panel_of

TAKE_QUERY = """query ($id: ID!) { getTake(takeId: $id) { id volume { ... on HumanVolume { id } }
  sources { deviceLabel file { id } } } }"""
JOBS_QUERY = "query ($t: String) { listJobs(takeId: $t, first: 50) { items { id } } }"
VOLUMES_QUERY = "query { listVolumes(first: 100) { items { ... on HumanVolume { id state } } } }"


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Three 2 s, 24 fps clips, one per camera (real H.264 files, distinct bytes)."""
    folder = tmp_path_factory.mktemp("multicam")
    return {name: make_video(folder / f"{name}.mp4", seconds=2.0 + 0.25 * i, fps=24)
            for i, name in enumerate(("cam01", "cam02", "cam03", "a1", "a2", "b1", "b2"))}


@pytest.fixture
def gql(local_server):
    return Api(local_server)


def _select_only(sc, strips, active) -> None:
    for s in strips_of(sc):
        s.select = False
    for s in strips:
        s.select = True
    sc.sequence_editor.active_strip = active


def _cameras(sc, videos, names, starts, channel=2):
    strips = [add_movie(sc, videos[n], frame_start=start, channel=channel + i)
              for i, (n, start) in enumerate(zip(names, starts))]
    return strips


def _jobs_of(gql, take_id) -> list:
    return gql(JOBS_QUERY, t=take_id)["listJobs"]["items"]


def _volume_count(gql) -> int:
    return len(gql(VOLUMES_QUERY)["listVolumes"]["items"])


def test_three_cameras_end_to_end(scene, local_prefs, modal, videos, gql):
    strips = _cameras(scene, videos, ("cam01", "cam02", "cam03"), (35, 37, 40))
    reference = strips[1]
    reference.frame_offset_start, reference.frame_offset_end = 4, 6  # the active strip's trim is the clip
    _select_only(scene, strips, reference)
    volumes_before = _volume_count(gql)

    driver = modal("MOVEAI_OT_capture_multicam")
    assert driver.run(timeout=60) == {"FINISHED"}, driver.reports
    record = scene.move_ai.jobs[-1]
    cams = {c.label: c for c in record.cameras}
    assert sorted(cams) == ["cam01", "cam02", "cam03"] and not any(c.calibration for c in record.cameras)
    assert len({c.file_id for c in record.cameras}) == 3 and all(c.file_id.startswith("file-") for c in record.cameras)
    assert record.cameras[0].label == "cam02"  # the active strip is the reference camera
    assert (cams["cam01"].timeline_offset, cams["cam03"].timeline_offset) == (2.0, -3.0)
    assert record.stage == "IMPORTED" and record.job_state == "FINISHED"
    assert "3 cameras" in " ".join(panel_of(record)["texts"])  # the sidebar tells it from a single-cam job

    take = gql(TAKE_QUERY, id=record.take_id)["getTake"]
    assert take["volume"]["id"] == record.volume_id
    assert [(s["deviceLabel"], s["file"]["id"]) for s in take["sources"]] == \
        [(c.label, c.file_id) for c in record.cameras]
    assert [j["id"] for j in _jobs_of(gql, record.take_id)] == [record.job_id]
    assert _volume_count(gql) == volumes_before + 1
    volume = scene.move_ai_multicam.volumes[-1]
    assert (volume.volume_id, volume.state, volume.labels) == (record.volume_id, "FINISHED", "cam01,cam02,cam03")

    # the skeleton is in step with the active strip: one key per frame it shows, from its first
    arm = bpy.data.objects[record.imported_object]
    first = reference.frame_final_start
    assert first == 37 + 4
    assert armature_keys(arm) == [float(f) for f in range(first, first + reference.frame_final_duration)]
    assert "did not report the offsets" in record.message

    # a second press on the same strips pays for nothing: refused, with the job it already has
    again = modal("MOVEAI_OT_capture_multicam")
    with pytest.raises(RuntimeError, match=f"already have multicam job {record.job_id}"):
        again.invoke()
    assert len(scene.move_ai.jobs) == 1 and [j["id"] for j in _jobs_of(gql, record.take_id)] == [record.job_id]
    _select_only(scene, strips, reference)

    # another clip window of the same strips: a new job, on the take and uploads it already has
    reference.frame_offset_end = 10
    assert bpy.ops.moveai.capture_multicam("EXEC_DEFAULT") == {"FINISHED"}
    trimmed = scene.move_ai.jobs[-1]
    assert trimmed.take_id == record.take_id and trimmed.job_id != record.job_id
    assert [c.file_id for c in trimmed.cameras] == [c.file_id for c in record.cameras]
    assert sorted(j["id"] for j in _jobs_of(gql, record.take_id)) == sorted([record.job_id, trimmed.job_id])

    # a later take of the same cameras (new strips, same Camera names) reuses the finished volume
    later = _cameras(scene, videos, ("cam03", "cam01", "cam02"), (200, 200, 201), channel=6)
    for strip, label in zip(later, ("cam03", "cam01", "cam02")):
        strip.move_ai.camera = label
    _select_only(scene, later, later[0])
    assert bpy.ops.moveai.capture_multicam("EXEC_DEFAULT") == {"FINISHED"}
    second = scene.move_ai.jobs[-1]
    assert second.volume_id == record.volume_id and second.take_id != record.take_id
    assert _volume_count(gql) == volumes_before + 1

    # the cameras moved: Forget Volume, and the next capture of those cameras calibrates again
    assert bpy.ops.moveai.forget_volume(volume_id=record.volume_id) == {"FINISHED"}
    assert not [v for v in scene.move_ai_multicam.volumes if v.volume_id == record.volume_id]
    moved = _cameras(scene, videos, ("cam01", "cam02", "cam03"), (300, 300, 300), channel=10)
    for strip, label in zip(moved, ("cam01", "cam02", "cam03")):
        strip.move_ai.camera = label
    _select_only(scene, moved, moved[0])
    assert bpy.ops.moveai.capture_multicam("EXEC_DEFAULT") == {"FINISHED"}
    assert scene.move_ai.jobs[-1].volume_id not in ("", record.volume_id)
    assert _volume_count(gql) == volumes_before + 2


def test_second_press_while_running_and_resume_after_reopen(scene, local_prefs, modal, videos, gql, tmp_path):
    strips = _cameras(scene, videos, ("cam01", "cam02"), (10, 11))
    _select_only(scene, strips, strips[0])
    first = modal("MOVEAI_OT_capture_multicam")
    assert first.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    tick_until(first, lambda: record.volume_id)
    second = modal("MOVEAI_OT_capture_multicam")
    with pytest.raises(RuntimeError, match="already running"):  # refused: one press, one job
        second.invoke()
    assert len(scene.move_ai.jobs) == 1
    tick_until(first, lambda: record.job_id)
    uid, job_id, take_id = record.uid, record.job_id, record.take_id
    ids = [record.volume_id, take_id, job_id] + [c.file_id for c in record.cameras]

    path = tmp_path / "multicam.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    data = path.read_bytes()
    assert all(i and i.encode() in data for i in ids)  # every id is in the file the moment it exists
    assert local_prefs.api_key.encode() not in data
    bpy.ops.wm.open_mainfile(filepath=str(path))  # load_post watches the saved job again
    watch = modal("MOVEAI_OT_poll_job")
    assert watch.run(timeout=60, job=uid) == {"FINISHED"}, watch.reports
    record = next(r for r in bpy.context.scene.move_ai.jobs if r.uid == uid)
    assert record.stage == "IMPORTED" and record.sync_offsets == "{}"
    assert [j["id"] for j in _jobs_of(gql, take_id)] == [job_id]


def test_a_capture_whose_job_was_refused_is_taken_up_again_on_its_take(scene, local_prefs, videos, gql,
                                                                        local_server):
    """Move refuses the first createMultiCamJob (a fault rule on the server): the take exists, no
    job. The next press uses that take and those uploads again: one take, one job."""
    strips = _cameras(scene, videos, ("cam02", "cam03"), (5, 5))
    _select_only(scene, strips, strips[1])
    add_fault(local_server, {"route": "graphql", "operation": "createMultiCamJob", "count": 1,
                             "errors": "Not enough credits for this job.", "errorType": "BadRequestException"})
    with pytest.raises(RuntimeError, match="Not enough credits"):
        bpy.ops.moveai.capture_multicam("EXEC_DEFAULT")
    record = scene.move_ai.jobs[-1]
    assert record.stage == "FAILED" and record.take_id and not record.job_id
    take_id, files = record.take_id, [c.file_id for c in record.cameras]
    assert bpy.ops.moveai.capture_multicam("EXEC_DEFAULT") == {"FINISHED"}
    again = scene.move_ai.jobs[-1]
    assert again.take_id == take_id and [c.file_id for c in again.cameras] == files
    assert [j["id"] for j in _jobs_of(gql, take_id)] == [again.job_id]


def _wav(path, seconds=1.0):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def _refused(modal, scene, gql, text: str) -> None:
    """The operator refuses with `text`, adds no record and sends nothing (no new volume)."""
    before = (len(scene.move_ai.jobs), _volume_count(gql))
    for press in (modal("MOVEAI_OT_capture_multicam").invoke,  # from the panel (modal)
                  lambda: bpy.ops.moveai.capture_multicam("EXEC_DEFAULT")):  # from a script (blocking)
        with pytest.raises(RuntimeError, match=text):
            press()
    assert (len(scene.move_ai.jobs), _volume_count(gql)) == before


def test_bad_selections_say_why_and_send_nothing(scene, local_prefs, modal, videos, gql, tmp_path):
    strips = _cameras(scene, videos, ("cam01", "cam02", "cam03"), (1, 1, 1))
    _select_only(scene, strips[:1], strips[0])
    _refused(modal, scene, gql, r"one movie strip per camera, 2 or more; 1 is selected")

    editor_strips = top_strips(scene.sequence_editor)
    try:
        other = editor_strips.new_sound("clap", str(_wav(tmp_path / "clap.wav")), channel=9, frame_start=1)
    except RuntimeError:  # the bpy 4.2 wheel has no audio: an image strip is no camera either
        image = bpy.data.images.new("clap", 8, 8)
        image.filepath_raw, image.file_format = str(tmp_path / "clap.png"), "PNG"
        image.save()
        other = editor_strips.new_image("clap", str(tmp_path / "clap.png"), channel=9, frame_start=1)
    _select_only(scene, [strips[0], other], strips[0])
    _refused(modal, scene, gql, r"1 is selected \('clap' \((sound|image)\) is not a camera\)")

    for strip in strips:  # calibration clips for three cameras, a take of two
        strip.move_ai.calibration = True
    takes = _cameras(scene, videos, ("cam01", "cam02"), (100, 100), channel=5)
    for strip, label in zip(takes, ("cam01", "cam02")):
        strip.move_ai.camera = label
    _select_only(scene, takes, takes[0])
    _refused(modal, scene, gql, r"Camera 'cam03' has a calibration clip but no strip is selected for it")

    for strip in strips:
        strip.move_ai.calibration = False
    calibrated = scene.move_ai_multicam.volumes.add()  # as a finished calibration of three cameras leaves it
    calibrated.volume_id, calibrated.labels, calibrated.state = "volume-earlier", "cam01,cam02,cam03", "FINISHED"
    _refused(modal, scene, gql, r"calibrated as cam01, cam02, cam03; no strip is selected for camera 'cam03'")
    scene.move_ai_multicam.volumes.remove(0)

    takes[1].frame_start = 400  # nowhere near the other: no frame shows one moment in both
    _refused(modal, scene, gql, "do not overlap on the timeline")


def test_failed_volume_shows_its_reason_and_is_not_reused(scene, local_prefs, modal, videos, gql, local_server):
    """The server marks this test's volumes FAILED (a trigger on its SQLite store, the state and
    metadata.failureReason the calibrating server writes), so no take or job may follow."""
    reason = "Camera 'b2' never sees the person; check that it films the capture area."
    db = sqlite3.connect(str(local_server.data_dir / "state.sqlite3"), timeout=10)
    db.execute("DROP TRIGGER IF EXISTS fail_b_volumes")
    quoted = "'" + reason.replace("'", "''") + "'"
    db.execute(f"""CREATE TRIGGER fail_b_volumes AFTER UPDATE OF state ON volumes
                   WHEN NEW.state = 'FINISHED' AND NEW.name LIKE '%b1, b2%'
                   BEGIN UPDATE volumes SET state = 'FAILED', percentage = 0,
                     metadata = json_set(NEW.metadata, '$.failureReason', {quoted})
                     WHERE id = NEW.id; END""")
    db.commit()
    try:
        strips = _cameras(scene, videos, ("b1", "b2"), (1, 3))
        _select_only(scene, strips, strips[0])
        driver = modal("MOVEAI_OT_capture_multicam")
        assert driver.run(timeout=30) == {"CANCELLED"}, driver.reports
        record = scene.move_ai.jobs[-1]
        assert record.stage == "FAILED" and not record.take_id and not record.job_id
        assert reason in record.message
        assert any(level == "ERROR" and reason in text for level, text in driver.reports)
        volume = scene.move_ai_multicam.volumes[-1]
        assert volume.state == "FAILED" and volume.failure_reason == reason
        assert reason in " ".join(_panel_text(scene))  # the panel shows why, under the volume
        # a press after the failure calibrates again (it fails again here); no take on a failed volume
        with pytest.raises(RuntimeError, match="never sees the person"):
            bpy.ops.moveai.capture_multicam("EXEC_DEFAULT")
        newer = scene.move_ai.jobs[-1]
        assert newer.volume_id != record.volume_id and not newer.take_id
        assert [c.file_id for c in newer.cameras] == [c.file_id for c in record.cameras]  # not uploaded again
    finally:
        db.execute("DROP TRIGGER IF EXISTS fail_b_volumes")
        db.commit()
        db.close()


def test_each_camera_set_up_gets_its_own_volume(scene, local_prefs, videos, gql):
    a = _cameras(scene, videos, ("a1", "a2"), (1, 1))
    b = _cameras(scene, videos, ("cam01", "cam02"), (50, 52), channel=5)
    _select_only(scene, a, a[0])
    assert bpy.ops.moveai.capture_multicam("EXEC_DEFAULT") == {"FINISHED"}
    on_a = scene.move_ai.jobs[-1]
    _select_only(scene, b, b[0])
    assert bpy.ops.moveai.capture_multicam("EXEC_DEFAULT") == {"FINISHED"}
    on_b = scene.move_ai.jobs[-1]
    assert on_a.volume_id != on_b.volume_id
    for record in (on_a, on_b):
        assert gql(TAKE_QUERY, id=record.take_id)["getTake"]["volume"]["id"] == record.volume_id
    assert {v.labels for v in scene.move_ai_multicam.volumes} == {"a1,a2", "cam01,cam02"}

    # Re-run on a multicam record: another multicam job on the same take, its cameras kept, with the
    # Actors option in force now sent as numberOfActors (a server that captures one person fails it)
    scene.move_ai.use_custom_options = True
    scene.move_ai.options.number_of_actors = 2
    try:
        bpy.ops.moveai.rerun_job("EXEC_DEFAULT", job=on_a.uid)
    except RuntimeError as exc:
        assert "actor" in str(exc).lower() or "person" in str(exc).lower(), exc
    rerun = scene.move_ai.jobs[-1]
    assert rerun.take_id == on_a.take_id and rerun.job_id and rerun.job_id != on_a.job_id
    assert rerun.stage == "IMPORTED" or (rerun.job_state == "FAILED" and rerun.failure_reason)
    inputs = gql("query ($id: ID!) { getJob(jobId: $id) { inputs { numberOfActors } } }", id=rerun.job_id)
    assert inputs["getJob"]["inputs"]["numberOfActors"] == 2 == rerun.options.number_of_actors
    assert [c.label for c in rerun.cameras] == ["a1", "a2"] and rerun.volume_id == on_a.volume_id
    assert sorted(j["id"] for j in _jobs_of(gql, on_a.take_id)) == sorted([on_a.job_id, rerun.job_id])


def test_sync_the_job_used_and_a_warning_when_it_disagrees(scene, local_prefs, modal, videos, gql):
    """The job's metadata carries the sync it used (`sync.offsets`, per device label, as the
    calibrating server writes it); here the test writes it with updateJob while the job runs."""
    strips = _cameras(scene, videos, ("cam01", "cam02", "cam03"), (20, 22, 20))
    _select_only(scene, strips, strips[0])
    driver = modal("MOVEAI_OT_capture_multicam")
    assert driver.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    tick_until(driver, lambda: record.job_id)
    sync = {"method": "motion cross-correlation", "reference": "cam01",
            "offsets": {"cam01": {"frames": 0, "seconds": 0.0}, "cam02": {"frames": -2, "seconds": -2 / 24},
                        "cam03": {"frames": 5, "seconds": 5 / 24}}}
    disagreement = ("The job's sync disagrees with the timeline: cam03 +5 frames, timeline +0. Check the "
                    "strips' positions (or the motion may be out of step).")
    gql("mutation ($id: String!, $m: AWSJSON) { updateJob(id: $id, metadata: $m) { id } }",
        id=record.job_id, m=json.dumps({"sync": sync}))
    while (result := driver.tick()) == {"PASS_THROUGH"}:
        time.sleep(0.02)
    assert result == {"FINISHED"} and record.stage == "IMPORTED", driver.reports
    assert ("WARNING", disagreement) in driver.reports
    assert json.loads(record.sync_offsets)["offsets"]["cam03"]["frames"] == 5
    text = " ".join(_panel_text(scene))
    assert "Offsets the job used (frames): cam01 +0, cam02 -2, cam03 +5." in text
    assert disagreement in text
    assert "cam02 -2" in text and "cam02 -2 frames" not in text  # the timeline's -2 agrees
    assert "Warning: The job's sync disagrees" in record.message


def test_capture_multicam_sits_in_the_move_ai_menu(addon):
    """F3 search finds operators that sit in a menu: Capture Multicam is in the Move AI submenu of the
    Sequencer's Strip menu."""
    calls: list = []
    layout = SimpleNamespace(separator=lambda: None, operator_context="",
                             menu=lambda idname, **kw: calls.append(("menu", idname)),
                             operator=lambda idname, **kw: calls.append(("operator", idname)))
    draws = bpy.types.SEQUENCER_MT_strip._dyn_ui_initialize()
    ours = [d for d in draws if getattr(d, "__module__", "").startswith(MODULE)]
    assert len(ours) == 1
    ours[0](SimpleNamespace(layout=layout), bpy.context)
    assert calls == [("menu", "MOVEAI_MT_menu")]
    calls.clear()
    addon.ui.menus.MOVEAI_MT_menu.draw(SimpleNamespace(layout=layout), bpy.context)
    assert ("operator", "moveai.capture_multicam") in calls


class _Recorder:
    """Stands in for a panel's layout: keeps every text it is asked to show."""

    def __init__(self, texts):
        self.texts = texts

    def label(self, text="", **_):
        self.texts.append(text)

    def progress(self, text="", **_):
        self.texts.append(text)

    def operator(self, idname, text="", **_):
        self.texts.append(text or idname)
        return SimpleNamespace()

    def prop(self, *_args, **_):
        pass

    def separator(self, *_args, **_):
        pass

    def box(self, *_args, **_):
        return self

    row = column = box


def _panel_text(sc) -> list[str]:
    texts: list[str] = []
    bpy.types.MOVEAI_PT_multicam_sequencer.draw(SimpleNamespace(layout=_Recorder(texts)), bpy.context)
    return texts
