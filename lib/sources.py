# SPDX-License-Identifier: GPL-3.0-or-later
"""Turning what callers pass as sources, options and clip windows into the API's input shapes."""
from __future__ import annotations

from typing import Any

from .models import File, Source

SOURCE_FORMATS = {"MP4", "MOV", "AVI", "MOVE"}
_OPTION_NAMES = {"mocapModel": "mocap_model", "trackFingers": "track_fingers", "trackBall": "track_ball",
                 "floorPlane": "floor_plane", "trackJerseyNumbers": "track_jersey_numbers"}
MOCAP_MODELS = {"S1", "S2", "M1", "M2"}


def _pick(item: dict, camel: str, snake: str, default=None):
    return item.get(camel, item.get(snake, default))


def source_input(item: Any, index: int = 0) -> dict:
    """A SourceInput from a Source, a File (label cam01, cam02, ...) or a dict in either key style."""
    if isinstance(item, File):
        item = Source(device_label=f"cam{index + 1:02d}", file_id=item.id, format=item.type or "MP4")
    if isinstance(item, dict):
        lens = _pick(item, "cameraSettings", "camera_settings") or {}
        item = Source(device_label=_pick(item, "deviceLabel", "device_label", f"cam{index + 1:02d}"),
                      file_id=_pick(item, "fileId", "file_id", ""), format=str(item.get("format", "MP4")),
                      lens=item.get("lens") or (lens.get("lens") if isinstance(lens, dict) else None))
    if not isinstance(item, Source):
        raise TypeError("a source must be a Source, a File or a dict with deviceLabel, fileId and format")
    source = item.to_input()
    source["format"] = source["format"].lstrip(".").upper()
    if source["format"] not in SOURCE_FORMATS:
        raise ValueError(f"source format must be one of MP4, MOV, AVI, MOVE, not {item.format!r}")
    if not source["fileId"]:
        raise ValueError("a source needs the id of an uploaded file (fileId)")
    if not str(source["deviceLabel"]).strip():
        raise ValueError("a source needs a device label, e.g. 'cam01'")
    return source


def sources_input(sources) -> list[dict]:
    if not sources:
        raise ValueError("a take needs at least one source")
    return [source_input(s, i) for i, s in enumerate(sources)]


def options_input(options: dict | None) -> dict | None:
    """OptionsInput from camelCase or snake_case keys; the mocap model upper-cased."""
    if options is None:
        return None
    snake_to_camel = {v: k for k, v in _OPTION_NAMES.items()}
    result = {}
    for key, value in options.items():
        camel = key if key in _OPTION_NAMES else snake_to_camel.get(key)
        if camel is None:
            raise ValueError(f"unknown job option {key!r}; known: {', '.join(_OPTION_NAMES)}")
        if value is None:
            continue
        if camel == "mocapModel":
            value = str(value).upper()
            if value not in MOCAP_MODELS:
                raise ValueError(f"mocapModel must be one of {', '.join(sorted(MOCAP_MODELS))}")
        else:
            value = bool(value)
        result[camel] = value
    return result


def clip_window_input(window) -> dict | None:
    """ClipWindowInput from (start, end) or a dict (startTime/endTime or start_time/end_time), seconds."""
    if window is None:
        return None
    if isinstance(window, dict):
        start, end = _pick(window, "startTime", "start_time"), _pick(window, "endTime", "end_time")
    else:
        start, end = window
    start, end = float(start), float(end)
    if start < 0 or end <= start:
        raise ValueError(f"clip window must have 0 <= start < end (seconds), got {start}..{end}")
    return {"startTime": start, "endTime": end}


def sync_method_input(sync) -> dict | None:
    """SyncMethodInput from a dict in either key style, e.g. {'clap_window': (1.0, 2.0)}."""
    if sync is None:
        return None
    clap = _pick(sync, "clapWindow", "clap_window")
    timecode = _pick(sync, "timecodeSync", "timecode_sync")
    result = {}
    if clap is not None:
        result["clapWindow"] = clip_window_input(clap)
    if timecode is not None:
        use = timecode.get("useTimecode", timecode.get("use_timecode")) if isinstance(timecode, dict) \
            else timecode
        result["timecodeSync"] = {"useTimecode": bool(use)}
    if not result:
        raise ValueError("sync method needs clapWindow or timecodeSync")
    return result


def outputs_input(outputs) -> list[str]:
    """OutputType names upper-cased; None -> [] which asks for the defaults."""
    return [str(o).strip().upper() for o in outputs or []]
