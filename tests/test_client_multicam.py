# SPDX-License-Identifier: GPL-3.0-or-later
"""The multicam worker steps (lib, no bpy) against the local server: every camera uploaded at once
under one progress figure, lenses checked before a volume is made, and the sync comparison."""
from __future__ import annotations

import json
import threading

import pytest

from lib import multicam_pipeline, multicam_sync, tasks
from lib.errors import MoveError
from media import make_video
from test_client_helpers import client, make_client  # noqa: F401


def _context(values: dict):
    messages: list = []
    return tasks.StepContext("upload", values, threading.Event(), messages.append), messages


def test_cameras_upload_at_once_under_one_progress_figure(client, tmp_path):
    paths = [make_video(tmp_path / f"cam{i}.mp4", seconds=1.0 + i, fps=24) for i in range(3)]
    values = {"client": client, "cameras": [{"label": f"cam{i}", "video_path": str(p), "file_id": ""}
                                            for i, p in enumerate(paths)]}
    threads: set[int] = set()
    upload = client.files.upload

    def noted_upload(*args, **kw):  # the real upload, noting which thread runs it
        threads.add(threading.get_ident())
        return upload(*args, **kw)

    client.files.upload = noted_upload
    context, messages = _context(values)
    result = multicam_pipeline.upload_cameras_step(context)
    assert len(threads) == 3  # one worker per camera
    fractions = [m.fraction for m in messages if isinstance(m, tasks.Progress)]
    assert fractions[0] == 0.0 and fractions[-1] == pytest.approx(1.0)
    assert {m.text for m in messages if isinstance(m, tasks.Progress)} == {"Uploading 3 camera clips"}
    stored = [m.values["uploaded"]["cameras"] for m in messages if isinstance(m, tasks.StepDone)]
    assert sorted(k for d in stored for k in d) == ["cam0", "cam1", "cam2"]  # each stored as it finished
    ids = [c["file_id"] for c in values["cameras"]]
    assert len(set(ids)) == 3 and result == {"file_id": ids[0]}


def test_a_lens_move_does_not_list_is_refused_with_the_choices():
    clips = [{"label": "left", "video_path": "/v/left.mp4", "file_id": "file-1", "lens": ""},
             {"label": "right", "video_path": "/v/right.MOV", "file_id": "file-2", "lens": "fisheye"}]
    with pytest.raises(MoveError, match="Camera 'right': Move knows no lens 'fisheye'. Use one of: a, b"):
        multicam_pipeline.calibration_sources(clips, ["a", "b"])
    clips[1]["lens"] = "b"
    assert multicam_pipeline.calibration_sources(clips, ["a", "b"], default_lens="") == [
        {"deviceLabel": "left", "fileId": "file-1", "format": "MP4", "cameraSettings": {"lens": "a"}},
        {"deviceLabel": "right", "fileId": "file-2", "format": "MOV", "cameraSettings": {"lens": "b"}}]


def test_sync_disagreements_beyond_a_frame():
    sync = json.dumps({"offsets": {"cam01": {"frames": 0, "seconds": 0.0},
                                   "cam02": {"frames": 3, "seconds": 0.1},  # 3 frames at 30 fps
                                   "cam03": {"frames": -1}, "cam04": 7}})
    reported = multicam_sync.reported_offsets(sync, {"cam01": 30, "cam02": 30, "cam03": 30, "cam04": 30})
    assert reported == pytest.approx({"cam01": 0, "cam02": 3, "cam03": -1, "cam04": 7})
    timeline = {"cam01": 0.0, "cam02": 2.0, "cam03": -3.0, "cam04": 7.0}
    off = multicam_sync.disagreements(timeline, reported)
    assert [(d.label, d.timeline, d.reported) for d in off] == [("cam03", -3.0, -1.0)]  # 1 frame apart is in step
    assert multicam_sync.reported_offsets("not json", {}) == {}
    assert multicam_sync.timeline_offset(37, 35) == 2.0  # the earlier strip is 2 frames ahead
