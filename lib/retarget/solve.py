# SPDX-License-Identifier: GPL-3.0-or-later
"""Retarget a source animation onto a target rig, all frames at once in numpy.

Directions, not angles: after rest alignment each mapped target bone points, in world space, where
its source bone points. With D(f) = Rs(f) Rs0^T the source bone's change from its rest (a T-pose)
and A the smallest rotation that turns the target bone's reference direction onto the source's rest
direction, the target's world rotation is Rt(f) = D(f) A Rt0; its Y axis (the bone) is then exactly
the source bone's Y axis, whatever the target's rest (A-pose), rolls or proportions. The reference
Rt0 is the target's rest, or its current pose when the user posed it to match the source's rest.

World rotations become local ones through the target's own hierarchy: between a mapped bone and its
nearest mapped ancestor the rig is taken as rigid, as it is at the moment of the retarget (unmapped
twist bones, Rigify's mechanism bones and their constraints included, read once from Blender's
evaluated pose), so no per-frame evaluation in Blender is needed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import contacts
from .presets import UNALIGNED_ROLES, Pair
from .rotations import affine_inverse, bone_frame, orthonormal, swing

ROOT_MOTIONS = ("HIPS", "ROOT", "IN_PLACE")


@dataclass
class SourceMotion:
    names: list[str]
    world: np.ndarray  # (frames, bones, 4, 4) posed bone matrices in world space
    rest_world: np.ndarray  # (bones, 4, 4) rest matrices in world space
    fps: float = 24.0

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class TargetRig:
    names: list[str]  # parent before child
    parents: list[int]  # index into names, -1 for none
    rest_world: np.ndarray  # (bones, 4, 4)
    pose_world: np.ndarray  # (bones, 4, 4) the current evaluated pose (constraints included)
    basis: np.ndarray  # (bones, 4, 4) current matrix_basis of each bone
    object_world: np.ndarray = field(default_factory=lambda: np.eye(4))
    #: What each bone follows, as (bone index or -1, weight) summing to 1, where that is not just
    #: its parent: a constraint that copies another bone's transform at influence w takes weight w
    #: from what came before it (Rigify's ORG and MCH bones follow controls that are not parents).
    follows: list[list[tuple[int, float]]] | None = None

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class Options:
    root_motion: str = "HIPS"
    foot_lock: bool = False
    match_current_pose: bool = False
    root_bone: str = ""  # target bone for ROOT; "" moves the object
    lock: contacts.LockSettings = field(default_factory=contacts.LockSettings)


@dataclass
class Result:
    frames: int
    rotations: dict[str, np.ndarray]  # target bone -> (frames, 3, 3) local rotation (matrix_basis)
    locations: dict[str, np.ndarray]  # target bone -> (frames, 3) local location, keyed bones only
    object_offsets: np.ndarray | None  # (frames, 3) world translation to add to the object (ROOT)
    world: dict[str, np.ndarray]  # target bone -> (frames, 4, 4) predicted world matrices
    contacts: list[contacts.Contact]
    leg_ratio: float


def _rot(m: np.ndarray) -> np.ndarray:
    return bone_frame(m[..., :3, :3])


def _leg_length(pos: dict[str, np.ndarray], side: str) -> float | None:
    try:
        return float(np.linalg.norm(pos[f"shin.{side}"] - pos[f"thigh.{side}"])
                     + np.linalg.norm(pos[f"foot.{side}"] - pos[f"shin.{side}"]))
    except KeyError:
        return None


def leg_ratio(src_rest: dict[str, np.ndarray], tgt_ref: dict[str, np.ndarray]) -> float:
    """Target leg length over the source's (thigh head -> shin head -> foot head), both sides."""
    ratios = []
    for side in "LR":
        s, t = _leg_length(src_rest, side), _leg_length(tgt_ref, side)
        if s and t:
            ratios.append(t / s)
    if ratios:
        return float(np.mean(ratios))
    if "hips" in src_rest and "hips" in tgt_ref and src_rest["hips"][2] > 1e-6:
        return float(tgt_ref["hips"][2] / src_rest["hips"][2])
    return 1.0


class _Chain:
    """Local matrices from world ones through the target's hierarchy (see the module docstring).

    Each driven bone hangs from its nearest driven bones up its parents and followed bones, each
    with a weight; the rig in between is taken as it is now, and weighted follows are blended."""

    def __init__(self, rig: TargetRig, driven: list[str]):
        self.rig = rig
        index = {n: i for i, n in enumerate(rig.names)}
        self.index = index
        driven_set = {index[n] for n in driven}
        follows = rig.follows or [[(p, 1.0)] for p in rig.parents]

        def expand(i: int, w: float, trail: frozenset, out: dict) -> None:
            for j, wj in follows[i]:
                if j < 0 or j in trail or len(trail) > 64:
                    out[-1] = out.get(-1, 0.0) + w * wj
                elif j in driven_set:
                    out[j] = out.get(j, 0.0) + w * wj
                else:
                    expand(j, w * wj, trail | {j}, out)

        self.anchors: dict[str, list[tuple[str | None, float]]] = {}
        for name in (n for n in rig.names if index[n] in driven_set):
            out: dict[int, float] = {}
            expand(index[name], 1.0, frozenset({index[name]}), out)
            self.anchors[name] = [(rig.names[j] if j >= 0 else None, w) for j, w in out.items() if w > 1e-6]
        # anchors before the bones that hang from them (a followed bone may come later in the tree)
        self.order: list[str] = []
        placed: set[str] = set()

        def place(n: str, trail: frozenset) -> None:
            for a, _ in list(self.anchors[n]):
                if a is not None and a not in placed:
                    if a in trail:  # a loop of constraints: cut it here
                        self.anchors[n] = [(x, w) for x, w in self.anchors[n] if x != a] or [(None, 1.0)]
                    else:
                        place(a, trail | {n})
            if n not in placed:
                placed.add(n)
                self.order.append(n)

        for n in list(self.anchors):
            place(n, frozenset())
        # what each bone's parent frame is, relative to each anchor, as the rig stands now
        self.k_static = rig.pose_world @ affine_inverse(rig.basis)
        self.inv_pose = affine_inverse(rig.pose_world)

    def _parent_frame(self, name: str, world: dict, frames: int) -> np.ndarray:
        rig = self.rig
        i = self.index[name]
        k_static = self.k_static[i]
        frames_of = []
        for a, w in self.anchors[name]:
            if a is None:
                frames_of.append((np.broadcast_to(k_static, (frames, 4, 4)), w))
            else:
                frames_of.append((world[a] @ (self.inv_pose[self.index[a]] @ k_static), w))
        if len(frames_of) == 1:
            return frames_of[0][0]
        total = sum(w for _, w in frames_of)
        out = np.broadcast_to(np.eye(4), (frames, 4, 4)).copy()
        scale = sum(w * np.linalg.norm(m[:, :3, :3], axis=1).mean(axis=1) for m, w in frames_of) / total
        out[:, :3, :3] = orthonormal(sum(w * m[:, :3, :3] for m, w in frames_of)) * scale[:, None, None]
        out[:, :3, 3] = sum(w * m[:, :3, 3] for m, w in frames_of) / total
        return out

    def solve(self, rotations: dict[str, np.ndarray], positions: dict[str, np.ndarray], frames: int):
        rig = self.rig
        world: dict[str, np.ndarray] = {}
        local_rot: dict[str, np.ndarray] = {}
        local_loc: dict[str, np.ndarray] = {}
        for name in self.order:
            basis_now = rig.basis[self.index[name]]
            parent = self._parent_frame(name, world, frames)
            # parent rotations carry at most a uniform scale: the transpose inverts them up to it
            rl = bone_frame(np.swapaxes(parent[:, :3, :3], 1, 2) @ rotations[name])
            scale = np.linalg.norm(basis_now[:3, :3], axis=0)
            basis = np.broadcast_to(np.eye(4), (frames, 4, 4)).copy()
            basis[:, :3, :3] = rl * scale
            if name in positions:
                hom = np.concatenate([positions[name], np.ones((frames, 1))], 1)
                basis[:, :3, 3] = np.linalg.solve(parent, hom[..., None])[:, :3, 0]
                local_loc[name] = basis[:, :3, 3]
            else:
                basis[:, :3, 3] = basis_now[:3, 3]
            world[name] = parent @ basis
            local_rot[name] = rl
        return local_rot, local_loc, world


def retarget(source: SourceMotion, rig: TargetRig, pairs: list[Pair], options: Options) -> Result:
    frames = source.world.shape[0]
    ref = rig.pose_world if options.match_current_pose else rig.rest_world
    by_role = {p.role: p for p in pairs if p.role}
    src_rest_pos = {r: source.rest_world[source.index(p.source), :3, 3] for r, p in by_role.items()}
    tgt_ref_pos = {r: ref[rig.index(p.target), :3, 3] for r, p in by_role.items()}
    ratio = leg_ratio(src_rest_pos, tgt_ref_pos)

    # all pairs at once: Rt(f) = Rs(f) Rs0^T A Rt0
    src = [source.index(p.source) for p in pairs]
    rs0 = _rot(source.rest_world[src])
    rt0 = _rot(ref[[rig.index(p.target) for p in pairs]])
    align = swing(rt0[..., :, 1], rs0[..., :, 1])
    unaligned = np.array([p.role in UNALIGNED_ROLES for p in pairs], dtype=bool)
    align[unaligned] = np.eye(3)
    world_rot = _rot(source.world[:, src]) @ (np.swapaxes(rs0, -1, -2) @ align @ rt0)
    rotations: dict[str, np.ndarray] = {p.target: world_rot[:, k] for k, p in enumerate(pairs)}

    positions: dict[str, np.ndarray] = {}
    offsets = None
    hips = by_role.get("hips")
    if hips is not None:
        si, ti = source.index(hips.source), rig.index(hips.target)
        moved = ratio * (source.world[:, si, :3, 3] - source.rest_world[si, :3, 3])
        horizontal = moved.copy()
        horizontal[:, 2] = 0.0
        use_bone = (options.root_motion == "ROOT" and options.root_bone in rig.names
                    and options.root_bone not in rotations)
        if options.root_motion == "ROOT" and use_bone:
            # The root bone carries the travel; the hips keep their world position (local: height).
            ri = rig.index(options.root_bone)
            rotations[options.root_bone] = np.broadcast_to(_rot(rig.pose_world[ri]), (frames, 3, 3))
            positions[options.root_bone] = rig.pose_world[ri, :3, 3] + horizontal
        elif options.root_motion in ("ROOT", "IN_PLACE"):
            moved = moved - horizontal  # ROOT without a root bone: the object carries the travel
            offsets = horizontal if options.root_motion == "ROOT" else None
        positions[hips.target] = ref[ti, :3, 3] + moved

    chain = _Chain(rig, list(rotations))
    local_rot, local_loc, world = chain.solve(rotations, positions, frames)

    found: list[contacts.Contact] = []
    if options.foot_lock:
        found = contacts.find_contacts(source, by_role, options.lock)
        legs = contacts.lock_feet(found, by_role, world, rotations, options.lock, rig.object_world)
        if legs:
            local_rot, local_loc, world = chain.solve(rotations, positions, frames)
    return Result(frames, local_rot, local_loc, offsets, world, found, ratio)
