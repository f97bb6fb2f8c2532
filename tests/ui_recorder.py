# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for Blender's UILayout that records what a draw function puts on screen.

The bpy module draws nothing (no window), so panel, menu and dialog draw functions are called with
this recorder as `self.layout`; tests then read the labels, operators and menus a user would see.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace


@dataclass
class Drawn:
    kind: str          # label, operator, menu, prop, progress, template_list, separator
    text: str = ""
    icon: str = "NONE"
    target: str = ""   # the operator idname, menu idname, property name or list class
    props: SimpleNamespace = field(default_factory=SimpleNamespace)


class RecordingLayout:
    """Every call of a UILayout that the add-on uses; sub-layouts share one record."""

    def __init__(self, record: list[Drawn] | None = None):
        object.__setattr__(self, "record", [] if record is None else record)

    def __setattr__(self, name, value):  # enabled, alert, operator_context, use_property_split...
        object.__setattr__(self, name, value)

    def _child(self, *args, **kwargs) -> RecordingLayout:
        return RecordingLayout(self.record)

    row = column = box = split = column_flow = grid_flow = _child

    def label(self, text="", icon="NONE", **kw):
        self.record.append(Drawn("label", text, icon))

    def operator(self, idname, text=None, icon="NONE", **kw):
        props = SimpleNamespace()
        self.record.append(Drawn("operator", text if text is not None else "", icon, idname, props))
        return props

    def menu(self, idname, text="", icon="NONE", **kw):
        self.record.append(Drawn("menu", text, icon, idname))

    def prop(self, data, name, text=None, icon="NONE", **kw):
        self.record.append(Drawn("prop", text or "", icon, name))

    def progress(self, factor=0.0, type="BAR", text=""):
        self.record.append(Drawn("progress", text, "NONE", str(factor)))

    def template_list(self, list_class, list_id, data, propname, active_data, active_propname, **kw):
        self.record.append(Drawn("template_list", "", "NONE", list_class))

    def separator(self, **kw):
        self.record.append(Drawn("separator"))

    # reading back
    def texts(self) -> list[str]:
        return [d.text for d in self.record if d.kind in ("label", "progress") and d.text]

    def operators(self) -> list[str]:
        return [d.target for d in self.record if d.kind == "operator"]

    def find(self, kind: str, target: str) -> Drawn | None:
        return next((d for d in self.record if d.kind == kind and d.target == target), None)


def draw(draw_function, context, **attributes) -> RecordingLayout:
    """Call a draw function (a Panel's, a Menu's or one appended to a menu) with a recording layout."""
    layout = RecordingLayout()
    draw_function(SimpleNamespace(layout=layout, **attributes), context)
    return layout
