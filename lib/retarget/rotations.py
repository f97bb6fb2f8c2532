# SPDX-License-Identifier: GPL-3.0-or-later
"""Batched rotation arithmetic in Blender's conventions (column vectors, quaternions w-first).

Euler orders are Blender's: order "XYZ" means X is applied first, so R = Rz @ Ry @ Rx.
"""
from __future__ import annotations

import numpy as np

EULER_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.cross for 3-vectors on the last axis, without its per-call overhead (it is hot here)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], -1)


def normalize(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def orthonormal(m: np.ndarray) -> np.ndarray:
    """The rotation nearest to each 3x3 matrix (scale and shear removed, handedness kept)."""
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    flip = np.linalg.det(r) < 0
    if np.any(flip):
        u = u.copy()
        u[flip, :, -1] *= -1
        r = u @ vt
    return r


def affine_inverse(m: np.ndarray) -> np.ndarray:
    """Inverse of 4x4 affine matrices (batched) by the adjugate: no LAPACK call per small matrix."""
    a = m[..., :3, :3]
    c0, c1, c2 = a[..., :, 0], a[..., :, 1], a[..., :, 2]
    rows = np.stack([cross(c1, c2), cross(c2, c0), cross(c0, c1)], -2)
    det = np.sum(c0 * rows[..., 0, :], -1)
    inv3 = rows / det[..., None, None]
    out = np.zeros(m.shape)
    out[..., :3, :3] = inv3
    out[..., :3, 3] = -(inv3 @ m[..., :3, 3:4])[..., 0]
    out[..., 3, 3] = 1.0
    return out


def bone_frame(m: np.ndarray) -> np.ndarray:
    """Rotation of scaled rotation matrices by Gram-Schmidt, keeping the Y (bone) axis exactly:
    a fraction of the cost of `orthonormal` where no shear is expected."""
    y = normalize(m[..., :, 1])
    z = m[..., :, 2] - np.sum(m[..., :, 2] * y, -1, keepdims=True) * y
    z = normalize(z)
    out = np.empty(m.shape[:-2] + (3, 3))
    out[..., :, 0] = cross(y, z)
    out[..., :, 1] = y
    out[..., :, 2] = z
    return out


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation (3x3) taking direction a onto direction b, batched over leading axes."""
    a, b = normalize(np.asarray(a, float)), normalize(np.asarray(b, float))
    axis = cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.sum(a * b, axis=-1)
    # Opposite directions: any axis perpendicular to a.
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
    axis = np.where((s < 1e-9)[..., None] & (c < 0)[..., None], cross(a, helper), axis)
    return axis_angle_to_matrix(normalize(axis), np.arctan2(s, c))


def axis_angle_to_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    axis = normalize(np.asarray(axis, float))
    angle = np.asarray(angle, float)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    c, s = np.cos(angle), np.sin(angle)
    t = 1 - c
    m = np.stack([
        np.stack([t * x * x + c, t * x * y - s * z, t * x * z + s * y], -1),
        np.stack([t * x * y + s * z, t * y * y + c, t * y * z - s * x], -1),
        np.stack([t * x * z - s * y, t * y * z + s * x, t * z * z + c], -1),
    ], -2)
    return m


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    q = normalize(np.asarray(q, float))
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """Quaternions (w, x, y, z) of rotation matrices, by the largest-diagonal branch (stable)."""
    m = np.asarray(m, float)
    shape = m.shape[:-2]
    m = m.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cand = np.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], -1)
    pick = np.argmax(cand, -1)
    q = np.empty((len(m), 4))
    for k in range(4):
        sel = pick == k
        if not np.any(sel):
            continue
        a = m[sel]
        if k == 0:
            s = np.sqrt(1 + tr[sel]) * 2
            q[sel] = np.stack([s / 4, (a[:, 2, 1] - a[:, 1, 2]) / s, (a[:, 0, 2] - a[:, 2, 0]) / s,
                               (a[:, 1, 0] - a[:, 0, 1]) / s], -1)
        elif k == 1:
            s = np.sqrt(1 + a[:, 0, 0] - a[:, 1, 1] - a[:, 2, 2]) * 2
            q[sel] = np.stack([(a[:, 2, 1] - a[:, 1, 2]) / s, s / 4, (a[:, 0, 1] + a[:, 1, 0]) / s,
                               (a[:, 0, 2] + a[:, 2, 0]) / s], -1)
        elif k == 2:
            s = np.sqrt(1 + a[:, 1, 1] - a[:, 0, 0] - a[:, 2, 2]) * 2
            q[sel] = np.stack([(a[:, 0, 2] - a[:, 2, 0]) / s, (a[:, 0, 1] + a[:, 1, 0]) / s, s / 4,
                               (a[:, 1, 2] + a[:, 2, 1]) / s], -1)
        else:
            s = np.sqrt(1 + a[:, 2, 2] - a[:, 0, 0] - a[:, 1, 1]) * 2
            q[sel] = np.stack([(a[:, 1, 0] - a[:, 0, 1]) / s, (a[:, 0, 2] + a[:, 2, 0]) / s,
                               (a[:, 1, 2] + a[:, 2, 1]) / s, s / 4], -1)
    return normalize(q).reshape(shape + (4,))


def continuous_quats(q: np.ndarray) -> np.ndarray:
    """Flip signs along the first axis (frames) so neighbouring keys interpolate the short way."""
    if len(q) < 2:
        return q.copy()
    steps = np.where(np.sum(q[1:] * q[:-1], -1) < 0, -1.0, 1.0)
    signs = np.concatenate([np.ones((1,) + steps.shape[1:]), np.cumprod(steps, axis=0)])
    return q * signs[..., None]


def _axis_matrix(axis: int, angle: np.ndarray) -> np.ndarray:
    e = np.zeros(3)
    e[axis] = 1.0
    return axis_angle_to_matrix(np.broadcast_to(e, np.shape(angle) + (3,)), angle)


def euler_to_matrix(e: np.ndarray, order: str = "XYZ") -> np.ndarray:
    e = np.asarray(e, float)
    m = np.broadcast_to(np.eye(3), e.shape[:-1] + (3, 3))
    for ch in order:  # first letter applied first: it is the rightmost factor
        k = "XYZ".index(ch)
        m = _axis_matrix(k, e[..., k]) @ m
    return m


def matrix_to_euler(m: np.ndarray, order: str = "XYZ") -> np.ndarray:
    """Euler angles (x, y, z slots, as Blender stores them) for `order`; one of the two solutions."""
    m = np.asarray(m, float)
    i, j, k = ("XYZ".index(c) for c in order)
    # R = Rk @ Rj @ Ri. With parity p of the permutation (i, j, k): R[k, i] = -p sin(b).
    parity = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0
    sb = np.clip(-parity * m[..., k, i], -1.0, 1.0)
    b = np.arcsin(sb)
    cb = np.cos(b)
    a = np.arctan2(parity * m[..., k, j], m[..., k, k])
    c = np.arctan2(parity * m[..., j, i], m[..., i, i])
    # Gimbal lock: put all of the rotation about the first axis.
    lock = cb < 1e-6
    if np.any(lock):
        c = np.where(lock, 0.0, c)
        a = np.where(lock, np.arctan2(-parity * m[..., j, k], m[..., j, j]), a)
    out = np.empty(m.shape[:-2] + (3,))
    out[..., i], out[..., j], out[..., k] = a, b, c
    return out


def continuous_eulers(e: np.ndarray, order: str) -> np.ndarray:
    """Along the first axis (frames): of the two equivalent solutions and their 2*pi turns, the one
    nearest the previous frame, as Blender's make_compatible does, so curves do not jump."""
    e = e.copy()
    i, j, k = ("XYZ".index(c) for c in order)
    for f in range(1, len(e)):
        prev = e[f - 1]
        alt = e[f].copy()
        alt[..., i] += np.pi
        alt[..., j] = np.pi - alt[..., j]
        alt[..., k] += np.pi
        best = []
        for cand in (e[f], alt):
            cand = prev + (cand - prev + np.pi) % (2 * np.pi) - np.pi
            best.append(cand)
        d0 = np.sum(np.abs(best[0] - prev), -1, keepdims=True)
        d1 = np.sum(np.abs(best[1] - prev), -1, keepdims=True)
        e[f] = np.where(d1 < d0 - 1e-9, best[1], best[0])
    return e


def matrix_to_axis_angle(m: np.ndarray) -> np.ndarray:
    """(angle, x, y, z) as Blender's rotation_axis_angle stores it."""
    q = matrix_to_quat(m)
    q = q * np.where(q[..., :1] < 0, -1.0, 1.0)
    angle = 2 * np.arctan2(np.linalg.norm(q[..., 1:], axis=-1), q[..., 0])
    axis = np.where((np.linalg.norm(q[..., 1:], axis=-1) > 1e-12)[..., None], normalize(q[..., 1:]),
                    np.array([0.0, 1.0, 0.0]))
    return np.concatenate([angle[..., None], axis], -1)


def rotation_channels(m: np.ndarray, mode: str) -> tuple[str, np.ndarray]:
    """Frames of 3x3 local rotations -> (pose-bone property, per-frame values) in `mode`."""
    if mode == "QUATERNION":
        return "rotation_quaternion", continuous_quats(matrix_to_quat(m))
    if mode == "AXIS_ANGLE":
        return "rotation_axis_angle", matrix_to_axis_angle(m)
    if mode in EULER_ORDERS:
        return "rotation_euler", continuous_eulers(matrix_to_euler(m, mode), mode)
    raise ValueError(f"unknown rotation mode {mode!r}")


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in degrees between directions, batched."""
    c = np.sum(normalize(a) * normalize(b), -1)
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))
