# SPDX-License-Identifier: GPL-3.0-or-later
"""What the add-on keeps in the .blend: one record per Move job on the Scene (never the API key).

Ids are written the moment the server gives them, so a saved file can watch a job again after a reload.
"""

import uuid

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

from .job_options import MoveJobOptions
from .multicam_state import MoveCameraSource
from .registration import classes_factory

IMPORT_FORMATS = [("fbx", "FBX", "Import Move's FBX with Blender's FBX importer"),
                  ("blend", ".blend", "Append the armature and its action from Move's .blend")]

# record.stage: where the add-on is with a job (job_state is Move's own state)
STAGES = [
    ("NEW", "New", "Recorded; nothing sent to Move yet"),
    ("UPLOADING", "Uploading", "The strip's video is being uploaded"),
    ("UPLOADED", "Uploaded", "The video is on Move; no take yet"),
    ("TAKE", "Take", "Creating the take, or the take exists and no job yet"),
    ("JOB", "Job", "Creating the job"),
    ("WATCHING", "Watching", "Watching the job at Move until it ends"),
    ("DOWNLOADING", "Downloading", "Downloading the job's outputs"),
    ("DOWNLOADED", "Downloaded", "The outputs are on disk, not imported"),
    ("IMPORTED", "Imported", "The animated skeleton is in the scene"),
    ("FAILED", "Failed", "Move failed the job, or a step failed on this side"),
    ("STOPPED", "Stopped", "Watching was stopped; the job goes on at Move"),
]
# stages in which the panel shows a progress bar
BUSY_STAGES = ("UPLOADING", "WATCHING", "DOWNLOADING")


class MoveJobRecord(bpy.types.PropertyGroup):
    """One capture of one strip: its server ids, state, options and downloaded files."""
    uid: StringProperty(description="This record's own id, for operators and sessions")
    strip_name: StringProperty(name="Strip", description="The movie strip the job was made from")
    video_path: StringProperty(subtype="FILE_PATH", description="The strip's video file")
    file_id: StringProperty(name="File", description="Move's id of the uploaded video")
    take_id: StringProperty(name="Take", description="Move's id of the take")
    job_id: StringProperty(name="Job", description="Move's id of the job")
    stage: EnumProperty(name="Stage", items=STAGES, default="NEW",
                        description="Where the add-on is with this job")
    job_state: StringProperty(name="State", description="Move's state of the job")
    percentage: IntProperty(min=0, max=100, description="Move's progress of the job")
    progress: FloatProperty(min=0.0, max=1.0, description="Progress of the running upload or download")
    message: StringProperty(description="The last thing worth telling the user about this job")
    failure_reason: StringProperty(description="Why Move failed the job")
    options: PointerProperty(type=MoveJobOptions, description="The options the job was sent with")
    clip_start: FloatProperty(description="Start of the strip's visible part in the video, seconds")
    clip_end: FloatProperty(description="End of the strip's visible part in the video, seconds")
    strip_start: IntProperty(description="Scene frame of the strip's first visible frame")
    video_fps: FloatProperty(description="The video's frame rate")
    import_format: EnumProperty(items=IMPORT_FORMATS, default="fbx",
                                description="The output format to download and import")
    want_overlay: BoolProperty(description="Also download the overlay video")
    auto_import: BoolProperty(description="Import the output as soon as it is downloaded")
    download_dir: StringProperty(subtype="DIR_PATH", description="Where the outputs are saved")
    output_path: StringProperty(subtype="FILE_PATH", description="The downloaded output")
    overlay_path: StringProperty(subtype="FILE_PATH", description="The downloaded overlay video")
    imported_object: StringProperty(description="The armature the import made")
    imported_collection: StringProperty(description="The collection the import went into")
    overlay_strip: StringProperty(description="The overlay strip the import added")
    job_requested: BoolProperty(
        description="Creating the job was started: a job may exist at Move even without its id here")
    # multicam (empty for a single-camera job): the cameras, the volume, the sync the job used
    cameras: CollectionProperty(type=MoveCameraSource, description="The cameras of a multicam job")
    volume_id: StringProperty(name="Volume", description="Move's id of the multicam take's volume")
    sync_offsets: StringProperty(description="The sync Move reports the job used (JSON); '{}': none")

    @property
    def can_watch(self) -> bool:
        """A job exists, Move has not failed it, and its result has not been fetched yet. A watch
        that failed on our side (network, disk) can be watched again: the job goes on at Move."""
        if not self.job_id:  # stopped while Move created it: found again by the record's uid
            return self.job_requested and bool(self.take_id) and self.stage in ("STOPPED", "FAILED", "JOB")
        if self.stage == "IMPORTED" or self.job_state == "FAILED":
            return False
        return self.job_state != "FINISHED" or not self.output_path


class MoveSceneState(bpy.types.PropertyGroup):
    """The scene's Move jobs and its own job options."""
    jobs: CollectionProperty(type=MoveJobRecord, description="Every Move job made from this scene")
    active_job_index: IntProperty(name="Job", description="The job shown in detail below the list")
    use_custom_options: BoolProperty(
        name="Options for this scene",
        description="Send this scene's options instead of the defaults from the add-on preferences",
        default=False)
    options: PointerProperty(type=MoveJobOptions, description="This scene's job options")


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


_register_classes, _unregister_classes = classes_factory((MoveJobOptions, MoveCameraSource, MoveJobRecord,
                                                                MoveSceneState))


def register() -> None:
    _register_classes()
    bpy.types.Scene.move_ai = PointerProperty(type=MoveSceneState)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.Scene.move_ai  # type: ignore[attr-defined]
    _unregister_classes()

