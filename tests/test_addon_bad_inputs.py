# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input gets a clear report and leaves the scene as it was (real Blender, real local server).

Operators run with 'EXEC_DEFAULT': Blender turns an ERROR report into the RuntimeError that
bpy.ops raises, so the text asserted is the text a user reads.
"""
from __future__ import annotations

import shutil
import socket
import subprocess

import imageio_ffmpeg
import pytest
import requests

from addon_fixtures import (add_movie, addon, addon_zip, installed_addon, local_prefs, scene,  # noqa: F401
                            snapshot, strips_of, top_strips)
from faults_fixtures import client_options  # noqa: F401
from media import make_video

import bpy  # noqa: E402


def capture_error(sc, operator="capture") -> str:
    """The error a refused capture reports; the scene unchanged but for, when the attempt got as far
    as the network, one failed job record that keeps the reason (shown in the panel's list)."""
    before = snapshot(sc)
    with pytest.raises(RuntimeError) as caught:
        getattr(bpy.ops.moveai, operator)("EXEC_DEFAULT")
    after = snapshot(sc)
    jobs_before, jobs_after = before.pop("jobs"), after.pop("jobs")
    assert after == before, "a refused capture must change nothing"
    if jobs_after != jobs_before:
        assert jobs_after == jobs_before + 1
        record = sc.move_ai.jobs[-1]
        assert record.stage == "FAILED" and record.message and record.message in str(caught.value)
        assert not record.job_id
    return str(caught.value)


def test_no_sequence_editor(scene, local_prefs):
    # A new scene rather than sequence_editor_clear(): in the 5.0.1 module, clearing it after a frame
    # rate change crashes Blender's next depsgraph update (seq::eval_strips on the freed editor).
    empty = bpy.data.scenes.new("No strips")
    bpy.context.window.scene = empty
    assert empty.sequence_editor is None
    assert "has no Video Sequencer strips" in capture_error(empty)


def test_no_active_strip(scene, local_prefs, sample_video):
    add_movie(scene, sample_video)
    scene.sequence_editor.active_strip = None
    assert "No active strip" in capture_error(scene)


def _strips(sc):
    return top_strips(sc.sequence_editor or sc.sequence_editor_create())


def _ffmpeg(*args):
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *map(str, args)], check=True)


@pytest.mark.parametrize("kind", ["SOUND", "IMAGE", "SCENE", "META"])
def test_strips_that_are_not_movies(scene, local_prefs, tmp_path, kind):
    strips = _strips(scene)
    if kind == "SOUND":
        _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", tmp_path / "tone.wav")
        try:
            strip = strips.new_sound("tone", str(tmp_path / "tone.wav"), channel=1, frame_start=1)
        except RuntimeError as exc:  # the 4.2 bpy wheel is built without audio
            pytest.skip(f"this Blender cannot make sound strips: {exc}")
    elif kind == "IMAGE":
        _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", tmp_path / "still.png")
        strip = strips.new_image("still", str(tmp_path / "still.png"), channel=1, frame_start=1)
    elif kind == "SCENE":
        strip = strips.new_scene("shot", bpy.data.scenes.new("Other"), channel=1, frame_start=1)
    else:
        strip = strips.new_meta("group", channel=1, frame_start=1)
    scene.sequence_editor.active_strip = strip
    text = capture_error(scene)
    article = "an" if kind == "IMAGE" else "a"
    assert f"is {article} {kind.lower()} strip" in text and "Move needs a movie strip" in text


def test_missing_and_empty_video(scene, local_prefs, sample_video, tmp_path):
    strip = add_movie(scene, shutil.copy(sample_video, tmp_path / "gone.mp4"))
    (tmp_path / "gone.mp4").unlink()
    assert "is missing" in capture_error(scene) and "Find Missing Files" in capture_error(scene)
    (tmp_path / "empty.mp4").write_bytes(b"")
    strip.filepath = str(tmp_path / "empty.mp4")
    assert "is empty (0 bytes)" in capture_error(scene)


def test_relative_path_in_a_never_saved_file(scene, local_prefs, sample_video):
    strip = add_movie(scene, sample_video)
    strip.filepath = "//sample.mp4"
    assert bpy.data.filepath == ""
    assert "was never saved" in capture_error(scene)


def test_relative_and_unicode_paths_are_resolved(scene, local_prefs, tmp_path):
    """A // path in a saved file is sent from where it points; a non-ASCII name uploads fine."""
    folder = tmp_path / "prise de vue ü"
    video = make_video(folder / "vidéo_日本.mp4", seconds=1.0, fps=24)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "shot.blend"))
    strip = add_movie(bpy.context.scene, video)
    strip.filepath = "//vidéo_日本.mp4"
    assert bpy.ops.moveai.upload_strip("EXEC_DEFAULT") == {"FINISHED"}
    record = bpy.context.scene.move_ai.jobs[-1]
    assert record.file_id.startswith("file-") and record.video_path == str(video)


def test_no_api_key(scene, local_prefs, sample_video, monkeypatch):
    monkeypatch.delenv("MOVE_API_KEY", raising=False)
    monkeypatch.delenv("MOVE_LOCAL_API_KEY", raising=False)
    local_prefs.api_key = ""
    add_movie(scene, sample_video)
    assert "No Move API key is set" in capture_error(scene)


def test_wrong_api_key(scene, local_prefs, sample_video):
    local_prefs.api_key = "wrong-key-0000000000"
    add_movie(scene, sample_video)
    text = capture_error(scene)
    assert "key" in text.lower() and "wrong-key-0000000000" not in text


def test_env_key_overrides_preferences(scene, local_prefs, sample_video, monkeypatch):
    monkeypatch.setenv("MOVE_LOCAL_API_KEY", local_prefs.api_key)  # for a server on this machine only
    local_prefs.api_key = "wrong-key-0000000000"
    add_movie(scene, sample_video)
    assert bpy.ops.moveai.upload_strip("EXEC_DEFAULT") == {"FINISHED"}


def test_server_unreachable(scene, local_prefs, client_options, sample_video):
    # client_options: the real retry rule with short pauses; the default backoff waits out ~10 s here
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    local_prefs.endpoint = f"http://127.0.0.1:{port}/ugc/graphql"
    local_prefs.api_key = "any-key-0123456789"  # each endpoint has its own key
    add_movie(scene, sample_video)
    text = capture_error(scene)
    assert f"127.0.0.1:{port}" in text and "could not be made" in text, text


def test_online_access_off_refuses_the_cloud(scene, local_prefs, sample_video):
    assert not bpy.app.online_access  # the bpy module starts with online access off
    local_prefs.endpoint = "https://api.move.ai/ugc/graphql"
    local_prefs.api_key = "cloud-key-0123456789"  # each endpoint has its own key
    add_movie(scene, sample_video)
    text = capture_error(scene)
    assert "Online access is turned off" in text and "Allow Online Access" in text


def _fault(server, rule):
    r = requests.post(server.base_url + "/_faults", json=rule, headers={"Authorization": server.api_key},
                      timeout=10)
    r.raise_for_status()


def test_job_failed(scene, local_prefs, local_server, sample_video):
    add_movie(scene, sample_video)
    objects = sorted(o.name for o in bpy.data.objects)
    _fault(local_server, {"fail_next_job": "Not enough light in the video."})
    with pytest.raises(RuntimeError, match="Not enough light in the video"):
        bpy.ops.moveai.capture("EXEC_DEFAULT")
    record = scene.move_ai.jobs[-1]  # the job exists on the server: its record stays, marked FAILED
    assert record.job_state == "FAILED" and record.failure_reason == "Not enough light in the video."
    assert sorted(o.name for o in bpy.data.objects) == objects
    with pytest.raises(RuntimeError, match="failed"):
        bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid)


def test_output_missing_from_the_job(scene, local_prefs, sample_video):
    """A finished job without the output the user now wants to import (the format was changed)."""
    local_prefs.import_format = "blend"
    add_movie(scene, sample_video)
    # step by step, as from the Python console: no import yet
    for step in ("upload_strip", "create_take", "create_job", "poll_job"):
        assert getattr(bpy.ops.moveai, step)("EXEC_DEFAULT") == {"FINISHED"}, step
    record = scene.move_ai.jobs[-1]
    assert record.stage == "DOWNLOADED" and record.output_path.endswith(".blend")
    record.import_format, record.output_path = "fbx", ""
    before = snapshot(scene)
    with pytest.raises(RuntimeError, match=r"has no 'fbx' output \(it has: blend\)"):
        bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid)
    assert snapshot(scene) == before
    assert not strips_of(scene)[1:]
