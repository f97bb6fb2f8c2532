# SPDX-License-Identifier: GPL-3.0-or-later
"""Cursor paging of the list queries: the `after` cursor is an opaque AWSJSON string sent back as is."""
from __future__ import annotations

import json
from typing import Callable, Iterator, TypeVar

from .models import Page

T = TypeVar("T")

_END_CURSORS = (None, "", "null", "{}", "\"\"")


def next_cursor(after: object) -> str | None:
    """The cursor of the next page, or None when this was the last page."""
    if isinstance(after, (dict, list)):  # tolerate a server that sends the JSON unquoted
        after = json.dumps(after) if after else None
    return None if after in _END_CURSORS else str(after)


def iterate_pages(fetch: Callable[[str | None], Page[T]], max_pages: int = 10_000) -> Iterator[Page[T]]:
    """Pages from `fetch(after)` until the cursor runs out (or repeats, which would loop forever)."""
    after: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = fetch(after)
        yield page
        if page.after is None or page.after in seen:
            return
        seen.add(page.after)
        after = page.after


def raw_page(transport, operation: str, field: str, variables: dict, after: str | None = None,
             cancel=None) -> Page[dict]:
    """One page of raw API items of a list query, from cursor `after` (None: the first page)."""
    data = transport.execute(operation, {**variables, "after": after}, cancel=cancel)
    page = data.get(field) or {}
    return Page([i for i in page.get("items") or [] if i], next_cursor(page.get("after")))


def raw_pages(transport, operation: str, field: str, variables: dict, cancel=None) -> Iterator[Page[dict]]:
    """Pages of raw API items of a list query (ListTakes, ListJobs, ListVolumes)."""
    return iterate_pages(lambda after: raw_page(transport, operation, field, variables, after, cancel))


def raw_items(transport, operation: str, field: str, variables: dict, cancel=None,
              limit: int | None = None) -> Iterator[dict]:
    """Raw items across pages, at most `limit` of them."""
    count = 0
    for page in raw_pages(transport, operation, field, variables, cancel):
        for item in page.items:
            if limit is not None and count >= limit:
                return
            count += 1
            yield item
