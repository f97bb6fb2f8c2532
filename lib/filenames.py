# SPDX-License-Identifier: GPL-3.0-or-later
"""Safe local file names for downloaded outputs: nothing the server sends reaches the file system raw."""
from __future__ import annotations

import re
import unicodedata

MAX_STEM_BYTES = 120  # leaves room for a suffix and ".part" under the usual 255-byte name limit
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
KNOWN_EXTENSIONS = {"fbx", "blend", "usdc", "usdz", "usd", "mp4", "mov", "avi", "zip", "bvh", "c3d",
                    "glb", "json", "pkl"}


def safe_stem(text: object, fallback: str = "output") -> str:
    """One file-name part: no separators, no '..', no control or format characters, bounded length."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\.{2,}", ".", text)        # no '..' anywhere
    text = text.strip(" ._")
    encoded = text.encode("utf-8")[:MAX_STEM_BYTES]
    text = encoded.decode("utf-8", errors="ignore").strip(" ._")
    if not text:
        return fallback
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def safe_extension(file_type: object, *fallbacks: object) -> str:
    """'.fbx' from a file type such as '.fbx' or 'FBX'; else from a known fallback name; else '.bin'."""
    for candidate in (file_type, *fallbacks):
        ext = str(candidate or "").strip().lstrip(".").lower()
        if re.fullmatch(r"[a-z0-9]{1,10}", ext) and (candidate is file_type or ext in KNOWN_EXTENSIONS):
            return "." + ext
    return ".bin"


def output_filename(job_id: str, job_name: str | None, output_name: str, file_type: str | None) -> str:
    """E.g. 'walk_3f2a1b4c_fbx.fbx', or 'job-<uuid>_fbx.fbx' for an unnamed job."""
    if job_name:
        short_id = safe_stem(job_id.split("-", 1)[-1][:8], fallback="")
        label = safe_stem(job_name) + (f"_{short_id}" if short_id else "")
    else:
        label = safe_stem(job_id, fallback="job")
    return safe_stem(f"{label}_{safe_stem(output_name)}") + safe_extension(file_type, output_name)
