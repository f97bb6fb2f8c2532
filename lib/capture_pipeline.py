# SPDX-License-Identifier: GPL-3.0-or-later
"""The capture pipeline as worker steps: upload, take, job, watch the job, download its outputs.

Each step reads what earlier steps (or the saved .blend) gave it from `context.values` and returns
the new facts, which the main thread stores in the scene at once. Nothing here imports bpy.
"""
from __future__ import annotations

from pathlib import Path

import requests

from .errors import JobFailed, MoveError, OutputMissing
from .models import Job, Volume
from .polling import PollSchedule, poll
from .tasks import Step, StepContext

# Output types the add-on asks for, by import format; the overlay video is optional.
OUTPUT_TYPES = {"fbx": "MAIN_FBX", "blend": "MAIN_BLEND"}
OVERLAY_OUTPUT = "RENDER_OVERLAY_VIDEO"
OVERLAY_NAME = "render_overlay_mp4"


class DownloadFolderProblem(MoveError):
    """The download folder cannot take an output (disk full, read-only, not a folder)."""


def wanted_outputs(import_format: str, overlay: bool) -> list[str]:
    """OutputType names to request: the import format's file, plus the overlay video when asked."""
    outputs = [OUTPUT_TYPES[import_format]]
    if overlay:
        outputs.append(OVERLAY_OUTPUT)
    return outputs


def upload_step(context: StepContext) -> dict:
    client, path = context.values["client"], Path(context.values["video_path"])
    context.progress(0.0, f"Uploading {path.name}")

    def on_progress(sent: int, total: int) -> None:
        context.progress(sent / total if total else None, f"Uploading {path.name}")

    file = client.files.upload(path, progress=on_progress, cancel=context.cancel)
    return {"file_id": file.id}


def take_step(context: StepContext) -> dict:
    values = context.values
    context.progress(None, "Creating the take")
    fmt = Path(values["video_path"]).suffix.lstrip(".").upper() or "MP4"
    take = values["client"].takes.create_singlecam(
        sources=[{"deviceLabel": "cam01", "fileId": values["file_id"], "format": fmt}],
        name=values.get("name"), cancel=context.cancel)
    return {"take_id": take.id}


def job_step(context: StepContext) -> dict:
    values = context.values
    context.progress(None, "Creating the job")
    job = values["client"].jobs.create_singlecam(
        values["take_id"], options=values.get("options"), clip_window=values.get("clip_window"),
        outputs=values.get("outputs"), name=values.get("name"), metadata=values.get("metadata"),
        cancel=context.cancel)
    return {"job_id": job.id, "job_state": job.state or "NOT_STARTED", "percentage": job.percentage or 0}


def store_changes(context: StepContext, state_key: str, percentage_key: str, text: str):
    """A poll's on_update: a job's or volume's state and percentage handed to the main thread (and
    shown as progress, `text` with {state}) when they change, not on every answer."""
    last: tuple | None = None

    def on_update(item: Job | Volume) -> None:
        nonlocal last
        now = (item.state, item.percentage)
        if now != last:
            last = now
            context.store(**{state_key: item.state, percentage_key: item.percentage or 0})
            context.progress((item.percentage or 0) / 100, text.format(state=item.state.replace("_", " ").lower()))
    return on_update


def watch_step(context: StepContext) -> dict:
    """getJob until FAILED, or FINISHED with every output link; each change is stored at once."""
    values = context.values
    client, job_id = values["client"], values["job_id"]
    schedule = PollSchedule(client.endpoint)
    on_update = store_changes(context, "job_state", "percentage", "Job {state}")
    job = poll(lambda: client.jobs.retrieve(job_id, cancel=context.cancel),
               lambda job: job.is_failed or job.outputs_ready(),
               wait=lambda job: schedule.next_wait(job.state), on_update=on_update, cancel=context.cancel)
    if job.is_failed:
        raise JobFailed(job.failure_reason or "Move reported the job as failed without a reason.")
    return {"job_state": job.state, "percentage": 100}


def download_step(context: StepContext) -> dict:
    """Download the import format's output, and the overlay video when it was asked for."""
    values = context.values
    client, job_id = values["client"], values["job_id"]
    job = client.jobs.retrieve(job_id, cancel=context.cancel)
    dest = Path(values["download_dir"])
    fmt = values["import_format"]
    result: dict = {}
    names = [fmt] + ([OVERLAY_NAME] if values.get("overlay") else [])
    for name in names:
        if job.output(name) is None:
            have = ", ".join(o.name for o in job.outputs) or "none"
            if name == fmt:
                raise OutputMissing(f"Job {job_id} has no {name!r} output (it has: {have}). "
                                    "Re-run it with that import format.")
            continue  # a missing overlay is not worth failing the import for

        def on_progress(done: int, total: int, n: str = name) -> None:
            context.progress(done / total if total else None, f"Downloading {n}")

        try:
            path = client.jobs.download(job, name, dest, progress=on_progress, cancel=context.cancel)
        except OSError as exc:
            if isinstance(exc, requests.RequestException):  # (an IOError too) the network, not the disk
                raise
            raise DownloadFolderProblem(
                f"Could not save the {name} output of job {job_id} in {dest}: {exc.strerror or exc}. "
                "Free some space or make the folder writable, then press Import (the job is kept at "
                "Move).", operation="download") from None
        key = "output_path" if name == fmt else "overlay_path"
        result[key] = str(path)
        context.store(**{key: str(path)})
    return result


CAPTURE_STEPS: list[Step] = [("upload", upload_step), ("take", take_step), ("job", job_step),
                             ("watch", watch_step), ("download", download_step)]


def steps_from(first: str, last: str = "download") -> list[Step]:
    """The flow's steps from `first` to `last` inclusive, e.g. ("job", "download") for a re-run."""
    names = [n for n, _ in CAPTURE_STEPS]
    return CAPTURE_STEPS[names.index(first):names.index(last) + 1]
