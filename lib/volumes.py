# SPDX-License-Identifier: GPL-3.0-or-later
"""client.volumes: multicam calibration volumes (createVolumeWithHuman, getVolume, listVolumes).

Like takes and jobs, a volume carries a clientRequestId so a lost answer is looked up
(listVolumes, newest first) rather than a second calibration started.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from . import retry
from .errors import WaitTimeout
from .metadata import find_by_request_id, with_request_id
from .models import Volume
from .paging import raw_items
from .sources import clip_window_input, sources_input, sync_method_input

AREA_TYPES = {"NORMAL", "LARGE"}
LOOKUP_ITEMS = 200


class Volumes:
    def __init__(self, client):
        self._client = client

    def create_with_human(self, sources, *, human_height: float, area_type: str = "NORMAL",
                          clip_window=None, sync_method=None, name: str | None = None, metadata=None,
                          cancel: threading.Event | None = None) -> Volume:
        """Calibrate from one clip per camera (at least two, each with a lens from camera_settings())
        of a person `human_height` metres tall."""
        items = sources_input(sources)
        if len(items) < 2:
            raise ValueError("a volume needs calibration clips from at least two cameras")
        if not 0.5 <= float(human_height) <= 2.5:
            raise ValueError("human_height is in metres, e.g. 1.75")
        area_type = area_type.upper()
        if area_type not in AREA_TYPES:
            raise ValueError("area_type must be NORMAL or LARGE")
        metadata, request_id = with_request_id(metadata)

        def recover():
            recent = raw_items(self._client.transport, "ListVolumes", "listVolumes",
                               {"first": 50, "sortDirection": "DESC"}, cancel, limit=LOOKUP_ITEMS)
            found = find_by_request_id(recent, request_id)
            return {"createVolumeWithHuman": found} if found else None

        data = self._client.transport.execute("CreateVolumeWithHuman", {
            "sources": items, "humanHeight": float(human_height), "areaType": area_type,
            "clipWindow": clip_window_input(clip_window), "syncMethod": sync_method_input(sync_method),
            "name": name, "metadata": metadata}, kind=retry.MUTATION, recover=recover, cancel=cancel)
        return Volume.from_api(data["createVolumeWithHuman"])

    def retrieve(self, id: str, *, cancel: threading.Event | None = None) -> Volume:
        data = self._client.transport.execute("GetVolume", {"id": id}, cancel=cancel)
        return Volume.from_api(data["getVolume"])

    def list(self, *, first: int | None = 50, sort_direction: str = "DESC", limit: int | None = None,
             cancel: threading.Event | None = None) -> list[Volume]:
        return [Volume.from_api(i) for i in raw_items(
            self._client.transport, "ListVolumes", "listVolumes",
            {"first": first, "sortDirection": sort_direction}, cancel, limit=limit)]

    def camera_settings(self, *, cancel: threading.Event | None = None) -> list[str]:
        """The lens names Move accepts in a source's camera settings."""
        data = self._client.transport.execute("ListCameraSettings", {}, cancel=cancel)
        return [c["lens"] for c in (data.get("listCameraSettings") or {}).get("items") or [] if c]

    def wait(self, id: str, *, interval: float = 15.0, timeout: float | None = None,
             on_update: Callable[[Volume], None] | None = None,
             cancel: threading.Event | None = None) -> Volume:
        """Poll getVolume until FINISHED or FAILED."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            volume = self.retrieve(id, cancel=cancel)
            if on_update is not None:
                on_update(volume)
            if volume.is_terminal:
                return volume
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"Volume {id} was still {volume.state or 'pending'} after {timeout:g} s.")
            retry.sleep(interval if deadline is None else min(interval, max(0.0, deadline - time.monotonic())),
                        cancel)
