# SPDX-License-Identifier: GPL-3.0-or-later
"""What a job processor is: the part of the local server that turns a take's video into outputs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol


class ProcessingFailed(Exception):
    """The job ends FAILED; the message is the reason a user reads (keep it plain and actionable)."""


@dataclass
class JobSpec:
    job_id: str
    video_path: Path  # the take's (first) source video, already on disk
    outputs: list[str]  # OutputType names, e.g. ["MAIN_FBX", "MAIN_BLEND"]; never empty here
    clip_window: tuple[float, float] | None = None  # (start, end) seconds; None = whole video
    options: dict = field(default_factory=dict)  # mocapModel, trackFingers, trackBall, floorPlane, ...
    number_of_actors: int = 1


@dataclass
class ProcessorResult:
    files: dict[str, Path]  # OutputType name -> file written under the job's output folder
    metadata: dict = field(default_factory=dict)  # merged into the job's metadata (e.g. what was tracked)


def refuse_unsupported(job: JobSpec, supported: frozenset[str], processor: str) -> None:
    """Fail the job up front, naming what this processor cannot make, rather than skip it silently."""
    missing = [o for o in job.outputs if o not in supported]
    if missing:
        raise ProcessingFailed(f"The {processor} processor cannot make {', '.join(missing)}.")


Progress = Callable[[int], None]  # percentage 0-100; may raise to ask the processor to stop


class Processor(Protocol):
    name: str

    def process(self, job: JobSpec, out_dir: Path, progress: Progress) -> ProcessorResult: ...
