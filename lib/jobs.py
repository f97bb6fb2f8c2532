# SPDX-License-Identifier: GPL-3.0-or-later
"""client.jobs: create, get, list, wait for and download Move jobs.

A job is never started twice: creation carries a clientRequestId in the job's metadata, and after
an answer that was lost the client looks for that id with listJobs(takeId) before creating again.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterator

from . import archives, polling, transfers
from .errors import MoveError, OutputMissing, WaitTimeout
from .filenames import output_filename
from .models import Job, Page
from .resource import Resource
from .sources import clip_window_input, options_input, outputs_input


def _job_id(job) -> str:
    return job.id if isinstance(job, Job) else str(job)


class Jobs(Resource[Job]):
    model = Job
    list_operation = "ListJobs"

    def create_singlecam(self, take_id: str, *, options: dict | None = None, clip_window=None,
                         outputs=None, name: str | None = None, metadata=None,
                         cancel: threading.Event | None = None) -> Job:
        """createSingleCamJob. options: mocapModel (S1/S2), trackFingers, trackBall, floorPlane
        (camelCase or snake_case); clip_window: (start, end) seconds; outputs: OutputType names,
        none meaning Move's defaults."""
        return self._create("CreateSingleCamJob", {
            "takeId": take_id, "options": options_input(options), "outputs": outputs_input(outputs),
            "clipWindow": clip_window_input(clip_window), "name": name, "metadata": metadata}, cancel,
            takeId=take_id)  # a lost job is looked for among its own take's jobs

    def create_multicam(self, take_id: str, *, number_of_actors: int = 1, rig: str | None = None,
                        options: dict | None = None, clip_window=None, outputs=None,
                        name: str | None = None, metadata=None,
                        cancel: threading.Event | None = None) -> Job:
        """createMultiCamJob on a multicam take (rig: see list_rigs(); Move's default is move_mo)."""
        if int(number_of_actors) < 1:
            raise ValueError("number_of_actors must be at least 1")
        return self._create("CreateMultiCamJob", {
            "takeId": take_id, "numberOfActors": int(number_of_actors), "rig": rig,
            "options": options_input(options), "outputs": outputs_input(outputs),
            "clipWindow": clip_window_input(clip_window), "name": name, "metadata": metadata}, cancel,
            takeId=take_id)  # a lost job is looked for among its own take's jobs

    def retrieve(self, id, *, cancel: threading.Event | None = None) -> Job:
        data = self._transport.execute("GetJob", {"jobId": _job_id(id)}, cancel=cancel)
        return Job.from_api(data["getJob"])

    def page(self, after: str | None = None, *, take_id: str | None = None, first: int | None = 50,
             sort_direction: str = "DESC", cancel: threading.Event | None = None) -> Page[Job]:
        """One page of jobs (of the account, or of one take), newest first by default; pass its
        `.after` back for the next page (None when there is no next)."""
        return self._page(self._list_variables(first, sort_direction, takeId=take_id), after, cancel)

    def pages(self, take_id: str | None = None, *, first: int | None = 50, sort_direction: str = "DESC",
              cancel: threading.Event | None = None) -> Iterator[Page[Job]]:
        return self._pages(self._list_variables(first, sort_direction, takeId=take_id), cancel)

    def list(self, take_id: str | None = None, *, first: int | None = 50, sort_direction: str = "DESC",
             limit: int | None = None, cancel: threading.Event | None = None) -> list[Job]:
        """All jobs (of one take when take_id is given), newest first by default, across pages."""
        return self._list(self._list_variables(first, sort_direction, takeId=take_id), limit, cancel)

    def list_rigs(self, *, cancel: threading.Event | None = None) -> list[str]:
        data = self._transport.execute("ListRigs", {}, cancel=cancel)
        return [r["name"] for r in (data.get("listRigs") or {}).get("items") or [] if r]

    def wait(self, id, *, interval: float = 15.0, timeout: float | None = None,
             on_update: Callable[[Job], None] | None = None,
             cancel: threading.Event | None = None) -> Job:
        """Poll getJob every `interval` s until FAILED, or FINISHED with every output URL set.
        Returns the Job (check .is_failed / .failure_reason); WaitTimeout after `timeout` s."""
        job_id = _job_id(id)

        def timed_out(job: Job) -> WaitTimeout:
            return WaitTimeout(f"Job {job_id} was still {job.state or 'pending'} after {timeout:g} s. "
                               "It keeps running on Move; check it again later.")

        return polling.poll(lambda: self.retrieve(job_id, cancel=cancel),
                            lambda job: job.is_failed or job.outputs_ready(), wait=lambda job: interval,
                            timeout=timeout, on_update=on_update, timed_out=timed_out, cancel=cancel)

    def download(self, job, name: str, dest_dir, *, progress: transfers.Progress | None = None,
                 cancel: threading.Event | None = None, max_bytes: int | None = None) -> Path:
        """Download the output whose key or format is `name` ("fbx"), or Move's OutputType name for
        it ("MAIN_FBX"), into dest_dir and return its path.

        What a download may be: the file is saved under the extension of the format asked for
        (output_types), never the server's; its name is made safe here; the transfer goes through
        `<name>.part` and stops past the size announced for it or `max_bytes` (the client's
        max_download_bytes, 4 GiB by default), deleting the .part (DownloadTooLarge)."""
        if not isinstance(job, Job):
            job = self.retrieve(job, cancel=cancel)
        output = job.output(name)
        if (output is None and not job.outputs_ready()) or (output and not output.file.presigned_url):
            job = self.retrieve(job.id, cancel=cancel)  # outputs may have been filled in since
            output = job.output(name)
        if output is None:
            names = ", ".join(o.name for o in job.outputs) or "none yet"
            raise OutputMissing(f"Job {job.id} has no {name!r} output (it has: {names}).")
        dest_dir = Path(dest_dir).expanduser()
        dest_dir.mkdir(parents=True, exist_ok=True)
        target = dest_dir / output_filename(job.id, job.name, name, output.file.type)
        if target.resolve().parent != dest_dir.resolve():  # belt and braces after sanitising
            raise MoveError(f"Refused to write outside {dest_dir}.")
        job_id, wanted = job.id, output.key or output.format or name

        def fresh_url() -> str:
            fresh = self.retrieve(job_id, cancel=cancel).output(wanted)
            if fresh is None or not fresh.file.presigned_url:
                raise MoveError(f"Move gave no new download link for the {wanted!r} output of job {job_id}.")
            return fresh.file.presigned_url

        url = output.file.presigned_url or fresh_url()
        transport = self._client.transport
        return transfers.download_file(url, target, refresh_url=fresh_url, session=transport.session,
                                       policy=transport.policy, progress=progress, cancel=cancel,
                                       timeout=self._client.transfer_timeout,
                                       max_bytes=max_bytes or self._client.max_download_bytes)

    def download_motion_data(self, job, dest_dir, *, progress: transfers.Progress | None = None,
                             cancel: threading.Event | None = None,
                             max_total_bytes: int = archives.MAX_TOTAL_BYTES,
                             max_members: int = archives.MAX_MEMBERS) -> list[Path]:
        """Download the motion-data zip (as download() does) and unpack it safely into a folder
        named after the zip inside dest_dir; returns the JSON files in it (actor_1.json, ...).
        Raises archives.UnsafeArchive, with nothing unpacked, for a zip that could write outside
        that folder, holds links, is damaged or unpacks past the size or member bounds."""
        zip_path = self.download(job, "motion_data", dest_dir, progress=progress, cancel=cancel)
        folder = archives.extract_zip(zip_path, zip_path.parent, max_total_bytes=max_total_bytes,
                                      max_members=max_members)
        return archives.json_files(folder)

    def download_all(self, job, dest_dir, *, progress: Callable[[str, int, int], None] | None = None,
                     cancel: threading.Event | None = None) -> dict[str, Path]:
        """Download every output of a finished job; returns {output name: path}."""
        if not isinstance(job, Job):
            job = self.retrieve(job, cancel=cancel)
        paths = {}
        for output in job.outputs:
            report = (lambda done, total, n=output.name: progress(n, done, total)) if progress else None
            paths[output.name] = self.download(job, output.key or output.format, dest_dir,
                                               progress=report, cancel=cancel)
        return paths
