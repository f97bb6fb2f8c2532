# SPDX-License-Identifier: GPL-3.0-or-later
"""client.takes: create single- and multi-camera takes, get one, list them page by page.

Take creation is not blindly repeated: it carries a clientRequestId in its metadata, and after an
answer that was lost (timeout, reset, 500, garbled) the client looks for that id with listTakes
(newest first) before it creates the take again (resource.Resource._create).
"""
from __future__ import annotations

import threading
from typing import Iterator

from .models import Page, Take
from .resource import Resource
from .sources import sources_input, sync_method_input


class Takes(Resource[Take]):
    model = Take
    list_operation = "ListTakes"

    def create_singlecam(self, sources, *, name: str | None = None, metadata=None,
                         cancel: threading.Event | None = None) -> Take:
        """createSingleCamTake from one source: a Source, a File or {"deviceLabel", "fileId", "format"}."""
        return self._create("CreateSingleCamTake", {"sources": sources_input(sources), "name": name,
                                                         "metadata": metadata}, cancel)

    def create_multicam(self, volume_id: str, sources, *, sync_method=None, name: str | None = None,
                        metadata=None, cancel: threading.Event | None = None) -> Take:
        """createMultiCamTake on a calibrated volume, one source per camera."""
        return self._create("CreateMultiCamTake", {
            "volumeId": volume_id, "sources": sources_input(sources),
            "syncMethod": sync_method_input(sync_method), "name": name, "metadata": metadata}, cancel)

    def retrieve(self, id: str, *, cancel: threading.Event | None = None) -> Take:
        data = self._transport.execute("GetTake", {"takeId": id}, cancel=cancel)
        return Take.from_api(data["getTake"])

    def page(self, after: str | None = None, *, first: int | None = 50, sort_direction: str = "DESC",
             cancel: threading.Event | None = None) -> Page[Take]:
        """One page of the account's takes, newest first by default; pass its `.after` back for the
        next page (None when there is no next). What a "load more" button needs, one call each."""
        return self._page(self._list_variables(first, sort_direction), after, cancel)

    def pages(self, *, first: int | None = 50, sort_direction: str = "DESC",
              cancel: threading.Event | None = None) -> Iterator[Page[Take]]:
        """Every page of takes, following the `after` cursor."""
        return self._pages(self._list_variables(first, sort_direction), cancel)

    def list(self, *, first: int | None = 50, sort_direction: str = "DESC", limit: int | None = None,
             cancel: threading.Event | None = None) -> list[Take]:
        """All takes (newest first by default), or the first `limit` of them, across pages."""
        return self._list(self._list_variables(first, sort_direction), limit, cancel)
