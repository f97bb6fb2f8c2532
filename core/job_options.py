# SPDX-License-Identifier: GPL-3.0-or-later
"""The options sent with a Move job, declared once: the scene, each job record and the add-on
preferences all hold one `MoveJobOptions`, and `as_api()` is the one conversion to the API's dict."""

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty

MOCAP_MODELS = [("S2", "S2", "Single-camera model with hand tracking"),
                ("S1", "S1", "Single-camera model, body only")]
FIELDS = ("mocap_model", "track_fingers", "track_ball", "floor_plane")
MULTICAM_FIELDS = ("number_of_actors",)  # sent as createMultiCamJob's own argument, not in as_api()


class MoveJobOptions(bpy.types.PropertyGroup):
    """Options sent with a job (the preferences hold the defaults; a scene may override them)."""
    mocap_model: EnumProperty(
        name="Model", items=MOCAP_MODELS, default="S2",
        description="Move's single-camera model that turns the video into motion")
    track_fingers: BoolProperty(
        name="Fingers", default=False, description="Also capture the motion of the fingers")
    track_ball: BoolProperty(
        name="Ball", default=False, description="Also track a ball in the video")
    floor_plane: BoolProperty(
        name="Floor plane", default=True,
        description="Keep the feet on a detected floor plane (no sinking or floating)")
    number_of_actors: IntProperty(
        name="Actors", default=1, min=1, soft_max=10,
        description="How many people a multicam job captures")

    def as_api(self) -> dict:
        """The job options as Move's API names them."""
        return {"mocapModel": self.mocap_model, "trackFingers": self.track_fingers,
                "trackBall": self.track_ball, "floorPlane": self.floor_plane}

    def copy_from(self, other) -> None:
        for name in FIELDS + MULTICAM_FIELDS:
            setattr(self, name, getattr(other, name))

