# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input the add-on must refuse with words a user can act on, leaving the scene as it was
(cases beyond tests/test_addon_bad_inputs.py): damaged or disguised videos, strips that show no
frames, keys with whitespace inside, endpoints that are not URLs or would send the key in clear.
"""
from __future__ import annotations

import subprocess

import imageio_ffmpeg
import pytest

from addon_fixtures import (add_movie, addon, addon_zip, armature_keys, installed_addon, local_prefs,  # noqa: F401
                            modal, scene, snapshot)
from faults_fixtures import armatures, client_options, error_texts, fault_hits, faults  # noqa: F401
from media import make_video

import bpy  # noqa: E402


def refused(sc, operator: str = "capture") -> str:
    """The error a user reads when the operator refuses; the scene must not have changed."""
    before = snapshot(sc)
    with pytest.raises(RuntimeError) as caught:
        getattr(bpy.ops.moveai, operator)("EXEC_DEFAULT")
    assert snapshot(sc) == before, "a refused capture must change nothing"
    return str(caught.value)


def _ffmpeg(*args) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *map(str, args)],
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def odd_videos(tmp_path_factory, sample_video):
    """Files with a video's name that Blender cannot read as one."""
    folder = tmp_path_factory.mktemp("odd videos")
    whole = sample_video.read_bytes()
    (folder / "cut_header.mp4").write_bytes(whole[:len(whole) // 3])  # the moov index is at the end
    (folder / "notes.mp4").write_text("These are my notes, not a video.\n" * 50)
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-frames:v", "0", "-c:v", "libx264",
            folder / "no_frames.mp4")
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", folder / "sound_only.mp4")
    return folder


@pytest.mark.parametrize("name", ["cut_header.mp4", "notes.mp4", "no_frames.mp4", "sound_only.mp4"])
def test_files_that_are_not_readable_videos(scene, local_prefs, odd_videos, name):
    add_movie(scene, odd_videos / name)
    text = refused(scene)
    assert "could not read the video's frame rate" in text and "damaged" in text, text


def test_a_video_cut_short_after_its_header_imports_the_frames_that_are_there(
        scene, local_prefs, client_options, modal, tmp_path):
    """The index says 48 frames and half the data is there: Blender shows the strip as 48 frames,
    so the add-on cannot tell; Move (here the local server) reads what can be decoded and the
    skeleton starts on the strip's first frame, covering only the frames that exist."""
    whole = make_video(tmp_path / "whole.mp4", seconds=2.0, fps=24)
    _ffmpeg("-i", whole, "-c", "copy", "-movflags", "+faststart", tmp_path / "faststart.mp4")
    data = (tmp_path / "faststart.mp4").read_bytes()
    (tmp_path / "half.mp4").write_bytes(data[:len(data) // 2])
    strip = add_movie(scene, tmp_path / "half.mp4")
    assert strip.frame_final_duration == 48
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"FINISHED"}, capture.reports
    record = scene.move_ai.jobs[-1]
    keys = armature_keys(bpy.data.objects[record.imported_object])
    assert keys[0] == strip.frame_final_start and 0 < len(keys) < 48
    assert keys == [float(f) for f in range(strip.frame_final_start, strip.frame_final_start + len(keys))]


@pytest.mark.parametrize("head, tail", [(48, 0), (0, 48), (30, 18), (30, 30)])
def test_a_trim_that_leaves_no_frames(scene, local_prefs, sample_video, head, tail):
    strip = add_movie(scene, sample_video, trim_start=head, trim_end=tail)  # the video has 48 frames
    assert strip.frame_final_duration <= 0
    assert "shows no frames; widen its trim" in refused(scene)


def test_a_one_frame_video_is_sent(scene, local_prefs, client_options, tmp_path):
    """The shortest video there is still makes a job (its clip window is one frame long)."""
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-frames:v", "1", "-pix_fmt", "yuv420p",
            "-c:v", "libx264", tmp_path / "one.mp4")
    strip = add_movie(scene, tmp_path / "one.mp4")
    assert strip.frame_final_duration == 1
    assert bpy.ops.moveai.upload_strip("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.clip_end - record.clip_start == pytest.approx(1 / 24)


@pytest.mark.parametrize("key", ["abc def-0123456789", "abc\ndef-0123456789", "abc\tdef-0123456789",
                                 "abc\u00a0def-0123456789"])
def test_keys_with_whitespace_inside_are_refused_without_being_shown(scene, local_prefs, sample_video,
                                                                     monkeypatch, key):
    monkeypatch.delenv("MOVE_API_KEY", raising=False)
    monkeypatch.delenv("MOVE_LOCAL_API_KEY", raising=False)
    local_prefs.api_key = key
    add_movie(scene, sample_video)
    text = refused(scene)
    assert "spaces or line breaks" in text and "Copy it again" in text, text
    assert "abc" not in text and "def-0123456789" not in text


def test_a_key_pasted_with_a_line_break_around_it_works(scene, local_prefs, sample_video, monkeypatch):
    monkeypatch.delenv("MOVE_API_KEY", raising=False)
    monkeypatch.delenv("MOVE_LOCAL_API_KEY", raising=False)
    local_prefs.api_key = "\n " + local_prefs.api_key + "\r\n"
    add_movie(scene, sample_video)
    assert bpy.ops.moveai.upload_strip("EXEC_DEFAULT") == {"FINISHED"}


@pytest.mark.parametrize("endpoint, why", [
    ("not a url", "must be an http(s) URL"),
    ("api.move.ai/ugc/graphql", "must be an http(s) URL"),
    ("ftp://api.move.ai/ugc/graphql", "must be an http(s) URL"),
    ("http://127.0.0.1:99999/ugc/graphql", "is not a valid URL"),
    ("https://user:secret@api.move.ai/ugc/graphql", "must not hold a user name or password"),
    ("", "No Move endpoint is set"),
])
def test_endpoints_that_cannot_be_used(scene, local_prefs, sample_video, endpoint, why):
    local_prefs.endpoint = endpoint
    add_movie(scene, sample_video)
    text = refused(scene)
    assert why in text, text
    assert "secret" not in text or "user name or password" in text


@pytest.fixture
def online_access():
    """Blender's Allow Online Access turned on for the test (the bpy module starts with it off)."""
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = True
    assert bpy.app.online_access
    yield
    system.use_online_access = before


@pytest.mark.parametrize("endpoint", ["http://example.com/ugc/graphql", "http://10.0.0.5:8765/ugc/graphql",
                                      "http://[2001:db8::1]/ugc/graphql"])
def test_plain_http_to_another_machine_is_refused(scene, local_prefs, sample_video, online_access, endpoint):
    """Even with online access on: the key would travel unencrypted."""
    local_prefs.endpoint = endpoint
    add_movie(scene, sample_video)
    text = refused(scene)
    assert "plain http to another machine" in text and "Use https" in text, text
    with pytest.raises(RuntimeError, match="plain http to another machine"):
        bpy.ops.moveai.test_connection("EXEC_DEFAULT")


def test_plain_http_to_localhost_by_name_is_allowed(scene, local_prefs, local_server, sample_video):
    local_prefs.endpoint = local_server.endpoint.replace("127.0.0.1", "localhost")
    local_prefs.api_key = local_server.api_key  # another name is another endpoint: its own key
    add_movie(scene, sample_video)
    assert bpy.ops.moveai.upload_strip("EXEC_DEFAULT") == {"FINISHED"}
