# SPDX-License-Identifier: GPL-3.0-or-later
"""A PNG a person can look at: video frames beside the imported skeleton rendered at the same frames."""
from __future__ import annotations

import tempfile
from pathlib import Path

import bpy
import numpy as np
from mathutils import Vector
from PIL import Image, ImageDraw

from local_server.video import probe_video, read_frames


def _bounds(scene, armature, frame: int) -> tuple[np.ndarray, np.ndarray]:
    scene.frame_set(frame)
    points = [np.array(armature.matrix_world @ Vector(p)) for b in armature.pose.bones for p in (b.head, b.tail)]
    return np.min(points, axis=0), np.max(points, axis=0)


def _front_camera(scene, armature, frames: list[int], aspect: float):
    """An orthographic camera in front of the character (-Y), one scale for every frame, re-centred
    on the character at each frame (see `_render_frames`)."""
    size = max(max(hi[2] - lo[2], (hi[0] - lo[0]) / aspect) for lo, hi in (_bounds(scene, armature, f) for f in frames))
    cam_data = bpy.data.cameras.new("ContactSheetCamera")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = size * 1.2 * max(1.0, aspect)
    camera = bpy.data.objects.new("ContactSheetCamera", cam_data)
    scene.collection.objects.link(camera)
    camera.rotation_euler = (np.pi / 2, 0.0, 0.0)  # look along +Y
    return camera


def _render_frames(scene, armature, camera, frames: list[int], width: int, height: int, out_dir: Path) -> list[Path]:
    render = scene.render
    saved = (scene.camera, render.engine, render.resolution_x, render.resolution_y,
             render.resolution_percentage, render.filepath, render.film_transparent, render.use_sequencer)
    scene.camera = camera
    render.use_sequencer = False  # render the 3D scene, not the strips in the VSE
    render.engine = "BLENDER_WORKBENCH"
    render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
    render.film_transparent = False
    render.image_settings.file_format = "PNG"
    shading = scene.display.shading
    shading.light, shading.color_type = "STUDIO", "OBJECT"
    if scene.world is None:  # Workbench renders the world colour as the background
        scene.world = bpy.data.worlds.new("ContactSheetWorld")
    world_color = tuple(scene.world.color)
    scene.world.color = (0.8, 0.8, 0.8)
    paths = []
    try:
        for frame in frames:
            lo, hi = _bounds(scene, armature, frame)
            camera.location = ((lo[0] + hi[0]) / 2, lo[1] - 5.0, (lo[2] + hi[2]) / 2)
            path = out_dir / f"skeleton_{frame:05d}.png"
            render.filepath = str(path)
            bpy.ops.render.render(write_still=True)
            paths.append(path)
    finally:
        (scene.camera, render.engine, render.resolution_x, render.resolution_y,
         render.resolution_percentage, render.filepath, render.film_transparent, render.use_sequencer) = saved
        scene.world.color = world_color
    return paths


def write_contact_sheet(scene, armature, strip, video_path: Path, out_png: Path, columns: int = 6,
                        tile_height: int = 360) -> list[int]:
    """Render `columns` frames spread over the strip; each column: the video frame over the skeleton.

    Returns the scene frames shown. The video frame for scene frame f is video frame
    f - strip.frame_start (one scene frame per video frame, as the VSE plays a movie strip).
    """
    first, last = strip.frame_final_start, strip.frame_final_end - 1
    frames = sorted({int(round(x)) for x in np.linspace(first, last, columns)})
    info = probe_video(video_path)
    tile_w = max(2, int(round(tile_height * info.width / info.height)))
    video_index = {f: int(f - strip.frame_start) for f in frames}
    wanted = range(min(video_index.values()), max(video_index.values()) + 1)
    video_tiles = {}
    for index, pixels in zip(wanted, read_frames(video_path, wanted, info)):
        if index in video_index.values():
            video_tiles[index] = Image.fromarray(np.asarray(pixels)).resize((tile_w, tile_height))
    camera = _front_camera(scene, armature, frames, tile_w / tile_height)
    with tempfile.TemporaryDirectory() as tmp:
        renders = _render_frames(scene, armature, camera, frames, tile_w, tile_height, Path(tmp))
        skeleton_tiles = [Image.open(p).convert("RGB") for p in renders]
    bpy.data.objects.remove(camera)

    label_h = 28
    sheet = Image.new("RGB", (tile_w * len(frames), tile_height * 2 + label_h), "white")
    draw = ImageDraw.Draw(sheet)
    for col, frame in enumerate(frames):
        sheet.paste(video_tiles[video_index[frame]], (col * tile_w, label_h))
        sheet.paste(skeleton_tiles[col], (col * tile_w, label_h + tile_height))
        draw.text((col * tile_w + 6, 8), f"frame {frame}", fill="black")
    out_png.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out_png)
    return frames
