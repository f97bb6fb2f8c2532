# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe Pose (and Hands) over the frames of a clip window, following one person.

Uses the legacy `mediapipe.solutions` API with the full landmark model (in the mediapipe 0.10.14
wheel) or the heavy one (fetched at setup, see models.py); nothing is downloaded at run time. With several people in view the
largest one at the start is chosen (the actor) and tracked inside a crop around it; each detection
must continue the actor's last one (ActorFollower), so neither MediaPipe's tracker nor its
re-detection can hand the take to somebody else: frames without the actor are left empty (lost),
to be bridged by interpolation, and the people in view are counted every few seconds (4 s by default).
Frames are decoded in a thread ahead of MediaPipe, and the counts after the start run beside the
tracking on their own graph: what MediaPipe sees, and so the track, is the same as in a plain loop.
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .models import make_pose

# MediaPipe Pose landmark indices used across the package.
NOSE, L_EAR, R_EAR = 0, 7, 8
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_PINKY, R_PINKY, L_INDEX, R_INDEX, L_THUMB, R_THUMB = 17, 18, 19, 20, 21, 22
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28
L_HEEL, R_HEEL, L_FOOT, R_FOOT = 29, 30, 31, 32
N_LANDMARKS = 33
N_HAND = 21

#: MediaPipe's skeleton edges (for drawing overlays).
POSE_EDGES = [
    (L_SHOULDER, R_SHOULDER), (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST), (R_SHOULDER, R_ELBOW),
    (R_ELBOW, R_WRIST), (L_SHOULDER, L_HIP), (R_SHOULDER, R_HIP), (L_HIP, R_HIP), (L_HIP, L_KNEE),
    (L_KNEE, L_ANKLE), (R_HIP, R_KNEE), (R_KNEE, R_ANKLE), (L_ANKLE, L_HEEL), (L_HEEL, L_FOOT),
    (L_ANKLE, L_FOOT), (R_ANKLE, R_HEEL), (R_HEEL, R_FOOT), (R_ANKLE, R_FOOT),
]


class NoPersonFound(Exception):
    """MediaPipe found nobody in the clip window."""


@dataclass
class PoseTrack:
    """What MediaPipe saw, one row per frame of the clip window; NaN where the person was not found."""
    fps: float
    width: int  # source frame size in pixels
    height: int
    start_frame: int  # index in the video of row 0
    image_xy: np.ndarray  # (F, 33, 2) pixels of the source frame
    visibility: np.ndarray  # (F, 33)
    world: np.ndarray  # (F, 33, 3) MediaPipe world landmarks: metres, hip-centred, camera axes (x right, y down, z away)
    hands_world: np.ndarray | None = None  # (F, 2, 21, 3) left, right; NaN where not seen
    hands_xy: np.ndarray | None = None  # (F, 2, 21, 2) pixels
    people_at_start: int = 1
    people_seen: int = 1  # the most people in view at any count (at the start and every few seconds)
    others_rejected: int = 0  # frames where MediaPipe's detection did not continue the actor's
    seconds: float = 0.0  # wall time spent in decoding + MediaPipe
    notes: dict = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return int(self.image_xy.shape[0])

    @property
    def found(self) -> np.ndarray:
        return np.isfinite(self.image_xy[:, 0, 0])


def _landmark_array(landmarks, w: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    pts = np.array([(lm.x * w, lm.y * h, getattr(lm, "visibility", 1.0)) for lm in landmarks.landmark])
    return pts[:, :2], pts[:, 2]


def _bbox(xy: np.ndarray) -> tuple[float, float, float, float]:
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


def _area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def find_people(rgb: np.ndarray, max_people: int = 4, pose=None) -> list[tuple[float, float, float, float]]:
    """Bounding boxes (pixels) of the people in one image: detect, paint the person out, repeat.
    `pose`: a static-image MediaPipe Pose to reuse (one is made and closed otherwise)."""
    import contextlib

    import mediapipe as mp

    image = rgb.copy()
    h, w = image.shape[:2]
    boxes = []
    fill = np.median(image.reshape(-1, 3), axis=0).astype(np.uint8)
    own = pose is None
    with (mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) if own
          else contextlib.nullcontext(pose)) as pose:
        for _ in range(max_people):
            result = pose.process(image)
            if result.pose_landmarks is None:
                break
            xy, vis = _landmark_array(result.pose_landmarks, w, h)
            box = _bbox(xy[vis > 0.3] if (vis > 0.3).sum() >= 4 else xy)
            boxes.append(box)
            pad_x, pad_y = 0.1 * (box[2] - box[0]) + 4, 0.1 * (box[3] - box[1]) + 4
            x0, y0 = int(max(0, box[0] - pad_x)), int(max(0, box[1] - pad_y))
            x1, y1 = int(min(w, box[2] + pad_x)), int(min(h, box[3] + pad_y))
            if x1 <= x0 or y1 <= y0:
                break
            image[y0:y1, x0:x1] = fill
    return boxes


class ActorFollower:
    """Is this detection still the actor? MediaPipe's tracker keeps whoever it last saw in its region,
    and re-detection picks anybody, so each detection must continue the actor's last accepted one:
    its box near where the actor was (allowing for the frames since), of a similar size, and its
    keypoints, shifted by the box's move, near the actor's. Otherwise the frame is lost, not given
    to someone else."""

    def __init__(self, fps: float, body_per_second: float = 1.5, resize_per_frame: float = 1.1,
                 resize_jitter: float = 1.05, resize_per_second: float = 3.0, max_resize: float = 1.3,
                 pose_change: float = 0.08, max_pose_change: float = 0.2):
        self.step = body_per_second / max(fps, 1.0)  # how far (in body heights) the actor may move per frame
        # How much the body's box may grow or shrink per frame: 1.10 (tuned at 25 fps), and at a low frame
        # rate at least MediaPipe's jitter times what a person does in a frame's time (standing up from a
        # squat: 1.5x in 0.4 s): 1.15 at 12.5 fps, where 1.10 refused a person standing up, for good.
        self.resize_step = max(resize_per_frame, resize_jitter * resize_per_second ** (1.0 / max(fps, 1.0)))
        self.max_resize = max_resize
        self.pose_change, self.max_pose_change = pose_change, max_pose_change
        self.last_xy: np.ndarray | None = None
        self.last_box: tuple[float, float, float, float] | None = None  # of the body (_BODY)
        self.crop_box: tuple[float, float, float, float] | None = None  # of everything seen, arms included
        self.gap = 0  # frames since the last accepted detection

    def accept(self, xy: np.ndarray, vis: np.ndarray) -> bool:
        """Record and return whether this frame's detection (or None) is the actor."""
        if xy is None:
            self.gap += 1
            return False
        box = _bbox(xy[_BODY])
        if self.last_box is not None and not self._continues(xy, box):
            self.gap += 1
            return False
        self.last_xy, self.last_box, self.gap = xy.copy(), box, 0
        self.crop_box = _bbox(xy[vis > 0.3] if (vis > 0.3).sum() >= 4 else xy)
        return True

    def _continues(self, xy: np.ndarray, box) -> bool:
        size = max(_height(self.last_box), 1.0)
        frames = self.gap + 1
        allowance = min(1.0, 0.1 + self.step * frames)  # in body heights
        moved = np.subtract(_centre(box), _centre(self.last_box))
        if np.hypot(*moved) > allowance * size:
            return False
        ratio = _height(box) / size
        # A person's size in the picture changes slowly (walking toward the camera: ~2% a frame at 30 fps).
        resize = min(self.resize_step ** frames, self.max_resize)
        if not 1 / resize <= ratio <= resize:
            return False
        # Keypoints against the last accepted ones, carried by the box's move: another person at the
        # same place has another pose. Either labelling counts: MediaPipe's own left/right swaps are
        # the actor still (sides.py undoes them).
        shifted = xy - moved
        change = min(np.median(np.linalg.norm(shifted - self.last_xy, axis=-1)),
                     np.median(np.linalg.norm(shifted[_MIRROR] - self.last_xy, axis=-1))) / size
        return bool(change <= min(self.pose_change + 0.4 * self.step * frames, self.max_pose_change))


#: Head, shoulders, hips, legs: the landmarks whose box measures a person (arms would change it
#: with every gesture); all of them, seen or guessed, so the box does not jump with visibility.
_BODY = np.array(list(range(0, 13)) + list(range(23, 33)))

#: Each landmark's mirror image (left <-> right).
_MIRROR = np.array([0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9] + [i + 1 if i % 2 else i - 1 for i in range(11, 33)])


def _height(box) -> float:
    return max(box[3] - box[1], box[2] - box[0])


def _centre(box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


class _Crop:
    """A square-ish window around the tracked person that moves only when the person nears its edge,
    because MediaPipe's tracker carries its region of interest over from the previous frame."""

    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self.box = (0, 0, w, h)

    def around(self, person: tuple[float, float, float, float], gap: int) -> None:
        """Where to look for a lost actor: around their last box, wider the longer they are lost."""
        size = _height(person)
        half = (0.8 + 0.1 * gap) * size + 8
        cx, cy = _centre(person)
        self.box = (int(max(0, cx - half)), int(max(0, cy - half)),
                    int(min(self.w, cx + half)), int(min(self.h, cy + half)))

    def follow(self, person: tuple[float, float, float, float], force: bool = False) -> None:
        px0, py0, px1, py1 = person
        size = max(px1 - px0, py1 - py0)
        cx0, cy0, cx1, cy1 = self.box
        csize = max(cx1 - cx0, cy1 - cy0)
        margin = 0.08 * csize
        inside = px0 > cx0 + margin and py0 > cy0 + margin and px1 < cx1 - margin and py1 < cy1 - margin
        if inside and not force and size > 0.45 * csize:
            return
        half = 0.8 * size + 8
        cx, cy = (px0 + px1) / 2, (py0 + py1) / 2
        self.box = (int(max(0, cx - half)), int(max(0, cy - half)),
                    int(min(self.w, cx + half)), int(min(self.h, cy + half)))


def track_pose(video_path: Path, clip_window: tuple[float, float] | None = None, track_hands: bool = False,
               progress: Callable[[int, int], None] | None = None, max_side: int = 640, actor: int = 0,
               census_seconds: float = 4.0, model: str = "full", info=None,
               pick_person: Callable[[int, list], int] | None = None) -> PoseTrack:
    """Run MediaPipe over the clip window. `progress(done, total)` is called as frames complete.
    `actor`: which of the people in view at the start to follow, by size (0: the largest). Every
    `census_seconds` the people in view are counted again (for the job's metadata). `model`: the
    pose landmark model, "full" (in the wheel) or "heavy" (fetched at setup, see models.py). `info`:
    the video's VideoInfo when already probed (probing counts the frames: a decode pass).
    `pick_person(row, boxes)` may choose whom to follow instead (boxes in source pixels, returns an
    index), as multicam does to follow the person the other cameras see."""
    import mediapipe as mp

    from ..video import frame_range, probe_video, read_frames

    t0 = time.perf_counter()
    info = info or probe_video(video_path)
    window = frame_range(info, clip_window)
    fps, w, h, first, count = info.fps, info.width, info.height, window.start, len(window)
    scale = min(1.0, max_side / max(w, h))  # the models see 256 px crops; smaller frames decode/convert faster
    sw, sh = int(round(w * scale)), int(round(h * scale))
    frames = _Prefetched(read_frames(video_path, window, info), None if scale >= 1.0 else (sw, sh))

    image_xy = np.full((count, N_LANDMARKS, 2), np.nan)
    visibility = np.zeros((count, N_LANDMARKS))
    world = np.full((count, N_LANDMARKS, 3), np.nan)
    hands_world = np.full((count, 2, N_HAND, 3), np.nan) if track_hands else None
    hands_xy = np.full((count, 2, N_HAND, 2), np.nan) if track_hands else None

    crop = _Crop(sw, sh)
    census = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
    pose = make_pose(model, static_image_mode=False, smooth_landmarks=False, min_detection_confidence=0.5,
                     min_tracking_confidence=0.5)
    hands = mp.solutions.hands.Hands(static_image_mode=False, max_num_hands=2, model_complexity=1) if track_hands else None
    follower = ActorFollower(fps)
    census_every = max(1, int(round(census_seconds * fps)))
    people_at_start = people_seen = 0
    others_rejected = 0
    chosen = False
    # Counts after the start only feed the metadata: they run beside the tracking, on their own graph.
    counting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="census")
    counts = []
    try:
        for i, rgb in enumerate(frames):
            if chosen and i % census_every == 0:
                counts.append(counting.submit(find_people, rgb, pose=census))
            elif not chosen:
                boxes = find_people(rgb, pose=census)
                people_seen = max(people_seen, len(boxes))
                if boxes and not chosen:
                    people_at_start = len(boxes)
                    if pick_person is not None:
                        pick = pick_person(i, [tuple(v / scale for v in b) for b in boxes])
                    else:
                        pick = sorted(range(len(boxes)), key=lambda k: _area(boxes[k]),
                                      reverse=True)[min(actor, len(boxes) - 1)]
                    crop.follow(boxes[pick], force=True)
                    chosen = True
            if chosen:
                x0, y0, x1, y1 = crop.box
                sub = np.ascontiguousarray(rgb[y0:y1, x0:x1])
                result = pose.process(sub)
                xy = vis = None
                if result.pose_landmarks is not None:
                    xy, vis = _landmark_array(result.pose_landmarks, x1 - x0, y1 - y0)
                    xy += (x0, y0)
                if follower.accept(xy, vis):
                    image_xy[i] = xy / scale
                    visibility[i] = vis
                    world[i] = [(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark]
                    crop.follow(follower.crop_box)
                    if hands is not None:
                        _hands_into(hands.process(sub), xy, (x0, y0, x1, y1), scale, i, hands_world, hands_xy)
                else:
                    if xy is not None:  # somebody (or something) else
                        others_rejected += 1
                        if follower.gap == 1:  # make MediaPipe let go of it (a reset reloads its models: once)
                            pose.reset()
                    if follower.crop_box is not None:
                        crop.around(follower.crop_box, follower.gap)
            if progress is not None:
                progress(i + 1, count)
        people_seen = max([people_seen] + [len(c.result()) for c in counts])
    finally:
        counting.shutdown(cancel_futures=True)
        pose.close()
        census.close()
        frames.close()
        if hands is not None:
            hands.close()
    if not np.isfinite(image_xy[:, 0, 0]).any():
        raise NoPersonFound()
    return PoseTrack(fps=fps, width=w, height=h, start_frame=first, image_xy=image_xy, visibility=visibility,
                     world=world, hands_world=hands_world, hands_xy=hands_xy, people_at_start=people_at_start,
                     people_seen=max(people_seen, people_at_start), others_rejected=others_rejected,
                     seconds=time.perf_counter() - t0)


class _Prefetched:
    """The frames of a read_frames generator, decoded (and scaled to `size`) in a thread a few frames
    ahead of MediaPipe: ffmpeg's pipe and the resize then wait beside the inference, not before it."""

    _END = object()

    def __init__(self, frames, size: tuple[int, int] | None, depth: int = 8):
        self._frames, self._size = frames, size
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._decode, name="decode", daemon=True)
        self._thread.start()

    def _decode(self) -> None:
        import cv2

        try:
            for rgb in self._frames:
                if self._size is not None:
                    rgb = cv2.resize(rgb, self._size, interpolation=cv2.INTER_AREA)
                if not self._put(rgb):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the reader (ProcessingFailed on a broken file)
            self._put(exc)
        finally:
            self._frames.close()  # the generator runs in this thread, so it is closed here

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _hands_into(result, pose_xy, box, scale, i, hands_world, hands_xy) -> None:
    """Store the hands MediaPipe Hands found, each assigned to the nearer pose wrist."""
    if not result.multi_hand_landmarks:
        return
    x0, y0, x1, y1 = box
    taken = set()
    for lms, wlms in zip(result.multi_hand_landmarks, result.multi_hand_world_landmarks):
        xy = np.array([(p.x * (x1 - x0) + x0, p.y * (y1 - y0) + y0) for p in lms.landmark])
        d = [np.linalg.norm(xy[0] - pose_xy[L_WRIST]), np.linalg.norm(xy[0] - pose_xy[R_WRIST])]
        side = int(np.argmin(d))
        if side in taken or d[side] > 0.6 * np.linalg.norm(pose_xy[L_SHOULDER] - pose_xy[R_SHOULDER]) + 20:
            continue
        taken.add(side)
        hands_xy[i, side] = xy / scale
        hands_world[i, side] = [(p.x, p.y, p.z) for p in wlms.landmark]
