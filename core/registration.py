# SPDX-License-Identifier: GPL-3.0-or-later
"""`bpy.utils.register_classes_factory`, typed: the fake-bpy stubs declare it as returning None."""
from __future__ import annotations

from typing import Any, Callable, Sequence, cast

import bpy


def classes_factory(classes: Sequence[type]) -> tuple[Callable[[], None], Callable[[], None]]:
    """(register, unregister) for `classes`, in order and in reverse order."""
    return cast(Any, bpy.utils.register_classes_factory)(tuple(classes))
