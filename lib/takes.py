# SPDX-License-Identifier: GPL-3.0-or-later
"""client.takes: create single- and multi-camera takes, get one, list them page by page.

Take creation is not blindly repeated: it carries a clientRequestId in its metadata, and after an
answer that was lost (timeout, reset, 500, garbled) the client looks for that id with listTakes
(newest first) before it creates the take again.
"""
from __future__ import annotations

import threading
from typing import Iterator

from . import retry
from .metadata import find_by_request_id, with_request_id
from .models import Page, Take
from .paging import raw_items, raw_pages
from .sources import sources_input, sync_method_input

LOOKUP_ITEMS = 200  # how far back (newest first) to look for a take whose answer was lost


class Takes:
    def __init__(self, client):
        self._client = client

    def _create(self, operation: str, variables: dict, cancel) -> Take:
        variables["metadata"], request_id = with_request_id(variables.get("metadata"))
        field = operation[0].lower() + operation[1:]

        def recover():
            recent = raw_items(self._client.transport, "ListTakes", "listTakes",
                               {"first": 50, "sortDirection": "DESC"}, cancel, limit=LOOKUP_ITEMS)
            found = find_by_request_id(recent, request_id)
            return {field: found} if found else None

        data = self._client.transport.execute(operation, variables, kind=retry.MUTATION,
                                              recover=recover, cancel=cancel)
        return Take.from_api(data[field])

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
        data = self._client.transport.execute("GetTake", {"takeId": id}, cancel=cancel)
        return Take.from_api(data["getTake"])

    def pages(self, *, first: int | None = 50, sort_direction: str = "DESC",
              cancel: threading.Event | None = None) -> Iterator[Page[Take]]:
        """Every page of takes, following the `after` cursor."""
        for page in raw_pages(self._client.transport, "ListTakes", "listTakes",
                              {"first": first, "sortDirection": sort_direction}, cancel):
            yield Page([Take.from_api(i) for i in page.items], page.after)

    def list(self, *, first: int | None = 50, sort_direction: str = "DESC", limit: int | None = None,
             cancel: threading.Event | None = None) -> list[Take]:
        """All takes (newest first by default), or the first `limit` of them, across pages."""
        return [Take.from_api(i) for i in raw_items(
            self._client.transport, "ListTakes", "listTakes",
            {"first": first, "sortDirection": sort_direction}, cancel, limit=limit)]
