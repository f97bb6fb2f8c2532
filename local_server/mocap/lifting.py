# SPDX-License-Identifier: GPL-3.0-or-later
"""From MediaPipe's 2D landmarks to 3D joints with one fixed set of bone lengths and a pinhole camera.

MediaPipe's 2D points are good (a few pixels) while its world landmarks flatten depth, so limbs
bending toward the camera lose 15-25 degrees. Here every joint lies exactly on the camera ray
through its 2D point; walking the skeleton from the hips, a child's depth is the one that makes
the bone its fixed length (|d r - X_parent| = L, a quadratic), and only the choice between the
two roots (nearer or farther than the parent) is taken from MediaPipe's world z.

Each arm and leg is then refitted as a whole: pixel noise and MediaPipe's depth bias only ever
bend a straight limb (the angle cannot exceed 180), so the depths of the elbow/knee and
wrist/ankle are chosen to balance the bone lengths, MediaPipe's depth and a prior for straighter
limbs. How far a bone may stray from its length is set by the 2D noise measured on the take
itself, so on clean 2D a foreshortened bone stays a real bend and on noisy 2D the prior wins.
Against that fit stands a straight limb at full length whose middle joint may leave its 2D point:
when a limb points at the camera its middle joint hides behind the rest of it and MediaPipe's 2D
guess there goes astray, so that point counts less the shorter the whole limb looks.

Which way a forearm tilts is chosen, not taken: MediaPipe's world gets the forearm's depth sign
wrong where its 2D forearm shortens (an arm swinging past the body), so both roots compete, scored
by the fit, by MediaPipe's sign where it sees the forearm clearly tilted, and by continuity over the
frames (the sign changes where the forearm crosses the image plane, not for a frame or two).

A bone's length is read where it lies across the view; the hip and shoulder lines of a body in
profile the whole take never do, and MediaPipe's flattened world halves them, so body proportions
against the spine set a floor (TORSO_HALF_WIDTHS).

A joint MediaPipe marks unseen while inside the picture is hidden behind the body, so its bone goes
away from the camera whatever MediaPipe's world depth guessed (`hidden_behind`).

The floor also settles the depth sign MediaPipe gets wrong most often: a shin near the image plane
(a squat's shin seen from the front comes toward the camera, the foot floating): a foot still in
the picture and floating above the floor takes the mirrored shin, and its knee is refitted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import pose_tracking as P
from .paths import cheapest_states
from .smoothing import fill_gaps, gaussian_smooth, sigma_for

# Virtual joints appended after MediaPipe's 33.
HIP_C, SHOULDER_C, EAR_C = 33, 34, 35
N_JOINTS = 36
_MIDPOINTS = {HIP_C: (P.L_HIP, P.R_HIP), SHOULDER_C: (P.L_SHOULDER, P.R_SHOULDER), EAR_C: (P.L_EAR, P.R_EAR)}

#: (parent, child) in walking order from the hip centre.
TREE = [
    (HIP_C, P.L_HIP), (HIP_C, P.R_HIP),
    (P.L_HIP, P.L_KNEE), (P.L_KNEE, P.L_ANKLE), (P.L_ANKLE, P.L_HEEL), (P.L_ANKLE, P.L_FOOT),
    (P.R_HIP, P.R_KNEE), (P.R_KNEE, P.R_ANKLE), (P.R_ANKLE, P.R_HEEL), (P.R_ANKLE, P.R_FOOT),
    (HIP_C, SHOULDER_C), (SHOULDER_C, P.L_SHOULDER), (SHOULDER_C, P.R_SHOULDER),
    (P.L_SHOULDER, P.L_ELBOW), (P.L_ELBOW, P.L_WRIST), (P.L_WRIST, P.L_INDEX), (P.L_WRIST, P.L_PINKY),
    (P.R_SHOULDER, P.R_ELBOW), (P.R_ELBOW, P.R_WRIST), (P.R_WRIST, P.R_INDEX), (P.R_WRIST, P.R_PINKY),
    (SHOULDER_C, EAR_C), (EAR_C, P.L_EAR), (EAR_C, P.R_EAR), (EAR_C, P.NOSE),
]


def _mirror_joint(j: int) -> int:
    pairs = {P.L_HIP: P.R_HIP, P.L_KNEE: P.R_KNEE, P.L_ANKLE: P.R_ANKLE, P.L_HEEL: P.R_HEEL, P.L_FOOT: P.R_FOOT,
             P.L_SHOULDER: P.R_SHOULDER, P.L_ELBOW: P.R_ELBOW, P.L_WRIST: P.R_WRIST, P.L_INDEX: P.R_INDEX,
             P.L_PINKY: P.R_PINKY, P.L_EAR: P.R_EAR}
    pairs.update({v: k for k, v in pairs.items()})
    return pairs.get(j, j)


_PARENT = {c: a for a, c in TREE}
#: Least half-widths of the hips and shoulders, as a share of the spine (hip centre to shoulder
#: centre): 0.9 of a MediaPipe-landmark body's (0.19 and 0.335 on Pose2Sim's four-view reference).
TORSO_HALF_WIDTHS = {(HIP_C, P.L_HIP): 0.17, (HIP_C, P.R_HIP): 0.17,
                     (SHOULDER_C, P.L_SHOULDER): 0.30, (SHOULDER_C, P.R_SHOULDER): 0.30}
#: The far end of each hinged limb (shoulder-elbow-wrist, hip-knee-ankle).
_LIMB_ENDS = (P.L_WRIST, P.R_WRIST, P.L_ANKLE, P.R_ANKLE)


def mp_sign_cost(dz, mp_dz, length, sigma):
    """How much a bone's depth step dz (m) disagrees in sign with MediaPipe's, mp_dz: MediaPipe's step
    in bone lengths where the signs differ (a soft sign within a tenth of the length), over sigma,
    squared. MediaPipe flattens depth, so a small step of its own says little about the sign, a large
    one much."""
    soft_sign = np.tanh(dz / length / 0.1)
    return (np.maximum(0.0, -soft_sign * np.clip(mp_dz / length, -1.0, 1.0)) / sigma) ** 2


def cheapest_path(costs, points, step_sigma):
    """Viterbi over frames: costs (H, F) of H hypotheses per frame, points (H, F, 6) where each puts
    the joints; moving from one frame to the next costs (distance / step_sigma)^2. Returns the
    hypothesis index per frame, (F,)."""
    trans = np.zeros((costs.shape[1],) + (costs.shape[0],) * 2)  # (F, before, now)
    trans[1:] = np.sum((points[None, :, 1:] - points[:, None, :-1]) ** 2, axis=-1).transpose(2, 0, 1) / step_sigma ** 2
    return cheapest_states(costs.T, trans)


def fit_limb(root, ray_mid, ray_end, z_mid, z_end, lengths, mp_dz, mp_weight, sigma_len, sigma_mp, straight_prior,
             straight_width_deg, mid_sigma=None, mp_bend=None, mp_bend_sigma=30.0, mirror_lower=False,
             mp_sign_sigma=0.35, step_sigma=None):
    """A limb's middle and end joints on their camera rays, at the depths minimising per frame
    ((bone length - L) / sigma_len)^2 + mp_weight ((depth step - MediaPipe's) / sigma_mp)^2 for both
    bones + straight_prior (1 - exp(-(1 - cos bend) / (1 - cos width))): a prior that saturates, so it
    straightens only the bends noise can make, not a real bend. A coarse then a fine grid around the
    first estimate; the search moves the end with the middle, so the lower bone keeps its depth step
    unless it pays. With mid_sigma (in focal lengths), each frame may instead take the straight limb
    at full length (the end on its ray, the middle on the line, costed by its 2D distance from its own
    ray against mid_sigma, and by MediaPipe's own bend there, mp_bend, against mp_bend_sigma degrees)
    where that is cheaper. With mirror_lower, the lower bone tilted the other way (the other root of
    its length along its ray) is searched too; each also pays `mp_sign_cost` for the depth signs
    MediaPipe sees the other way, and the cheaper is kept per frame, or, with step_sigma (m per
    frame), along the cheapest path through the frames (`cheapest_path`). Returns the middle and end
    joints, (F, 3) each."""
    width = 1 - np.cos(np.radians(straight_width_deg))

    def search(zm0, ze0, span, n):
        g = np.linspace(-span, span, n)
        dm, de = np.meshgrid(g, g, indexing="ij")
        zm = zm0[:, None, None] + dm
        ze = ze0[:, None, None] + dm + de
        mid = ray_mid[:, None, None] * zm[..., None]
        upper = mid - root[:, None, None]
        lower = ray_end[:, None, None] * ze[..., None] - mid
        lu, ll = np.linalg.norm(upper, axis=-1), np.linalg.norm(lower, axis=-1)
        cost = ((lu - lengths[0]) / sigma_len[0]) ** 2 + ((ll - lengths[1]) / sigma_len[1]) ** 2
        cost += (mp_weight[0][:, None, None] * (upper[..., 2] - mp_dz[0][:, None, None]) ** 2
                 + mp_weight[1][:, None, None] * (lower[..., 2] - mp_dz[1][:, None, None]) ** 2) / sigma_mp ** 2
        bend_cost = 1 - np.sum(upper * lower, axis=-1) / (lu * ll + 1e-12)
        cost += straight_prior * (1 - np.exp(-bend_cost / width))
        best = np.argmin(cost.reshape(len(zm0), -1), axis=1)
        rows = np.arange(len(zm0))
        return (zm.reshape(len(zm0), -1)[rows, best], ze.reshape(len(zm0), -1)[rows, best],
                cost.reshape(len(zm0), -1)[rows, best])

    # Within two sigmas of MediaPipe's depth. Near the image plane this window also holds the mirror
    # solution (the bone tilted the other way), which the straight prior may pick: keeping the first
    # estimate's sign cost 1.4 degrees on the benchmark, so it is allowed.
    def refine(zm, ze, span=2.0):
        zm, ze, _ = search(zm, ze, span * sigma_mp, 17 if span > 1 else 9)
        zm, ze, _ = search(zm, ze, 0.25 * sigma_mp, 11)
        return search(zm, ze, 0.03 * sigma_mp, 7)

    z_mid, z_end, cost = refine(z_mid, z_end)
    if mirror_lower:
        # Which way a tilted lower bone points is the depth sign MediaPipe gets wrong most often (a
        # forearm swinging past the body, its 2D length shortened), and its other root lies beyond
        # the window above. Both compete: per frame the fit's cost (the straight prior) and
        # MediaPipe's sign where it sees the bone clearly tilted; across frames the joints' jumps,
        # so the sign changes where the bone passes the image plane, not for a frame or two.
        mid = ray_mid * z_mid[:, None]
        other = 2 * np.einsum("fi,fi->f", ray_end, mid) / np.einsum("fi,fi->f", ray_end, ray_end) - z_end
        hyps = [(z_mid, z_end, cost), refine(z_mid, other, span=0.5)]
        costs, points = [], []
        for zm, ze, c in hyps:
            m, e = ray_mid * zm[:, None], ray_end * ze[:, None]
            costs.append(c + mp_sign_cost(m[:, 2] - root[:, 2], mp_dz[0], lengths[0], mp_sign_sigma)
                         + mp_sign_cost(e[:, 2] - m[:, 2], mp_dz[1], lengths[1], mp_sign_sigma))
            points.append(np.concatenate([m, e], axis=1))
        costs = np.stack(costs)
        if step_sigma:
            pick = cheapest_path(costs, np.stack(points), step_sigma).astype(bool)
        else:
            pick = costs[1] < costs[0]
        z_mid, z_end = np.where(pick, hyps[1][0], z_mid), np.where(pick, hyps[1][1], z_end)
        cost = np.where(pick, costs[1], costs[0])
    mid = ray_mid * z_mid[:, None]
    end = ray_end * z_end[:, None]
    if mid_sigma is None:
        return mid, end
    # The straight hypothesis: the end where the limb at full length puts it on its ray, the middle
    # on the line between, off its own ray by the 2D distance that costs against mid_sigma.
    full = lengths[0] + lengths[1]
    qa = np.einsum("fi,fi->f", ray_end, ray_end)
    qb = -2 * np.einsum("fi,fi->f", ray_end, root)
    qc = np.einsum("fi,fi->f", root, root) - full ** 2
    disc = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
    best_cost, best_mid, best_end = cost, mid, end
    for sign in (-1.0, 1.0):
        ze = (-qb + sign * disc) / (2 * qa)
        e = ray_end * ze[:, None]
        m = root + (e - root) * (lengths[0] / full)
        reach = np.linalg.norm(e - root, axis=-1)
        off = np.linalg.norm(m[:, :2] / m[:, 2:3] - ray_mid[:, :2], axis=-1)  # in focal lengths
        c = ((reach - full) / np.hypot(*sigma_len)) ** 2 + (off / mid_sigma) ** 2
        c += (mp_weight[0] * ((m - root)[:, 2] - mp_dz[0]) ** 2 + mp_weight[1] * ((e - m)[:, 2] - mp_dz[1]) ** 2) / sigma_mp ** 2
        if mp_bend is not None:  # MediaPipe flattens a bend toward the camera, but does not unbend it
            c += ((180.0 - mp_bend) / mp_bend_sigma) ** 2
        pick = c < best_cost
        best_cost = np.where(pick, c, best_cost)
        best_mid = np.where(pick[:, None], m, best_mid)
        best_end = np.where(pick[:, None], e, best_end)
    return best_mid, best_end


@dataclass
class Camera:
    focal: float  # pixels
    cx: float
    cy: float

    @classmethod
    def default(cls, width: int, height: int, diagonal_fov_deg: float = 60.0) -> "Camera":
        """Without calibration: a 60 degree diagonal field of view, between phone (~75) and tele lenses."""
        diag = float(np.hypot(width, height))
        return cls(diag / 2 / np.tan(np.radians(diagonal_fov_deg) / 2), width / 2, height / 2)

    def rays(self, xy: np.ndarray) -> np.ndarray:
        """Camera rays (x/z, y/z, 1) through pixels (..., 2)."""
        out = np.ones(xy.shape[:-1] + (3,))
        out[..., 0] = (xy[..., 0] - self.cx) / self.focal
        out[..., 1] = (xy[..., 1] - self.cy) / self.focal
        return out


@dataclass
class Lifted:
    joints: np.ndarray  # (F, 36, 3) camera coordinates, metres (x right, y down, z away from the camera)
    bone_lengths: dict  # (parent, child) -> metres, one value for the whole take
    camera: Camera


def _with_midpoints(x: np.ndarray) -> np.ndarray:
    out = np.concatenate([x, np.zeros(x.shape[:1] + (3,) + x.shape[2:])], axis=1)
    for m, (a, b) in _MIDPOINTS.items():
        out[:, m] = (x[:, a] + x[:, b]) / 2
    return out


def root_translation(xy: np.ndarray, world: np.ndarray, camera: Camera, joints=None) -> np.ndarray:
    """Per frame, the translation t putting MediaPipe's hip-centred world skeleton where it projects
    onto the 2D points (linear least squares: f(Px+tx) = u'(Pz+tz), same for y). (F, 3)."""
    joints = joints or [P.L_SHOULDER, P.R_SHOULDER, P.L_HIP, P.R_HIP, P.L_KNEE, P.R_KNEE, P.L_ANKLE, P.R_ANKLE,
                        P.L_ELBOW, P.R_ELBOW]
    u = xy[:, joints, 0] - camera.cx
    v = xy[:, joints, 1] - camera.cy
    Pw = world[:, joints]
    f = camera.focal
    n = len(joints)
    F = xy.shape[0]
    A = np.zeros((F, 2 * n, 3))
    b = np.zeros((F, 2 * n))
    A[:, :n, 0] = f
    A[:, :n, 2] = -u
    b[:, :n] = u * Pw[..., 2] - f * Pw[..., 0]
    A[:, n:, 1] = f
    A[:, n:, 2] = -v
    b[:, n:] = v * Pw[..., 2] - f * Pw[..., 1]
    AtA = np.einsum("fki,fkj->fij", A, A)
    Atb = np.einsum("fki,fk->fi", A, b)
    return np.linalg.solve(AtA, Atb)


def pixel_noise(image_xy: np.ndarray) -> np.ndarray:
    """Each landmark's 2D noise (px, per axis) over the take, from second differences, which smooth
    motion barely has: var(x[t-1] - 2 x[t] + x[t+1]) = 6 var(x) for white noise; a robust spread. (36,)."""
    raw = _with_midpoints(fill_gaps(image_xy))
    if len(raw) < 5:
        return np.zeros(N_JOINTS)
    d2 = raw[:-2] - 2 * raw[1:-1] + raw[2:]
    mad = np.median(np.abs(d2 - np.median(d2, axis=0)), axis=0)
    return np.nan_to_num(1.4826 * mad.mean(axis=-1) / np.sqrt(6))


def lift(track: P.PoseTrack, camera: Camera | None = None, smooth_seconds: float = 0.03,
         seen_pct: float = 90, world_weight: float = 0.8,
         trust_from_deg: float = 15.0, trust_full_deg: float = 25.0,
         mp_depth_sigma: float = 0.04, straight_prior: float = 2.0, straight_width_deg: float = 30.0,
         noise_scale: float = 2.0, min_pixel_sigma: float = 1.0, hidden_mid_sigma: float = 0.3,
         hidden_below: float = 0.38, mp_bend_sigma: float = 60.0,
         floor_tolerance: float = 0.06, forearm_sign_sigma: float = 0.35, sign_step_speed: float = 4.0,
         hidden_vis: float = 0.3) -> Lifted:
    """3D joints for every frame of the track (gaps filled by interpolation).

    mp_depth_sigma: MediaPipe's world depth error (m) in the limb fit; straight_prior: weight (in
    squared sigmas) of the saturating straight-limb prior of `fit_limb` (0 skips the fit). The fit's
    bone-length tolerance is noise_scale times the take's measured 2D noise of the bone's two
    landmarks (at least min_pixel_sigma px): on clean 2D a foreshortened bone is a real bend the
    prior cannot buy back, on noisy 2D the prior straightens what the noise bent. hidden_mid_sigma:
    the 2D tolerance of a limb's middle joint grows by this fraction of the limb's full length in
    pixels times how much shorter than that it looks, for limbs looking shorter than hidden_below
    of it (0 keeps the middle joint on its 2D point). A straight limb looks under a third of its
    length only when pointing within ~20 degrees of the camera; a bent or foreshortened limb looks
    0.4-0.8 of it and must keep its bend (with the tolerance open at any length, bent knees and
    elbows of real video came out straight: 18.7 against 12.3 degrees on a Demo_SinglePerson view).
    mp_bend_sigma: the straight alternative also pays for MediaPipe's bend at that joint, ((180 -
    its angle) / mp_bend_sigma)^2: MediaPipe flattens a bend toward the camera but does not unbend
    it, so an arm it sees bent at 100 degrees is not taken straight (0 leaves this out).
    floor_tolerance: a foot still in the picture floating more than this (m) above the floor gets
    the mirrored shin where that puts it nearer the floor (`_feet_to_floor`; 0 leaves this out).
    forearm_sign_sigma: each forearm's depth sign is chosen between both roots of its length by the
    limb fit's cost plus `mp_sign_cost` against this sigma (0 keeps the first estimate's sign), along
    the cheapest path through the frames where a jump of the elbow and wrist costs (speed /
    sign_step_speed m/s)^2 (0: frame by frame). MediaPipe's 2D forearm shortens as an arm swings
    past the body and its world depth has the wrong sign there; the first estimate took both at
    face value (a nearly straight arm bent 30-40 degrees the wrong way), and a choice frame by frame
    flipped forearms for a frame or two where MediaPipe's sign was right.
    hidden_vis: a joint in the picture that MediaPipe sees less than this is hidden, and its bone
    goes away from the camera (`hidden_behind`; 0 leaves this out)."""
    camera = camera or Camera.default(track.width, track.height)
    sigma = sigma_for(track.fps, smooth_seconds)
    xy = _with_midpoints(gaussian_smooth(fill_gaps(track.image_xy), sigma))
    world = _with_midpoints(gaussian_smooth(fill_gaps(track.world), sigma))
    unseen = hidden_behind(track, xy, sigma, hidden_vis)
    t = root_translation(xy, world, camera)
    # Depth of the hips varies slowly; a wider filter keeps per-frame fitting noise out of the scale.
    root_depth = gaussian_smooth(t[:, 2] + world[:, HIP_C, 2], max(sigma, sigma_for(track.fps, 0.15)))
    rays = camera.rays(xy)
    px = float(np.median(root_depth)) / camera.focal  # one pixel, in metres at the body
    noise = pixel_noise(track.image_xy)
    # What of that noise survives the smoothing above (the filter's white-noise gain).
    impulse = np.zeros(int(6 * sigma) * 2 + 3)
    impulse[len(impulse) // 2] = 1.0
    smoothed_gain = float(np.sqrt(np.sum(gaussian_smooth(impulse, sigma) ** 2)))

    # Bone lengths, in the scale the hips' depth sets: a bone is never shorter than it looks, and
    # looks its full length when it lies across the view, so a high percentile of its apparent
    # length is the estimate, less what 2D noise adds to that percentile (1.28 sd at the 90th).
    # MediaPipe's world lengths (times one common factor) cover the bones that never lie across
    # the view.
    z_pct = {90: 1.28}.get(seen_pct, 0.0)
    seen, mp = {}, {}
    for a, c in TREE:
        apparent = np.linalg.norm(rays[:, c, :2] - rays[:, a, :2], axis=-1) * root_depth
        length_noise = float(np.hypot(noise[a], noise[c])) * smoothed_gain * px
        seen[(a, c)] = np.percentile(apparent, seen_pct) - z_pct * length_noise
        mp[(a, c)] = np.percentile(np.linalg.norm(world[:, c] - world[:, a], axis=-1), 60)
    factor = np.median([seen[b] / mp[b] for b in TREE])
    lengths = {b: max(seen[b], factor * mp[b] * world_weight) for b in TREE}
    # A body seen in profile the whole take never shows its hip or shoulder line across the view, so
    # both come from MediaPipe's world, whose depth is flattened: the torso came out half as wide and
    # the shoulders 11 cm off. Body proportions give a floor against the spine, which is always seen.
    spine = lengths[(HIP_C, SHOULDER_C)]
    for (a, c), ratio in TORSO_HALF_WIDTHS.items():
        lengths[(a, c)] = max(lengths[(a, c)], ratio * spine)
    for a, c in TREE:  # one length for the left and the right bone
        m = (_mirror_joint(a), _mirror_joint(c))
        if m != (a, c) and m in lengths:
            lengths[(a, c)] = lengths[m] = (lengths[(a, c)] + lengths[m]) / 2

    def length_sigma(a, c):
        return max(min_pixel_sigma, noise_scale * float(np.hypot(noise[a], noise[c]))) * px

    F = xy.shape[0]
    joints = np.zeros((F, N_JOINTS, 3))
    joints[:, HIP_C] = rays[:, HIP_C] * root_depth[:, None]
    mp_weight, mp_step = {}, {}
    for a, c in TREE:
        parent = joints[:, a]
        r = rays[:, c]
        qa = np.einsum("fi,fi->f", r, r)
        qb = -2 * np.einsum("fi,fi->f", r, parent)
        qc = np.einsum("fi,fi->f", parent, parent) - lengths[(a, c)] ** 2
        disc = qb * qb - 4 * qa * qc
        root = np.sqrt(np.maximum(disc, 0.0))
        mp_dz = mp_step[c] = _away_if_hidden(factor * (world[:, c, 2] - world[:, a, 2]), unseen[:, c])
        farther = mp_dz > 0
        lifted_dz = (-qb + np.where(farther, root, -root)) / (2 * qa) - parent[:, 2]
        # Near the image plane the lifted depth swings wildly with pixel noise (d dz/dl -> inf),
        # while MediaPipe's own depth is good there and only flattens bones that point at the
        # camera; so trust MediaPipe for bones lying across the view and the lift for the others.
        across = np.linalg.norm(r[:, :2] * parent[:, 2:3] - parent[:, :2], axis=-1) / lengths[(a, c)]
        tilt = np.degrees(np.arccos(np.clip(across, 0.0, 1.0)))
        trust = np.clip((tilt - trust_from_deg) / (trust_full_deg - trust_from_deg), 0.0, 1.0)
        depth = parent[:, 2] + trust * lifted_dz + (1 - trust) * mp_dz
        mp_weight[c] = 1 - trust  # MediaPipe's depth counts in the limb's fit only where the lift is weak
        joints[:, c] = r * depth[:, None]
        if c in _LIMB_ENDS and straight_prior > 0:
            m = a
            top = _PARENT[m]
            mp_pair = (mp_step[m], mp_step[c])
            # The middle joint of a limb pointing at the camera hides behind its own limb, and its 2D
            # point goes astray (MediaPipe's elbow: 12-17 px); trust it less the shorter the limb looks.
            full_px = (lengths[(top, m)] + lengths[(m, c)]) / px
            looks = np.linalg.norm(xy[:, c] - xy[:, top], axis=-1) / full_px
            hidden = np.clip(1 - looks, 0, 1) * np.clip((hidden_below - looks) / 0.04 + 0.5, 0, 1)
            mid_px = np.maximum(min_pixel_sigma, noise_scale * noise[m]) + hidden_mid_sigma * full_px * hidden
            joints[:, m], joints[:, c] = fit_limb(
                joints[:, top], rays[:, m], r, joints[:, m, 2], joints[:, c, 2],
                (lengths[(top, m)], lengths[(m, c)]), mp_pair, (mp_weight[m], mp_weight[c]),
                (length_sigma(top, m), length_sigma(m, c)), mp_depth_sigma, straight_prior, straight_width_deg,
                mid_sigma=mid_px / camera.focal if hidden_mid_sigma > 0 else None,
                mp_bend=joint_angle(world[:, top], world[:, m], world[:, c]) if mp_bend_sigma > 0 else None,
                mp_bend_sigma=mp_bend_sigma, mirror_lower=forearm_sign_sigma > 0 and c in (P.L_WRIST, P.R_WRIST),
                mp_sign_sigma=forearm_sign_sigma,
                step_sigma=sign_step_speed / track.fps if sign_step_speed > 0 else None)
    if floor_tolerance > 0:
        _feet_to_floor(joints, rays, xy, lengths, track.fps, floor_tolerance)
    joints = gaussian_smooth(joints, sigma)
    return Lifted(joints=joints, bone_lengths=lengths, camera=camera)


def hidden_behind(track: P.PoseTrack, xy: np.ndarray, sigma: float, below: float) -> np.ndarray:
    """(F, 36) bool: joints MediaPipe marks unseen (visibility under `below`, smoothed like the 2D)
    while their 2D point is inside the picture, so hidden behind the body, not cut off by the frame.
    MediaPipe's 2D for them is a guess, and on the rendered clips its world depth often put them in
    front of what hides them (a far arm in profile came out bent toward the camera)."""
    vis = _with_midpoints(gaussian_smooth(np.nan_to_num(fill_gaps(track.visibility[..., None]), nan=1.0),
                                          sigma))[..., 0]
    inside = (xy[..., 0] >= 0) & (xy[..., 0] <= track.width) & (xy[..., 1] >= 0) & (xy[..., 1] <= track.height)
    return (vis < below) & inside


def _away_if_hidden(dz: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """MediaPipe's depth step of a bone, turned away from the camera where its end is hidden: what
    is hidden lies behind what hides it, so its bone goes away rather than toward the camera."""
    return np.where(hidden, np.abs(dz), dz)


def _feet_to_floor(joints, rays, xy, lengths, fps, tolerance, still=0.5):
    """In place: a shin's depth sign comes from MediaPipe, which flattens a shin near the image plane
    and often gets its sign wrong (in a squat the shin then comes toward the camera and the foot
    floats); for a foot still in the picture that floats above the floor, the mirrored shin (the
    other point of its ray at the shin's length from the knee) is taken where it puts the foot on the
    floor (within twice the tolerance), so a foot held up in the air (a knee raised, a kick) stays
    up. The floor: a low percentile of the ankles' heights along the spine."""
    spine = joints[:, SHOULDER_C] - joints[:, HIP_C]
    up = np.median(spine / np.linalg.norm(spine, axis=-1, keepdims=True), axis=0)
    up /= np.linalg.norm(up)
    ankles = (P.L_ANKLE, P.R_ANKLE)
    floor = np.percentile(np.concatenate([joints[:, a] @ up for a in ankles]), 5)
    torso_px = np.median(np.linalg.norm(xy[:, SHOULDER_C] - xy[:, HIP_C], axis=-1))
    for knee, ankle in ((P.L_KNEE, P.L_ANKLE), (P.R_KNEE, P.R_ANKLE)):
        speed = np.linalg.norm(np.gradient(xy[:, ankle], axis=0), axis=-1) * fps / max(torso_px, 1.0)
        k, r = joints[:, knee], rays[:, ankle]
        qa = np.einsum("fi,fi->f", r, r)
        qb = -2 * np.einsum("fi,fi->f", r, k)
        qc = np.einsum("fi,fi->f", k, k) - lengths[(knee, ankle)] ** 2
        root = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
        z_now = joints[:, ankle, 2]
        roots = np.stack([(-qb - root) / (2 * qa), (-qb + root) / (2 * qa)])
        z_alt = roots[np.argmax(np.abs(roots - z_now), axis=0), np.arange(len(z_now))]
        alt = r * z_alt[:, None]
        h_now, h_alt = joints[:, ankle] @ up - floor, alt @ up - floor
        take = (speed < still) & (h_now > tolerance) & (np.abs(h_alt) < np.minimum(np.abs(h_now), 2 * tolerance))
        shift = np.where(take[:, None], alt - joints[:, ankle], 0.0)
        if take.any():  # the knee again on its ray at its two bone lengths from the hip and the moved ankle
            hip = joints[take, P.L_HIP if knee == P.L_KNEE else P.R_HIP]
            kr, end = rays[take, knee], alt[take]
            z = joints[take, knee, 2][:, None] + np.linspace(-0.6, 0.6, 241)[None, :]
            pts = kr[:, None, :] * z[..., None]
            err = ((np.linalg.norm(pts - hip[:, None], axis=-1) - lengths[(_PARENT[knee], knee)]) ** 2
                   + (np.linalg.norm(end[:, None] - pts, axis=-1) - lengths[(knee, ankle)]) ** 2)
            joints[take, knee] = pts[np.arange(len(z)), np.argmin(err, axis=1)]
        for j in (ankle, P.L_HEEL if ankle == P.L_ANKLE else P.R_HEEL, P.L_FOOT if ankle == P.L_ANKLE else P.R_FOOT):
            joints[:, j] += shift


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at b (degrees) between b->a and b->c, per row."""
    u, v = a - b, c - b
    cos = np.einsum("...i,...i->...", u, v) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1) + 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
