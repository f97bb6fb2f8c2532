# SPDX-License-Identifier: GPL-3.0-or-later
"""Find again a job whose id never reached the .blend (stopped or closed while Move created it).

Every job the add-on creates carries its record's uid in the job's metadata; this worker step looks
for it among the take's jobs. No bpy here: it runs on the worker thread.
"""
from __future__ import annotations

from ..lib.errors import MoveError
from ..lib.tasks import StepContext

RECORD_KEY = "moveAiRecord"  # job metadata key: the uid of the record the job was made for
LOOKUP_LIMIT = 200  # the take's newest jobs searched


class JobNotFound(MoveError):
    """No job of the take carries the record's uid: none was created."""


def find_job_step(context: StepContext) -> dict:
    """The job made for this record (by its uid in the job's metadata), when its id is not known."""
    values = context.values
    if values.get("job_id"):
        return {}
    context.progress(None, "Looking for the job at Move")
    for job in values["client"].jobs.list(values["take_id"], limit=LOOKUP_LIMIT, cancel=context.cancel):
        if job.metadata.get(RECORD_KEY) == values["record_uid"]:
            return {"job_id": job.id, "job_state": job.state or "NOT_STARTED", "percentage": job.percentage or 0}
    raise JobNotFound(f"Move has no job for this capture of {values.get('name')!r} on take "
                      f"{values['take_id']}: it was stopped before the job was created. Use Re-run to "
                      "make one.")
