# SPDX-License-Identifier: GPL-3.0-or-later
"""The GraphQL documents the client sends, one named operation per .graphql file beside this module.

`load("GetJob")` returns GetJob.graphql followed by every fragment it spreads (from fragments/),
so each fragment is written once and every document stays valid on its own.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

DOCUMENTS_DIR = Path(__file__).resolve().parent
FRAGMENTS_DIR = DOCUMENTS_DIR / "fragments"
_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_][A-Za-z0-9_]*)")


def names() -> list[str]:
    """Every operation name there is a document for."""
    return sorted(p.stem for p in DOCUMENTS_DIR.glob("*.graphql"))


@functools.lru_cache(maxsize=None)
def load(name: str) -> str:
    """The full text of operation `name`, with the fragments it needs appended."""
    text = (DOCUMENTS_DIR / f"{name}.graphql").read_text(encoding="utf-8")
    included: list[str] = []
    pending = _SPREAD.findall(text)
    while pending:
        fragment = pending.pop(0)
        path = FRAGMENTS_DIR / f"{fragment}.graphql"
        if fragment in included or not path.exists():  # `... on Type` is an inline fragment, not a spread
            continue
        included.append(fragment)
        body = path.read_text(encoding="utf-8")
        text += "\n" + body
        pending.extend(_SPREAD.findall(body))
    return text
