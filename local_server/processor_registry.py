# SPDX-License-Identifier: GPL-3.0-or-later
"""Which processor a name means; imported only when first needed, so a missing one never stops the server."""
from __future__ import annotations

import importlib
import threading

# name -> "module:Class". A new processor is one line here (its module is imported lazily).
PROCESSORS: dict[str, str] = {
    "reference": "local_server.processors.reference:ReferenceProcessor",
    "mediapipe": "local_server.processors.mediapipe:MediaPipeProcessor",
}


class ProcessorUnavailable(Exception):
    """The configured processor cannot be imported or built."""


class ProcessorSlot:
    """Holds the configured processor, importing it on first use and remembering a failure's cause."""

    def __init__(self, name: str):
        self.name = name
        self.spec = PROCESSORS.get(name, name)  # a name, or module:Class given directly
        self._lock = threading.Lock()
        self._processor = None

    def get(self):
        with self._lock:
            if self._processor is None:
                module_name, _, class_name = self.spec.partition(":")
                try:
                    cls = getattr(importlib.import_module(module_name), class_name)
                    self._processor = cls()
                except Exception as exc:  # noqa: BLE001 - any import/constructor failure means "unavailable"
                    importlib.invalidate_caches()  # so a module added later is found on the next try
                    raise ProcessorUnavailable(
                        f"processor {self.name!r} ({self.spec}) could not be loaded: {type(exc).__name__}: {exc}"
                    ) from exc
            return self._processor

    def supported_outputs(self) -> set[str] | None:
        """The output types the processor declares (attribute `supported_outputs`), or None if unknown."""
        try:
            declared = getattr(self.get(), "supported_outputs", None)
        except ProcessorUnavailable:
            return None
        return set(declared) if declared is not None else None
