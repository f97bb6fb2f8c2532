# SPDX-License-Identifier: GPL-3.0-or-later
"""client.volumes: multicam calibration volumes (createVolumeWithHuman, getVolume, listVolumes).

Like takes and jobs, a volume carries a clientRequestId so a lost answer is looked up
(listVolumes, newest first) rather than a second calibration started (resource.Resource).
"""
from __future__ import annotations

import threading
from typing import Callable, Iterator

from . import polling
from .errors import WaitTimeout
from .models import Page, Volume
from .resource import Resource
from .sources import clip_window_input, sources_input, sync_method_input

AREA_TYPES = {"NORMAL", "LARGE"}


class Volumes(Resource[Volume]):
    model = Volume
    list_operation = "ListVolumes"

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
        return self._create("CreateVolumeWithHuman", {
            "sources": items, "humanHeight": float(human_height), "areaType": area_type,
            "clipWindow": clip_window_input(clip_window), "syncMethod": sync_method_input(sync_method),
            "name": name, "metadata": metadata}, cancel)

    def retrieve(self, id: str, *, cancel: threading.Event | None = None) -> Volume:
        data = self._transport.execute("GetVolume", {"id": id}, cancel=cancel)
        return Volume.from_api(data["getVolume"])

    def pages(self, *, first: int | None = 50, sort_direction: str = "DESC",
              cancel: threading.Event | None = None) -> Iterator[Page[Volume]]:
        return self._pages(self._list_variables(first, sort_direction), cancel)

    def list(self, *, first: int | None = 50, sort_direction: str = "DESC", limit: int | None = None,
             cancel: threading.Event | None = None) -> list[Volume]:
        return self._list(self._list_variables(first, sort_direction), limit, cancel)

    def camera_settings(self, *, cancel: threading.Event | None = None) -> list[str]:
        """The lens names Move accepts in a source's camera settings."""
        data = self._transport.execute("ListCameraSettings", {}, cancel=cancel)
        return [c["lens"] for c in (data.get("listCameraSettings") or {}).get("items") or [] if c]

    def wait(self, id: str, *, interval: float = 15.0, timeout: float | None = None,
             on_update: Callable[[Volume], None] | None = None,
             cancel: threading.Event | None = None) -> Volume:
        """Poll getVolume every `interval` s until FINISHED or FAILED; WaitTimeout after `timeout` s."""
        def timed_out(volume: Volume) -> WaitTimeout:
            return WaitTimeout(f"Volume {id} was still {volume.state or 'pending'} after {timeout:g} s.")

        return polling.poll(lambda: self.retrieve(id, cancel=cancel), lambda volume: volume.is_terminal,
                            wait=lambda volume: interval, timeout=timeout, on_update=on_update,
                            timed_out=timed_out, cancel=cancel)
