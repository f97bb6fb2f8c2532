# SPDX-License-Identifier: GPL-3.0-or-later
"""Safe extraction of zips from the server (motion data): no path escapes, no links, bounded size.

A zip's member names and sizes are the sender's word. Every name is checked before a byte is
written (no absolute paths, drive letters, `..`, links or control characters), the member count
and declared sizes are bounded, and the bytes actually written are counted as they stream (a zip
bomb lies in its headers). Everything goes to a hidden temporary folder next to the destination,
renamed into place only when the whole archive was extracted: a refused archive leaves nothing.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .errors import MoveError

MAX_TOTAL_BYTES = 2 * 1024 ** 3  # generous for motion data (JSON of a long multi-actor take is ~100s of MB)
MAX_MEMBERS = 10_000
CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeArchive(MoveError, ValueError):
    """A zip that was refused (unsafe names, links, too big or damaged); nothing was extracted."""


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16  # Unix mode bits, when the zip was made on Unix
    return info.create_system == 3 and stat.S_ISLNK(mode)


def member_path(name: str) -> PurePosixPath:
    """The relative path a member name stands for; UnsafeArchive when it could leave the folder."""
    problem = None
    if not name or _CONTROL.search(name):
        problem = "an empty name or control characters"
    elif name.startswith(("/", "\\")):
        problem = "an absolute path"
    elif _DRIVE.match(name):
        problem = "a drive letter"
    else:
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
        if ".." in parts:
            problem = "a '..' component"
        elif not parts:
            problem = "no file name"
    if problem:
        raise UnsafeArchive(f"member {name!r} has {problem}")
    return PurePosixPath(*parts)


def _check_members(infos: list[zipfile.ZipInfo], max_total_bytes: int, max_members: int) -> None:
    if len(infos) > max_members:
        raise UnsafeArchive(f"it has {len(infos)} members, more than the {max_members} allowed")
    declared = 0
    for info in infos:
        member_path(info.filename)
        if _is_link(info):
            raise UnsafeArchive(f"member {info.filename!r} is a symbolic link")
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"member {info.filename!r} is encrypted")
        declared += info.file_size
    if declared > max_total_bytes:
        raise UnsafeArchive(f"it would unpack to {declared} bytes, more than the {max_total_bytes} allowed")


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, written: int,
                 max_total_bytes: int) -> int:
    """Stream one member to `target`; returns the running total of bytes written."""
    mine = 0
    with archive.open(info) as source, open(target, "xb") as out:
        while block := source.read(CHUNK):
            mine += len(block)
            written += len(block)
            if mine > info.file_size:
                raise UnsafeArchive(f"member {info.filename!r} holds more than the {info.file_size} bytes "
                                    "its header declares")
            if written > max_total_bytes:
                raise UnsafeArchive(f"it unpacks to more than the {max_total_bytes} bytes allowed")
            out.write(block)
    if mine != info.file_size:
        raise UnsafeArchive(f"member {info.filename!r} holds {mine} bytes, not the {info.file_size} its header declares")
    return written


def extract_zip(zip_path, dest_dir, *, folder_name: str | None = None, max_total_bytes: int = MAX_TOTAL_BYTES,
                max_members: int = MAX_MEMBERS) -> Path:
    """Extract `zip_path` into `dest_dir/<folder_name>` (default: the zip's name without .zip) and
    return that folder. An existing folder of that name is replaced only once extraction succeeded.
    Raises UnsafeArchive (nothing written) for unsafe, oversized or damaged archives."""
    zip_path, dest_dir = Path(zip_path), Path(dest_dir)
    folder_name = folder_name or zip_path.stem
    if folder_name != member_path(folder_name).name or folder_name.startswith("."):
        raise ValueError(f"folder_name must be a plain folder name, not {folder_name!r}")
    final = dest_dir / folder_name
    temp = dest_dir / f".{folder_name}.extracting-{secrets.token_hex(4)}"
    try:
        with zipfile.ZipFile(zip_path) as archive:
            infos = archive.infolist()
            _check_members(infos, max_total_bytes, max_members)
            temp.mkdir(parents=True)
            written = 0
            for info in infos:
                target = temp.joinpath(*member_path(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                written = _copy_member(archive, info, target, written, max_total_bytes)
        if final.exists():
            old = dest_dir / f".{folder_name}.old-{secrets.token_hex(4)}"
            os.replace(final, old)
            os.replace(temp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, final)
        return final
    except UnsafeArchive as exc:
        raise UnsafeArchive(f"Refused to unpack {zip_path.name}: {exc.message}. Nothing was extracted.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError/NotImplementedError: encryption or a compression method zipfile cannot read
        raise UnsafeArchive(f"Could not unpack {zip_path.name}: it is damaged or not a zip ({exc}). "
                            "Nothing was extracted; download it again.") from None
    except (FileExistsError, NotADirectoryError) as exc:  # the same member twice, or a file where a folder goes
        raise UnsafeArchive(f"Refused to unpack {zip_path.name}: two members claim the same path "
                            f"({Path(exc.filename or '?').name!r}). Nothing was extracted.") from None
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def _natural_key(path: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.as_posix())]


def json_files(folder: Path) -> list[Path]:
    """The .json files under `folder`, in natural order (actor_2 before actor_10)."""
    return sorted((p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() == ".json"),
                  key=_natural_key)
