# SPDX-License-Identifier: GPL-3.0-or-later
"""client.files: create a file, get it, and upload a video to it (streamed from disk)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from . import retry, transfers
from .errors import MoveError
from .metadata import to_awsjson
from .models import File

VIDEO_TYPES = {"mp4": "MP4", "mov": "MOV", "avi": "AVI"}  # file type -> take source format
FILE_TYPES = set(VIDEO_TYPES) | {"move"}


def video_type_of(path: Path) -> str:
    """'mp4' for clip.MP4; a MoveError naming the accepted types otherwise."""
    ext = Path(path).suffix.lstrip(".").lower()
    if ext not in VIDEO_TYPES:
        raise MoveError(f"{Path(path).name!r} is not a video Move accepts: use an .mp4, .mov or .avi file.")
    return ext


def check_readable_file(path: Path) -> Path:
    """The path, if it names a non-empty file this process can read; a MoveError saying why not."""
    path = Path(os.path.expanduser(os.fspath(path)))
    if not path.exists():
        raise MoveError(f"The video {str(path)!r} does not exist. Check the path.")
    if not path.is_file():
        raise MoveError(f"{str(path)!r} is not a file. Choose a video file.")
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as exc:
        raise MoveError(f"The video {str(path)!r} cannot be read ({exc.strerror or exc}). Check its "
                        "permissions.") from None
    if path.stat().st_size == 0:
        raise MoveError(f"The video {str(path)!r} is empty (0 bytes).")
    return path


class Files:
    def __init__(self, client):
        self._client = client

    def create(self, file_type: str = "mp4", *, name: str | None = None, metadata=None,
               cancel: threading.Event | None = None) -> File:
        """createFile: a new file with an upload URL. Safe to ask again: an unused file costs nothing."""
        file_type = file_type.lstrip(".").lower()
        if file_type not in FILE_TYPES:
            raise MoveError(f"Move takes files of type mp4, mov, avi or move, not {file_type!r}.")
        data = self._client.transport.execute(
            "CreateFile", {"type": file_type, "name": name, "metadata": to_awsjson(metadata)},
            kind=retry.REPEATABLE, cancel=cancel)
        return File.from_api(data["createFile"])

    def retrieve(self, id: str, *, cancel: threading.Event | None = None) -> File:
        data = self._client.transport.execute("GetFile", {"fileId": id}, cancel=cancel)
        return File.from_api(data["getFile"])

    def upload(self, path, *, file_type: str | None = None, name: str | None = None, metadata=None,
               progress: transfers.Progress | None = None,
               cancel: threading.Event | None = None) -> File:
        """Create a file and PUT the video into it, streamed from disk. Returns the File (use its id
        in a take). `progress(sent, total)` is called per 1 MiB; setting `cancel` stops the upload."""
        path = check_readable_file(path)
        file_type = (file_type or video_type_of(path)).lstrip(".").lower()
        file = self.create(file_type, name=name if name is not None else path.name, metadata=metadata,
                           cancel=cancel)
        if not file.presigned_url:
            raise MoveError("Move created the file but gave no upload link. Try again.")

        def fresh_url() -> str:
            url = self.retrieve(file.id, cancel=cancel).presigned_url
            if not url:
                raise MoveError("Move gave no new upload link for the file. Try again.")
            return url

        transfers.upload_file(path, file.presigned_url, refresh_url=fresh_url,
                              session=self._client.transport.session, policy=self._client.transport.policy,
                              progress=progress, cancel=cancel, timeout=self._client.transfer_timeout)
        return file
