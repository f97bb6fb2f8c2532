# SPDX-License-Identifier: GPL-3.0-or-later
"""Metadata (AWSJSON) going out, and the clientRequestId that lets a lost mutation be found again."""
from __future__ import annotations

import json
import uuid
from typing import Any, Iterable

from .models import parse_awsjson

REQUEST_ID_KEY = "clientRequestId"


def to_awsjson(metadata: Any) -> str | None:
    """A dict (or a JSON object string) as the JSON string AWSJSON fields carry; None stays None."""
    if metadata is None:
        return None
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            raise ValueError("metadata must be a dict or a JSON object string") from None
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be a dict or a JSON object string")
    return json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)


def with_request_id(metadata: Any) -> tuple[str, str]:
    """The metadata with a fresh clientRequestId added, as AWSJSON, and that id."""
    merged = parse_awsjson(to_awsjson(metadata)) if metadata is not None else {}
    request_id = str(uuid.uuid4())
    merged[REQUEST_ID_KEY] = request_id
    return to_awsjson(merged), request_id


def find_by_request_id(items: Iterable[dict], request_id: str) -> dict | None:
    """The raw API item whose metadata carries this clientRequestId."""
    for item in items:
        if item and parse_awsjson(item.get("metadata")).get(REQUEST_ID_KEY) == request_id:
            return item
    return None
