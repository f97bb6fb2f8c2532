# SPDX-License-Identifier: GPL-3.0-or-later
"""What every listed resource of the client shares (takes, jobs, volumes): list page by page, newest
first, and "create once, find it again after a lost answer".

A creation that must never happen twice carries a fresh clientRequestId in its metadata. When its
answer is lost (timeout, reset, 500, garbled, no data) the transport calls the lookup: the newest
LOOKUP_ITEMS of the resource's list are searched for that id. Found: that item is the answer. Not
found: the creation had not run and is sent again. The lookup itself failing: the client raises
rather than risk a second take, job or volume (see retry.py and transport.py).
"""
from __future__ import annotations

import threading
from typing import Generic, Iterator, TypeVar

from . import retry
from .metadata import find_by_request_id, with_request_id
from .models import Page
from .paging import raw_items, raw_page, raw_pages

T = TypeVar("T")

LOOKUP_ITEMS = 200  # how far back (newest first) to look for an item whose creation answer was lost
LOOKUP_PAGE = 50


def field_of(operation: str) -> str:
    """The data field a GraphQL operation answers in: CreateSingleCamJob -> createSingleCamJob."""
    return operation[0].lower() + operation[1:]


class Resource(Generic[T]):
    """Base of client.takes, client.jobs and client.volumes."""

    model: type          # Job, Take or Volume (each has from_api)
    list_operation: str  # e.g. "ListJobs"; its data field is field_of(list_operation)

    def __init__(self, client):
        self._client = client

    @property
    def _transport(self):
        return self._client.transport

    # -- listing, newest first ----------------------------------------------------------------

    def _list_variables(self, first: int | None, sort_direction: str, **filters) -> dict:
        return {**filters, "first": first, "sortDirection": sort_direction}

    def _raw(self, reader, *args, **kw):
        """A paging.raw_* reader applied to this resource's list query."""
        return reader(self._transport, self.list_operation, field_of(self.list_operation), *args, **kw)

    def _typed(self, page: Page[dict]) -> Page[T]:
        return Page([self.model.from_api(i) for i in page.items], page.after)

    def _pages(self, variables: dict, cancel: threading.Event | None) -> Iterator[Page[T]]:
        return (self._typed(page) for page in self._raw(raw_pages, variables, cancel))

    def _page(self, variables: dict, after: str | None, cancel: threading.Event | None) -> Page[T]:
        """One page from cursor `after` (None: the first); its `after` leads to the next, or is None."""
        return self._typed(self._raw(raw_page, variables, after, cancel))

    def _list(self, variables: dict, limit: int | None, cancel: threading.Event | None) -> list[T]:
        return [self.model.from_api(i) for i in self._raw(raw_items, variables, cancel, limit=limit)]

    # -- create once ----------------------------------------------------------------------------

    def _create(self, operation: str, variables: dict, cancel: threading.Event | None,
                **lookup_filters) -> T:
        """Run a creation that must never happen twice; see the module docstring.
        `lookup_filters` narrow the lookup list (e.g. takeId for jobs)."""
        variables = dict(variables)
        variables["metadata"], request_id = with_request_id(variables.get("metadata"))
        field = field_of(operation)
        lookup = self._list_variables(LOOKUP_PAGE, "DESC", **lookup_filters)

        def recover() -> dict | None:
            recent = self._raw(raw_items, lookup, cancel, limit=LOOKUP_ITEMS)
            found = find_by_request_id(recent, request_id)
            return {field: found} if found else None

        data = self._transport.execute(operation, variables, kind=retry.MUTATION, recover=recover,
                                       cancel=cancel)
        return self.model.from_api(data[field])
