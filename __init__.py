# SPDX-License-Identifier: GPL-3.0-or-later
"""Move AI for Blender: send a video strip to the Move API and get an animated skeleton in step with it.

An extension (blender_manifest.toml, id move_ai): no bl_info, relative imports only, no runtime pip.
"""

from . import core, operators, ui


def register() -> None:
    core.register()
    operators.register()
    ui.register()


def unregister() -> None:
    ui.unregister()
    operators.unregister()
    core.unregister()
