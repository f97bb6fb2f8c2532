# SPDX-License-Identifier: GPL-3.0-or-later
"""The user's Move library: the account's takes and jobs, newest first, a page at a time.

Listing runs in a worker (lib.tasks): `fetch_step` never touches bpy; the main thread applies what
it returns with `LIBRARY.apply()`. The list is kept at runtime for the endpoint it came from, never
in the .blend (another file, another user, the same account). Also here: a record for a job or take
of the library (made outside the add-on, by the web app or the SDK), placed on the active strip when
there is one, else at the current frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..lib import tasks
from ..lib.credentials import endpoint_identity
from . import settings
from .state import new_record

PAGE_SIZE = 20  # items per page and per list, for one press of Refresh or More


@dataclass
class LibraryItem:
    """One take or job as the library shows it."""
    id: str
    name: str = ""
    created: str = ""
    state: str = ""      # jobs: Move's state; takes: their type
    model: str = ""      # jobs: the mocap model they ran with
    take_id: str = ""    # jobs: their take

    @property
    def date(self) -> str:
        """'2025-01-31 14:02' from Move's ISO time; '' when unknown."""
        return self.created.replace("T", " ")[:16] if self.created else ""

    @property
    def title(self) -> str:
        return self.name or self.id


def take_item(take) -> LibraryItem:
    return LibraryItem(id=take.id, name=take.name or "", created=take.created or "",
                       state=(take.take_type or "").replace("_", " ").title())


def job_item(job) -> LibraryItem:
    return LibraryItem(id=job.id, name=job.name or "", created=job.created or "", state=job.state or "",
                       model=str(job.options.get("mocapModel") or ""), take_id=job.take_id or "")


def fetch_step(context: tasks.StepContext) -> dict:
    """Worker step: the next page of takes and of jobs (from the cursors given, None: the first)."""
    values = context.values
    client = values["client"]
    found: dict = {}
    if values.get("takes_wanted", True):
        page = client.takes.page(values.get("takes_after"), first=values.get("first", PAGE_SIZE),
                                 cancel=context.cancel)
        found.update(takes=[take_item(t) for t in page.items], takes_after=page.after)
    if values.get("jobs_wanted", True):
        page = client.jobs.page(values.get("jobs_after"), first=values.get("first", PAGE_SIZE),
                                cancel=context.cancel)
        found.update(jobs=[job_item(j) for j in page.items], jobs_after=page.after)
    return found


@dataclass
class Library:
    """What the Library panel shows (runtime only)."""
    endpoint: str = ""
    takes: list[LibraryItem] = field(default_factory=list)
    jobs: list[LibraryItem] = field(default_factory=list)
    takes_after: str | None = None
    jobs_after: str | None = None
    loaded: bool = False
    busy: bool = False
    message: str = ""
    worker: tasks.Worker | None = None  # the fetch under way (busy while it lives)

    @property
    def fetching(self) -> bool:
        """A fetch is under way (a refresh whose operator was ended by a file load no longer counts)."""
        return self.busy and self.worker is not None and self.worker.alive

    @property
    def has_more(self) -> bool:
        return self.loaded and (self.takes_after is not None or self.jobs_after is not None)

    def shows(self, endpoint: str) -> bool:
        """The list belongs to this endpoint (after a switch, the old account's list is not shown)."""
        try:
            return self.loaded and self.endpoint == endpoint_identity(endpoint)
        except Exception:
            return False

    def request(self, client, more: bool) -> dict:
        """The worker's values for a refresh (first pages) or for More (the next pages)."""
        if not more:
            return {"client": client, "first": PAGE_SIZE}
        return {"client": client, "first": PAGE_SIZE, "takes_after": self.takes_after,
                "jobs_after": self.jobs_after, "takes_wanted": self.takes_after is not None,
                "jobs_wanted": self.jobs_after is not None}

    def apply(self, endpoint: str, values: dict, more: bool) -> str:
        """Main thread: take the worker's pages; what to tell the user."""
        identity = endpoint_identity(endpoint)
        if not more or identity != self.endpoint:
            self.takes, self.jobs, self.takes_after, self.jobs_after = [], [], None, None
        self.endpoint = identity
        if "takes" in values:
            self.takes += values["takes"]
            self.takes_after = values["takes_after"]
        if "jobs" in values:
            self.jobs += values["jobs"]
            self.jobs_after = values["jobs_after"]
        self.loaded, self.busy = True, False
        self.message = f"{len(self.takes)} takes, {len(self.jobs)} jobs" + (" (more on Move)" if self.has_more else "")
        return f"Move library: {self.message}."

    def failed(self, text: str) -> None:
        self.busy, self.message = False, text

    def job(self, job_id: str) -> LibraryItem | None:
        return next((j for j in self.jobs if j.id == job_id), None)

    def take(self, take_id: str) -> LibraryItem | None:
        return next((t for t in self.takes if t.id == take_id), None)


LIBRARY = Library()


def place_record(context, name: str):
    """A new record placed on the active strip when there is one (its name, first frame and rate),
    else at the current frame at the scene's rate. Settings are checked before anything is added."""
    settings.make_client(context)
    folder = settings.download_dir(context)
    scene = context.scene
    editor = scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    record = new_record(scene)
    scene_fps = scene.render.fps / scene.render.fps_base
    if strip is not None:
        record.strip_name = strip.name
        record.strip_start = int(strip.frame_final_start)
        record.video_fps = float(getattr(strip, "fps", 0.0) or scene_fps)
    else:
        record.strip_name = name
        record.strip_start = int(scene.frame_current)
        record.video_fps = scene_fps  # the video's rate is not known here: one key per scene frame
    record.download_dir = str(folder)
    prefs = settings.preferences(context)
    record.import_format = prefs.import_format
    record.options.copy_from(settings.job_options(context))
    record.auto_import = True
    scene.move_ai.active_job_index = len(scene.move_ai.jobs) - 1
    return record


def find_job_record(scene, job_id: str):
    """The newest record of this scene for Move job `job_id`, or None."""
    return next((r for r in reversed(list(scene.move_ai.jobs)) if r.job_id == job_id), None)
