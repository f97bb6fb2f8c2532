# SPDX-License-Identifier: GPL-3.0-or-later
"""What a multicam capture keeps in the .blend: its cameras on each job record, the scene's volumes
(calibrated camera set-ups, reused by later takes) and settings, and the per-strip calibration mark."""

from typing import Any

import bpy
from bpy.props import BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from .registration import classes_factory

AREA_TYPES = [("NORMAL", "Normal", "A capture area of a usual room or studio"),
              ("LARGE", "Large", "A large capture area (cameras far apart, e.g. a sports hall)")]


class MoveCameraSource(bpy.types.PropertyGroup):
    """One camera of a multicam job: its strip, video, Move file and where the timeline puts it."""
    label: StringProperty(name="Camera", description="Move's device label of this camera (the strip's name)")
    strip_name: StringProperty(description="The movie strip of this camera")
    video_path: StringProperty(subtype="FILE_PATH", description="The strip's video file")
    file_id: StringProperty(description="Move's id of the uploaded video")
    fps: FloatProperty(description="The video's frame rate")
    timeline_offset: FloatProperty(description="Frames this camera is ahead of the reference camera on "
                                               "the timeline (the user's sync)")
    calibration: BoolProperty(description="A calibration clip for the volume, not a camera of the take")
    lens: StringProperty(description="The lens sent for this camera's calibration clip; empty: the default")
    clip_start: FloatProperty(description="Start of the strip's visible part in its video, seconds")
    clip_end: FloatProperty(description="End of the strip's visible part in its video, seconds")


class MoveVolumeRecord(bpy.types.PropertyGroup):
    """A volume (calibrated camera set-up) made from this file; a FINISHED one serves later takes."""
    volume_id: StringProperty(name="Volume", description="Move's id of the volume")
    labels: StringProperty(description="The device labels of its cameras, sorted, comma separated")
    calibration_videos: StringProperty(description="The calibration videos it was made from, one a line")
    state: StringProperty(name="State", description="Move's state of the volume")
    percentage: IntProperty(min=0, max=100, description="Move's progress of the calibration")
    failure_reason: StringProperty(description="Why Move could not calibrate the cameras")
    human_height: FloatProperty(unit="LENGTH", description="The height of the person it was calibrated from")
    area_type: StringProperty(description="The area type it was calibrated for")


class MoveMulticamSettings(bpy.types.PropertyGroup):
    """The scene's multicam settings and its volumes."""
    human_height: FloatProperty(
        name="Person's Height", default=1.75, min=0.5, max=2.5, unit="LENGTH", precision=2,
        description="Height of the person filmed in the calibration clips (Move takes the scale from it)")
    area_type: EnumProperty(name="Area", items=AREA_TYPES, default="NORMAL",
                            description="The size of the capture area the cameras cover")
    lens: StringProperty(
        name="Lens", default="",
        description="The cameras' lens, as Move names it in listCameraSettings (e.g. iphone-main-wide); "
                    "empty: the first lens Move lists. A strip's own Lens wins")
    volumes: CollectionProperty(type=MoveVolumeRecord, description="Volumes calibrated from this file")


class MoveStripSettings(bpy.types.PropertyGroup):
    """Per strip: is it a calibration clip, and which camera filmed it."""
    calibration: BoolProperty(
        name="Calibration Clip", default=False,
        description="This strip is a calibration recording (a person walking through the area), used to "
                    "calibrate the cameras instead of the take's own clips")
    camera: StringProperty(
        name="Camera", default="",
        description="The camera this strip was filmed with (Move's device label); empty: the strip's name")
    lens: StringProperty(
        name="Lens", default="",
        description="This camera's lens as Move names it (listCameraSettings); empty: the scene's Lens")


def strip_type():
    """The strip base type: Strip in 5.0, Sequence in 4.2."""
    return getattr(bpy.types, "Strip", None) or getattr(bpy.types, "Sequence")


def strip_label(strip) -> str:
    settings = getattr(strip, "move_ai", None)
    return (settings.camera.strip() if settings is not None else "") or strip.name


def strip_lens(strip) -> str:
    settings = getattr(strip, "move_ai", None)
    return settings.lens.strip() if settings is not None else ""


def is_calibration(strip) -> bool:
    settings = getattr(strip, "move_ai", None)
    return bool(settings is not None and settings.calibration)


# MoveCameraSource is registered by state.py, before the job record that holds it.
_register, _unregister = classes_factory((MoveVolumeRecord, MoveMulticamSettings, MoveStripSettings))


def register() -> None:
    _register()
    scene_type: Any = bpy.types.Scene
    scene_type.move_ai_multicam = bpy.props.PointerProperty(type=MoveMulticamSettings)
    strip_type().move_ai = bpy.props.PointerProperty(type=MoveStripSettings)


def unregister() -> None:
    del strip_type().move_ai
    scene_type: Any = bpy.types.Scene
    del scene_type.move_ai_multicam
    _unregister()
