# SPDX-License-Identifier: GPL-3.0-or-later
"""The multicam capture as worker steps: upload every camera's clip at once, calibrate (or reuse) a
volume, create the multicam take and job, watch it, read the sync it used, download its outputs.

Each step reads `context.values` (filled from the .blend by the add-on) and hands every new id to
the main thread the moment it exists, as the single-camera pipeline does. Nothing here imports bpy.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .capture_pipeline import download_step, store_changes, watch_step
from .errors import MoveError
from .polling import PollSchedule, poll
from .tasks import Step, StepContext

MAX_PARALLEL_UPLOADS = 4  # one connection per camera, up to this many at once


class VolumeFailed(MoveError):
    """Move could not calibrate the cameras from the calibration clips; str() is its reason."""


def source_format(video_path: str) -> str:
    return Path(video_path).suffix.lstrip(".").upper() or "MP4"


def _pending_uploads(values: dict) -> list[tuple[str, str, str]]:
    """(group, label, path) of every clip without a file id: the take's cameras and, when a volume
    is to be calibrated from other clips, the calibration clips. A path used twice is sent once."""
    wanted = [("cameras", c["label"], c["video_path"]) for c in values["cameras"] if not c.get("file_id")]
    if not values.get("volume_id"):
        wanted += [("calibration", c["label"], c["video_path"]) for c in values.get("calibration") or []
                   if not c.get("file_id")]
    return wanted


def upload_cameras_step(context: StepContext) -> dict:
    """Upload each clip in its own thread; one progress figure over all the bytes."""
    values = context.values
    client = values["client"]
    wanted = _pending_uploads(values)
    by_path: dict[str, list[tuple[str, str]]] = {}
    for group, label, path in wanted:
        by_path.setdefault(path, []).append((group, label))
    sizes = {p: max(1, Path(p).stat().st_size) for p in by_path}
    sent = dict.fromkeys(by_path, 0)
    lock = threading.Lock()
    total = sum(sizes.values()) or 1
    text = f"Uploading {len(by_path)} camera clip{'s' if len(by_path) != 1 else ''}"
    context.progress(0.0, text)

    def upload(path: str) -> str:
        def on_progress(done: int, _total: int) -> None:
            with lock:
                sent[path] = min(done, sizes[path])
                fraction = sum(sent.values()) / total
            context.progress(fraction, text)

        file = client.files.upload(Path(path), progress=on_progress, cancel=context.cancel)
        with lock:  # stored at once: a failure of another upload does not lose this one
            files: dict[str, dict[str, str]] = {}
            for group, label in by_path[path]:
                files.setdefault(group, {})[label] = file.id
            context.store(uploaded=files)
        return file.id

    if by_path:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_UPLOADS, len(by_path)),
                                thread_name_prefix="move-ai-upload") as pool:
            futures = {path: pool.submit(upload, path) for path in by_path}
            errors = [f.exception() for f in futures.values() if f.exception() is not None]
        if errors:
            raise errors[0]
        for path, future in futures.items():
            for group, label in by_path[path]:
                for item in values["cameras"] if group == "cameras" else values.get("calibration") or []:
                    if item["label"] == label:
                        item["file_id"] = future.result()
    return {"file_id": values["cameras"][0]["file_id"]}


def _sources(items: list[dict]) -> list[dict]:
    return [{"deviceLabel": c["label"], "fileId": c["file_id"], "format": source_format(c["video_path"])}
            for c in items]


def calibration_sources(clips: list[dict], lenses: list[str], default_lens: str = "") -> list[dict]:
    """Sources for createVolumeWithHuman: each clip with its lens (its own, else the default, else the
    first Move lists); a lens Move does not list is refused before anything is created."""
    if not lenses:
        raise MoveError("Move listed no camera lenses (listCameraSettings), so no volume can be calibrated.")
    sources = []
    for clip, source in zip(clips, _sources(clips)):
        lens = clip.get("lens") or default_lens or lenses[0]
        if lens not in lenses:
            raise MoveError(f"Camera {clip['label']!r}: Move knows no lens {lens!r}. Use one of: "
                            f"{', '.join(lenses)} (Lens in the Multicam panel or the strip's sidebar).")
        sources.append({**source, "cameraSettings": {"lens": lens}})
    return sources


def volume_step(context: StepContext) -> dict:
    """Reuse the volume named in the values, else calibrate one from the calibration clips (or the
    take's own clips); wait until Move has calibrated it. A FAILED volume ends the capture with
    Move's reason, before any take or job exists."""
    values = context.values
    client = values["client"]
    volume_id = values.get("volume_id")
    if not volume_id:
        context.progress(None, "Creating the volume (camera calibration)")
        clips = values.get("calibration") or values["cameras"]
        lenses = client.volumes.camera_settings(cancel=context.cancel)
        volume = client.volumes.create_with_human(
            calibration_sources(clips, lenses, values.get("default_lens", "")),
            human_height=values["human_height"], area_type=values["area_type"],
            clip_window=values.get("volume_clip_window"), name=values.get("volume_name"),
            metadata=values.get("metadata"), cancel=context.cancel)
        volume_id = volume.id
        context.store(volume_id=volume_id, volume_state=volume.state or "NOT_STARTED", volume_percentage=0)
    schedule = PollSchedule(client.endpoint)
    on_update = store_changes(context, "volume_state", "volume_percentage", "Calibrating the cameras: {state}")
    volume = poll(lambda: client.volumes.retrieve(volume_id, cancel=context.cancel),
                  lambda v: v.is_terminal, wait=lambda v: schedule.next_wait(v.state), on_update=on_update,
                  cancel=context.cancel)
    if volume.state == "FAILED":
        reason = str(volume.metadata.get("failureReason") or "Move gave no reason.")
        context.store(volume_failure=reason)
        raise VolumeFailed(f"Move could not calibrate the cameras (volume {volume_id}): {reason}")
    return {"volume_id": volume_id, "volume_state": "FINISHED", "volume_percentage": 100}


def multicam_take_step(context: StepContext) -> dict:
    values = context.values
    if values.get("take_id"):  # an earlier press made it (then stopped or its job failed): not made twice
        return {"take_id": values["take_id"]}
    context.progress(None, "Creating the multicam take")
    take = values["client"].takes.create_multicam(
        values["volume_id"], _sources(values["cameras"]), name=values.get("name"),
        metadata=values.get("take_metadata"), cancel=context.cancel)
    return {"take_id": take.id}


def multicam_job_step(context: StepContext) -> dict:
    values = context.values
    context.progress(None, "Creating the multicam job")
    job = values["client"].jobs.create_multicam(
        values["take_id"], number_of_actors=values.get("number_of_actors", 1), options=values.get("options"),
        clip_window=values.get("clip_window"), outputs=values.get("outputs"), name=values.get("name"),
        metadata=values.get("metadata"), cancel=context.cancel)
    return {"job_id": job.id, "job_state": job.state or "NOT_STARTED", "percentage": job.percentage or 0}


def offsets_step(context: StepContext) -> dict:
    """The sync the job used, from its metadata (`sync`: method, reference, offsets per device label);
    "{}" when Move reported none."""
    job = context.values["client"].jobs.retrieve(context.values["job_id"], cancel=context.cancel)
    sync = job.metadata.get("sync")
    return {"sync_offsets": json.dumps(sync if isinstance(sync, dict) else {})}


MULTICAM_STEPS: list[Step] = [("upload", upload_cameras_step), ("volume", volume_step),
                              ("take", multicam_take_step), ("job", multicam_job_step),
                              ("watch", watch_step), ("offsets", offsets_step), ("download", download_step)]


def multicam_steps_from(first: str, last: str = "download") -> list[Step]:
    names = [n for n, _ in MULTICAM_STEPS]
    return MULTICAM_STEPS[names.index(first):names.index(last) + 1]
