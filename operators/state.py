# SPDX-License-Identifier: GPL-3.0-or-later
"""What the add-on keeps in the .blend: one record per Move job on the Scene (never the API key).

Ids are written the moment the server gives them, so a saved file can resume a job after a reload.
"""

import uuid

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

MOCAP_MODELS = [("S2", "S2", "Single-camera model with hand tracking"),
                ("S1", "S1", "Single-camera model, body only")]
IMPORT_FORMATS = [("fbx", "FBX", "Import Move's FBX with Blender's FBX importer"),
                  ("blend", ".blend", "Append the armature and its action from Move's .blend")]

# record.stage: where the add-on is with a job (job_state is Move's own state)
STAGES = ("NEW", "UPLOADING", "UPLOADED", "TAKE", "JOB", "POLLING", "DOWNLOADING", "DOWNLOADED",
          "IMPORTED", "FAILED", "STOPPED")


class MoveJobOptions(bpy.types.PropertyGroup):
    """Options sent with a job (per scene; the add-on preferences hold the defaults)."""
    mocap_model: EnumProperty(name="Model", items=MOCAP_MODELS, default="S2")  # type: ignore[valid-type]
    track_fingers: BoolProperty(name="Fingers", default=False)  # type: ignore[valid-type]
    track_ball: BoolProperty(name="Ball", default=False)  # type: ignore[valid-type]
    floor_plane: BoolProperty(name="Floor plane", default=True)  # type: ignore[valid-type]

    def as_api(self) -> dict:
        return {"mocapModel": self.mocap_model, "trackFingers": self.track_fingers,
                "trackBall": self.track_ball, "floorPlane": self.floor_plane}

    def copy_from(self, other) -> None:
        for name in ("mocap_model", "track_fingers", "track_ball", "floor_plane"):
            setattr(self, name, getattr(other, name))


class MoveJobRecord(bpy.types.PropertyGroup):
    """One capture of one strip: its server ids, state, options and downloaded files."""
    uid: StringProperty()  # type: ignore[valid-type]
    strip_name: StringProperty(name="Strip")  # type: ignore[valid-type]
    video_path: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    file_id: StringProperty(name="File")  # type: ignore[valid-type]
    take_id: StringProperty(name="Take")  # type: ignore[valid-type]
    job_id: StringProperty(name="Job")  # type: ignore[valid-type]
    stage: StringProperty(default="NEW")  # type: ignore[valid-type]
    job_state: StringProperty(name="State")  # type: ignore[valid-type]
    percentage: IntProperty(min=0, max=100)  # type: ignore[valid-type]
    progress: FloatProperty(min=0.0, max=1.0)  # type: ignore[valid-type]
    message: StringProperty()  # type: ignore[valid-type]
    failure_reason: StringProperty()  # type: ignore[valid-type]
    options: PointerProperty(type=MoveJobOptions)  # type: ignore[valid-type]
    clip_start: FloatProperty()  # type: ignore[valid-type]
    clip_end: FloatProperty()  # type: ignore[valid-type]
    strip_start: IntProperty()  # type: ignore[valid-type]
    video_fps: FloatProperty()  # type: ignore[valid-type]
    import_format: EnumProperty(items=IMPORT_FORMATS, default="fbx")  # type: ignore[valid-type]
    want_overlay: BoolProperty()  # type: ignore[valid-type]
    auto_import: BoolProperty()  # type: ignore[valid-type]
    download_dir: StringProperty(subtype="DIR_PATH")  # type: ignore[valid-type]
    output_path: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    overlay_path: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    imported_object: StringProperty()  # type: ignore[valid-type]

    @property
    def is_resumable(self) -> bool:
        """A job exists, Move has not failed it, and its result has not been fetched yet. A watch
        that failed on our side (network, disk) is resumable: the job goes on at Move."""
        if not self.job_id or self.stage == "IMPORTED" or self.job_state == "FAILED":
            return False
        return self.job_state != "FINISHED" or not self.output_path


class MoveSceneState(bpy.types.PropertyGroup):
    jobs: CollectionProperty(type=MoveJobRecord)  # type: ignore[valid-type]
    active_job_index: IntProperty()  # type: ignore[valid-type]
    use_custom_options: BoolProperty(
        name="Options for this scene",
        description="Send this scene's options instead of the defaults from the add-on preferences",
        default=False)  # type: ignore[valid-type]
    options: PointerProperty(type=MoveJobOptions)  # type: ignore[valid-type]


def new_record(scene) -> MoveJobRecord:
    record = scene.move_ai.jobs.add()
    record.uid = uuid.uuid4().hex
    return record


def find_record(scene, uid: str) -> MoveJobRecord | None:
    if scene is None:
        return None
    return next((r for r in scene.move_ai.jobs if r.uid == uid), None)


def remove_record(scene, uid: str) -> None:
    jobs = scene.move_ai.jobs
    for index, record in enumerate(jobs):
        if record.uid == uid:
            jobs.remove(index)
            return


def latest_record(scene, need: str = "", lacking: str = "") -> MoveJobRecord | None:
    """The newest record that has attribute `need` set and `lacking` unset (for the step operators)."""
    for record in reversed(list(scene.move_ai.jobs)):
        if (not need or getattr(record, need)) and (not lacking or not getattr(record, lacking)):
            return record
    return None


CLASSES = (MoveJobOptions, MoveJobRecord, MoveSceneState)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.move_ai = PointerProperty(type=MoveSceneState)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.Scene.move_ai  # type: ignore[attr-defined]
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
