# SPDX-License-Identifier: GPL-3.0-or-later
"""Background work: jobs run FIFO through the processor; volumes are calibrated in their own thread.

A job moves NOT_STARTED -> RUNNING (percentageComplete from the processor's progress) -> FINISHED
with its output files registered, or FAILED with metadata.failureReason. A stop leaves a running job
RUNNING in the database; the next start puts it back in the queue, so it is re-run, never lost.
A processor that can calibrate (`calibrate_volume`, the mediapipe one) computes each volume's cameras
and serves multicam jobs from them (`process_multicam`); with any other processor a volume goes
RUNNING then FINISHED about half a second later, its metadata saying nothing was calibrated.
Each job state change is handed to `on_event` (the webhook dispatcher), which must not block.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from .faults import FaultBook
from .output_types import OUTPUTS
from .processor_registry import ProcessorSlot, ProcessorUnavailable
from .processors.base import JobSpec, ProcessingFailed
from .server_log import log
from .store import Store
from .video import job_frame_count

INTERNAL_FAILURE = "The local server could not process this job (internal error); see the server log."
# A job that was RUNNING when the server died is tried again at the next start, but not forever: one
# whose processing kills the server (a crash in native code, the memory killer) would otherwise take
# it down at every start.
MAX_JOB_ATTEMPTS = 3
CRASHED_FAILURE = (f"The local server stopped unexpectedly {MAX_JOB_ATTEMPTS} times while processing this job, "
                   "so it was not tried again; see the server log. Try a shorter clip window or another video.")
VOLUME_SECONDS = 0.5


class JobInterrupted(Exception):
    """Raised from the progress callback when the server stops: the job stays RUNNING and resumes later."""


def _md5_etag(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return f'"{digest.hexdigest()}"'


class JobRunner:
    def __init__(self, store: Store, processor: ProcessorSlot, faults: FaultBook, outputs_root: Path,
                 workers: int = 1, max_job_frames: int | None = None,
                 on_event: Callable[[str, dict], None] | None = None):
        self.store = store
        self.max_job_frames = max_job_frames
        self.on_event = on_event or (lambda state, job: None)
        self.processor = processor
        self.faults = faults
        self.outputs_root = outputs_root
        self.workers = workers
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        # Import the processor now, off the request path, so the first job creation is not slowed by it.
        self._threads.append(threading.Thread(target=self.processor.supported_outputs, name="processor-load",
                                              daemon=True))
        for i in range(self.workers):
            self._threads.append(threading.Thread(target=self._work, name=f"job-worker-{i + 1}", daemon=True))
        self._threads.append(threading.Thread(target=self._calibrate_volumes, name="volume-worker", daemon=True))
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask workers to stop; True if all ended within the timeout."""
        self._stopping.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def _sleep(self, seconds: float) -> None:
        with self._wake:
            if not self._stopping.is_set():
                self._wake.wait(seconds)

    # -- jobs ----------------------------------------------------------------------------------
    def _work(self) -> None:
        while not self._stopping.is_set():
            job = self.store.claim_next_job()
            if job is None:
                self._sleep(1.0)
                continue
            try:
                self._run(job)
            except Exception:  # noqa: BLE001 - keep the worker alive whatever one job does
                traceback.print_exc(file=sys.stderr)

    def _run(self, job: dict) -> None:
        started = time.monotonic()
        log(f"job {job['id']} RUNNING (attempt {job['attempts']})")
        self._emit(job["id"], "RUNNING")
        reason = self.faults.take_job_failure()
        if reason is not None:
            self.store.fail_job(job, reason)
            log(f"job {job['id']} FAILED (injected): {reason}")
            self._emit(job["id"], "FAILED")
            return
        take = self.store.get_take(job["client_id"], job["take_id"])
        source = json.loads(take["sources"])[0]  # multicam jobs are processed from the first camera
        video = self.store.get_file(job["client_id"], source["fileId"])
        out_dir = self.outputs_root / job["id"]
        if out_dir.exists():
            shutil.rmtree(out_dir)  # a resumed job starts clean
        out_dir.mkdir(parents=True)
        clip = json.loads(job["clip_window"]) if job["clip_window"] else None
        spec = JobSpec(
            job_id=job["id"], video_path=Path(video["path"]), outputs=json.loads(job["outputs_requested"]),
            clip_window=(clip["startTime"], clip["endTime"]) if clip else None,
            options=json.loads(job["options"]), number_of_actors=job["number_of_actors"],
        )
        too_long = self._too_long(spec)
        if too_long:
            self.store.fail_job(job, too_long)
            log(f"job {job['id']} FAILED: {too_long}")
            return
        try:
            result = self._process(job, take, spec, out_dir)
            outputs = self._collect_outputs(spec, result.files, out_dir)
        except Exception as exc:  # noqa: BLE001 - every failure must end as a readable job state
            if self._stopping.is_set():
                log(f"job {job['id']} interrupted by the stop; it resumes at the next start")
                return
            if isinstance(exc, ProcessingFailed):
                reason = str(exc) or "Processing failed."
            elif isinstance(exc, ProcessorUnavailable):
                log(str(exc))
                reason = f"The local server's processor {self.processor.name!r} is not available; see the server log."
            else:
                traceback.print_exc(file=sys.stderr)
                reason = INTERNAL_FAILURE
            self.store.fail_job(job, reason)
            log(f"job {job['id']} FAILED after {time.monotonic() - started:.1f}s: {reason}")
            self._emit(job["id"], "FAILED")
            return
        self.store.finish_job(job, outputs, result.metadata or {})
        log(f"job {job['id']} FINISHED in {time.monotonic() - started:.1f}s ({len(outputs)} outputs)")
        self._emit(job["id"], "FINISHED")

    def _emit(self, job_id: str, state: str) -> None:
        try:
            self.on_event(state, self.store.get_job_any(job_id))
        except Exception:  # noqa: BLE001 - a webhook problem never stops a job
            traceback.print_exc(file=sys.stderr)

    def _process(self, job: dict, take: dict, spec: JobSpec, out_dir: Path):
        processor = self.processor.get()
        progress = self._progress_callback(job["id"])
        if job["job_type"] == "MULTI_CAM" and hasattr(processor, "process_multicam"):
            return processor.process_multicam(self._multicam_spec(job, take, spec), out_dir, progress)
        return processor.process(spec, out_dir, progress)

    def _multicam_spec(self, job: dict, take: dict, spec: JobSpec):
        from .multicam.take import MulticamSpec

        volume = self.store.get_volume(job["client_id"], take["volume_id"]) or {}
        result = self.store.volume_result(take["volume_id"]) or {}
        cameras = json.loads(result.get("server_metadata") or "{}").get("cameras", {})
        sources = [(s["deviceLabel"], Path(self.store.get_file(job["client_id"], s["fileId"])["path"]))
                   for s in json.loads(take["sources"])]
        return MulticamSpec(
            job_id=job["id"], sources=sources, volume_id=take["volume_id"], volume_state=volume.get("state", "missing"),
            volume_cameras=cameras, outputs=spec.outputs, clip_window=spec.clip_window, options=spec.options,
            number_of_actors=spec.number_of_actors,
            sync_method=json.loads(take["sync_method"]) if take["sync_method"] else None,
            cache_dir=self.outputs_root.parent / "keypoints")

    def _too_long(self, spec: JobSpec) -> str | None:
        """The failure reason for a job past --max-job-frames, else None."""
        if self.max_job_frames is None:
            return None
        frames = job_frame_count(spec.video_path, spec.clip_window)
        if frames is None or frames <= self.max_job_frames:
            return None
        return (f"This job covers {frames} video frames; this local server processes at most "
                f"{self.max_job_frames} per job (--max-job-frames). Choose a shorter clip window or trim the video.")

    def _progress_callback(self, job_id: str):
        last = [0]

        def progress(percentage: int) -> None:
            if self._stopping.is_set():
                raise JobInterrupted("the local server is stopping")
            value = max(last[0], min(99, int(percentage)))  # 100 only once the outputs are registered
            if value != last[0]:
                last[0] = value
                self.store.set_job_percentage(job_id, value)

        return progress

    @staticmethod
    def _collect_outputs(spec: JobSpec, files: dict[str, Path], out_dir: Path) -> list[tuple]:
        """(key, format, type, path, size, etag) for each requested output; a missing one fails the job."""
        rows = []
        root = out_dir.resolve()
        for output_type in spec.outputs:
            path = files.get(output_type)
            if path is None:
                raise ProcessingFailed(f"The processor wrote no {output_type} output.")
            path = Path(path).resolve()
            if not path.is_file() or not path.is_relative_to(root):
                raise RuntimeError(f"processor output {output_type} is not a file under {root}: {path}")
            key, file_type = OUTPUTS[output_type]
            rows.append((key, key, file_type, str(path), path.stat().st_size, _md5_etag(path)))
        return rows

    # -- volumes -------------------------------------------------------------------------------
    def _calibrate_volumes(self) -> None:
        began: dict[str, float] = {}
        while not self._stopping.is_set():
            volumes = self.store.unfinished_volumes()
            processor = None
            if volumes:  # only then: a processor that fails to load is retried on each look
                try:
                    processor = self.processor.get()
                except ProcessorUnavailable as exc:
                    log(str(exc))
                    for volume in volumes:
                        self.store.fail_volume(volume, f"The local server's processor {self.processor.name!r} is "
                                                       "not available; see the server log.")
                    volumes = []
            for volume in volumes:
                if self._stopping.is_set():
                    break
                if hasattr(processor, "calibrate_volume"):
                    self._calibrate(processor, volume)
                elif volume["state"] == "NOT_STARTED" or volume["id"] not in began:
                    self.store.set_volume_state(volume["id"], "RUNNING", 50)
                    began[volume["id"]] = time.monotonic()
                elif time.monotonic() - began[volume["id"]] >= VOLUME_SECONDS:
                    note = {"calibration": {"synthetic": True, "note": f"the {self.processor.name} processor "
                                            "calibrates nothing; use --processor mediapipe for cameras"}}
                    self.store.finish_volume(volume, note, None)
                    began.pop(volume["id"], None)
            self._sleep(0.2)

    def _calibrate(self, processor, volume: dict) -> None:
        """Calibrate one volume from its clips; a stop leaves it RUNNING, to be redone at the next start."""
        started = time.monotonic()
        self.store.set_volume_state(volume["id"], "RUNNING", 0)
        log(f"volume {volume['id']} RUNNING")
        last = [0]

        def progress(percentage: int) -> None:
            if self._stopping.is_set():
                raise JobInterrupted("the local server is stopping")
            value = max(last[0], min(99, int(percentage)))
            if value != last[0]:
                last[0] = value
                self.store.set_volume_state(volume["id"], "RUNNING", value)

        sources = []
        for s in json.loads(volume["sources"]):
            row = self.store.get_file(volume["client_id"], s["fileId"])
            sources.append({"deviceLabel": s["deviceLabel"], "path": row["path"] if row else "",
                            "lens": (s.get("cameraSettings") or {}).get("lens")})
        clip = json.loads(volume["clip_window"]) if volume["clip_window"] else None
        out_dir = self.outputs_root / volume["id"]
        try:
            metadata, toml = processor.calibrate_volume(
                sources, volume["human_height"], (clip["startTime"], clip["endTime"]) if clip else None,
                json.loads(volume["sync_method"]) if volume["sync_method"] else None, out_dir,
                self.outputs_root.parent / "keypoints", progress)
        except Exception as exc:  # noqa: BLE001 - every failure must end as a readable volume state
            if self._stopping.is_set():
                log(f"volume {volume['id']} interrupted by the stop; it is calibrated again at the next start")
                return
            if isinstance(exc, ProcessingFailed):
                reason = str(exc)
            else:
                traceback.print_exc(file=sys.stderr)
                reason = "The local server could not calibrate this volume (internal error); see the server log."
            self.store.fail_volume(volume, reason)
            log(f"volume {volume['id']} FAILED after {time.monotonic() - started:.1f}s: {reason}")
            return
        toml = Path(toml)
        self.store.finish_volume(volume, metadata, (toml.suffix, str(toml), toml.stat().st_size, _md5_etag(toml)))
        log(f"volume {volume['id']} FINISHED in {time.monotonic() - started:.1f}s "
            f"(reprojection {metadata.get('reprojectionErrorPx')} px)")
