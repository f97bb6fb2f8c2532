# SPDX-License-Identifier: GPL-3.0-or-later
"""Typed results of the Move API (dataclasses), parsed from the GraphQL answers."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import output_types

log = logging.getLogger(__name__)

NOT_STARTED, RUNNING, FINISHED, FAILED = "NOT_STARTED", "RUNNING", "FINISHED", "FAILED"
TERMINAL_STATES = (FINISHED, FAILED)

T = TypeVar("T")


def parse_awsjson(value: Any) -> dict:
    """An AWSJSON field as a dict: the API sends a JSON *string*; null, bad JSON or non-objects -> {}."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        log.warning("ignored metadata that is not valid JSON")
        return {}
    return parsed if isinstance(parsed, dict) else {}


def normalise_state(state: Any) -> str:
    """'NOT STARTED', 'not_started' and 'NOT_STARTED' all become NOT_STARTED; None stays ''."""
    if not state:
        return ""
    return "_".join(str(state).strip().upper().replace("-", " ").split())


@dataclass
class File:
    id: str
    type: str = ""
    presigned_url: str | None = None
    name: str | None = None
    created: str | None = None
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict) -> File:
        return cls(id=data["id"], type=data.get("type") or "", presigned_url=data.get("presignedUrl"),
                   name=data.get("name"), created=data.get("created"),
                   metadata=parse_awsjson(data.get("metadata")))

    def __repr__(self) -> str:  # the presigned URL is a credential of sorts: keep it out of logs
        return f"File(id={self.id!r}, type={self.type!r}, has_url={self.presigned_url is not None})"


@dataclass
class Output:
    key: str | None
    format: str | None
    file: File

    @classmethod
    def from_api(cls, data: dict) -> Output:
        return cls(key=data.get("key"), format=data.get("format"), file=File.from_api(data["file"]))

    @property
    def name(self) -> str:
        return self.key or self.format or self.file.id

    def matches(self, name: str) -> bool:
        wanted = name.strip().lower()
        return wanted in ((self.key or "").lower(), (self.format or "").lower())


@dataclass
class Source:
    """A take's video source. Also what `takes.create_*` accepts (like Move's SDK's SourceIn)."""
    device_label: str
    file_id: str
    format: str = "MP4"
    lens: str | None = None          # camera settings, multicam only
    file: File | None = None

    @classmethod
    def from_api(cls, data: dict) -> Source:
        file = File.from_api(data["file"]) if data.get("file") else None
        lens = (data.get("cameraSettings") or {}).get("lens")
        return cls(device_label=data.get("deviceLabel") or "", file_id=file.id if file else "",
                   format=data.get("format") or "", lens=lens, file=file)

    def to_input(self) -> dict:
        item = {"deviceLabel": self.device_label, "fileId": self.file_id, "format": self.format.upper()}
        if self.lens:
            item["cameraSettings"] = {"lens": self.lens}
        return item


@dataclass
class Take:
    id: str
    name: str | None = None
    created: str | None = None
    take_type: str | None = None
    sources: list[Source] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    volume_id: str | None = None

    @classmethod
    def from_api(cls, data: dict) -> Take:
        volume = data.get("volume") or {}
        return cls(id=data["id"], name=data.get("name"), created=data.get("created"),
                   take_type=data.get("takeType"),
                   sources=[Source.from_api(s) for s in data.get("sources") or [] if s],
                   metadata=parse_awsjson(data.get("metadata")), volume_id=volume.get("id"))


@dataclass
class Job:
    id: str
    state: str = ""
    percentage: int | None = None
    outputs: list[Output] = field(default_factory=list)
    failure_reason: str | None = None
    take_id: str | None = None
    name: str | None = None
    metadata: dict = field(default_factory=dict)
    created: str | None = None
    options: dict = field(default_factory=dict)
    clip_window: tuple[float, float] | None = None
    number_of_actors: int | None = None
    rig: str | None = None

    @classmethod
    def from_api(cls, data: dict) -> Job:
        progress = data.get("progress") or {}
        metadata = parse_awsjson(data.get("metadata"))
        inputs = data.get("inputs") or {}
        window = inputs.get("clipWindow")
        reason = metadata.get("failureReason")
        return cls(
            id=data["id"],
            # progress.state is current; the deprecated `state` is the fallback ("NOT STARTED").
            state=normalise_state(progress.get("state") or data.get("state")),
            percentage=progress.get("percentageComplete"),
            outputs=[Output.from_api(o) for o in data.get("outputs") or [] if o and o.get("file")],
            failure_reason=str(reason) if reason not in (None, "") else None,
            take_id=(data.get("take") or {}).get("id"),
            name=data.get("name"),
            metadata=metadata,
            created=data.get("created"),
            options={k: v for k, v in (inputs.get("options") or {}).items() if v is not None},
            clip_window=(window["startTime"], window["endTime"]) if window else None,
            number_of_actors=inputs.get("numberOfActors"),
            rig=(data.get("rig") or {}).get("name"),
        )

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_finished(self) -> bool:
        return self.state == FINISHED

    @property
    def is_failed(self) -> bool:
        return self.state == FAILED

    def output(self, name: str) -> Output | None:
        """The output whose key or format is `name` (case-insensitive), or is what Move's OutputType
        name stands for ('MAIN_FBX' finds the 'fbx' output and 'fbx' a 'MAIN_FBX' one); a key match
        wins over a format match, the name as given over its aliases. Never by index."""
        wanted = output_types.aliases(name)
        for field_of in (lambda o: o.key, lambda o: o.format):
            for alias in wanted:
                found = next((o for o in self.outputs if (field_of(o) or "").lower() == alias), None)
                if found is not None:
                    return found
        return None

    def outputs_ready(self) -> bool:
        """FINISHED and every output has its download URL (right after FINISHED some may be null,
        or the list may still be empty: a finished job always has outputs, defaults at least)."""
        return self.is_finished and bool(self.outputs) and all(o.file.presigned_url for o in self.outputs)


@dataclass
class ClientInfo:
    id: str
    name: str
    created: str | None = None
    portal: str | None = None
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict) -> ClientInfo:
        return cls(id=data["id"], name=data.get("name") or "", created=data.get("created"),
                   portal=data.get("portal"), metadata=parse_awsjson(data.get("metadata")))


@dataclass
class Volume:
    id: str
    state: str = ""
    percentage: int | None = None
    name: str | None = None
    created: str | None = None
    area_type: str | None = None
    human_height: float | None = None
    clip_window: tuple[float, float] | None = None
    sources: list[Source] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict) -> Volume:
        progress = data.get("progress") or {}
        window = data.get("clipWindow")
        return cls(
            id=data["id"], state=normalise_state(progress.get("state") or data.get("state")),
            percentage=progress.get("percentageComplete"), name=data.get("name"),
            created=data.get("created"), area_type=data.get("areaType"),
            human_height=data.get("humanHeight"),
            clip_window=(window["startTime"], window["endTime"]) if window else None,
            sources=[Source.from_api(s) for s in data.get("sources") or [] if s],
            outputs=[Output.from_api(o) for o in data.get("outputs") or [] if o and o.get("file")],
            metadata=parse_awsjson(data.get("metadata")),
        )

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass
class Page(Generic[T]):
    """One page of a list; `after` is the opaque cursor (an AWSJSON string) of the next page, or None."""
    items: list[T]
    after: str | None = None

    @property
    def has_more(self) -> bool:
        return self.after is not None
