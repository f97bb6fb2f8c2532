# SPDX-License-Identifier: GPL-3.0-or-later
"""Safe local file names for downloaded outputs: nothing the server sends reaches the file system raw."""
from __future__ import annotations

import logging
import re
import unicodedata

from .output_types import extension_for, output_key

log = logging.getLogger(__name__)

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


def output_filename(job_id: str, job_name: str | None, output_name: str,
                    server_type: str | None = None) -> str:
    """E.g. 'walk_3f2a1b4c_fbx.fbx', or 'job-<uuid>_fbx.fbx' for an unnamed job.

    `output_name` is the output the client asked for ('fbx', 'MAIN_FBX', 'motion_data'); the
    extension is that format's (output_types: what a download may be). `server_type`, the file type
    the server claims, is only compared with it: a server that says '.py' for an fbx gets a
    warning in the log, never a '.py' file on disk."""
    if job_name:
        short_id = safe_stem(job_id.split("-", 1)[-1][:8], fallback="")
        label = safe_stem(job_name) + (f"_{short_id}" if short_id else "")
    else:
        label = safe_stem(job_id, fallback="job")
    extension = extension_for(output_name)
    claimed = str(server_type or "").strip().lower()
    if claimed and "." + claimed.lstrip(".") != extension:
        log.warning("the server calls the %r output %r; it is saved as %s", output_name, claimed[:40],
                    extension)
    return safe_stem(f"{label}_{safe_stem(output_key(output_name))}") + extension
