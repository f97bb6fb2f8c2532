# SPDX-License-Identifier: GPL-3.0-or-later
"""Presigned-URL transfers: a streamed PUT from disk and a resumable GET to a .part file.

Both are safe to repeat (the same object is replaced), so they retry on 429, 5xx and broken
connections. A 403 is what an expired link answers: the caller's `refresh_url` asks the API for
a fresh one (getFile / getJob) and the transfer starts again.

What a download may be: no more bytes than the storage announced for it (Content-Length, or the
total of Content-Range when resuming), and never more than MAX_DOWNLOAD_BYTES (4 GiB unless the
caller passes another `max_bytes`), announced or not. Past the bound the
transfer stops, the `.part` is deleted and DownloadTooLarge says why; nothing of it stays on disk.
Each link, first or renewed, passes the session's network rules (network.py) before it is used.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Callable, TypeVar

import requests

from . import retry
from .errors import Cancelled, DownloadTooLarge, MoveError, NetworkError, NotFound, RateLimited, ServerError
from .network import describe_url
from .transport import network_reason

log = logging.getLogger(__name__)

BLOCK_SIZE = 1024 * 1024
MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3  # the hard cap of any one download (an FBX of a long take is ~100 MB)
TRANSFER_TIMEOUT = (10.0, 120.0)  # (connect, read between bytes)
MAX_URL_REFRESHES = 3

Progress = Callable[[int, int], None]
T = TypeVar("T")


class UploadBody:
    """A file on disk as a request body: length known (so Content-Length is sent), read in 1 MiB
    blocks with an MD5 kept on the way, progress reported and cancellation checked per block.

    read() returns whole blocks whatever size urllib3 asks for: it sends each block as given, and
    1 MiB blocks keep callbacks and system calls few. The file is never read whole into memory.
    """

    def __init__(self, path: Path, progress: Progress | None = None,
                 cancel: threading.Event | None = None):
        self._file = open(path, "rb")
        self.total = os.fstat(self._file.fileno()).st_size
        self.sent = 0
        self.md5 = hashlib.md5()
        self._progress, self._cancel = progress, cancel

    def __len__(self) -> int:
        return self.total

    def read(self, size: int = -1) -> bytes:
        retry.check_cancel(self._cancel)
        block = self._file.read(BLOCK_SIZE)
        if block:
            self.md5.update(block)
            self.sent += len(block)
            if self._progress:
                self._progress(self.sent, self.total)
        return block

    def __iter__(self):  # requests streams bodies that are iterable and have a length
        while block := self.read():
            yield block

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _etag_matches(etag: str | None, md5_hex: str) -> bool | None:
    """True/False when the ETag is a plain MD5 (a single PUT); None when it says nothing checkable."""
    if not etag:
        return None
    value = etag.strip().removeprefix("W/").strip('"').lower()
    if not re.fullmatch(r"[0-9a-f]{32}", value):
        return None  # e.g. a multipart ETag "<md5>-<parts>"
    return value == md5_hex


def _retry(error: MoveError, retry_after: float | None = None) -> retry.Failure:
    """A transfer failure worth another try (transfers are repeatable whatever the outcome)."""
    return retry.Failure(error, retry.UNKNOWN, retry_after)


def _status_failure(status: int, what: str, retry_after: float | None) -> Exception:
    """The exception for an HTTP error answer of a transfer: a retry.Failure when another try may help."""
    if status == 429:
        return _retry(RateLimited(f"The storage is receiving too many requests (HTTP 429) during the "
                                  f"{what}. Wait a minute and try again.", status=status,
                                  retry_after=retry_after, operation=what), retry_after)
    if status >= 500:
        return _retry(ServerError(f"The storage failed (HTTP {status}) during the {what}. Try again "
                                  "in a few minutes.", status=status, operation=what), retry_after)
    if status == 404:
        return NotFound(f"The storage has no such file for the {what} (HTTP 404).", status=status,
                        operation=what)
    return ServerError(f"The storage refused the {what} (HTTP {status}).", status=status, operation=what)


class _Expired(Exception):
    """The storage answered 403: what an expired presigned link answers."""


class _Transfer:
    """One upload or download: its link, renewed when it expires, and the shared retry loop."""

    def __init__(self, what: str, url: str, refresh_url: Callable[[], str], session: requests.Session,
                 policy: retry.RetryPolicy, cancel: threading.Event | None, timeout=TRANSFER_TIMEOUT):
        self.what, self.url, self.refresh_url = what, url, refresh_url
        self.session, self.policy, self.cancel, self.timeout = session, policy, cancel, timeout
        self.refreshes = 0

    def run(self, attempt_once: Callable[[], T]) -> T:
        return retry.run(lambda: self._with_fresh_links(attempt_once), what=self.what, kind=retry.TRANSFER,
                         policy=self.policy, cancel=self.cancel)

    def _with_fresh_links(self, attempt_once: Callable[[], T]) -> T:
        """One try; an expired link is not a server fault: renew it and go again without waiting
        (and without using up a try), at most MAX_URL_REFRESHES times per transfer."""
        while True:
            rules = getattr(self.session, "rules", None)  # a GuardedSession's (network.py)
            if rules is not None:
                rules.check(self.url, self.what)  # the first link and every renewed one
            try:
                return attempt_once()
            except _Expired:
                if self.refreshes >= MAX_URL_REFRESHES:
                    raise ServerError(f"The storage kept refusing the {self.what} link (HTTP 403) even "
                                      "after it was renewed. Try again later.", status=403,
                                      operation=self.what) from None
                self.refreshes += 1
                log.info("%s link refused (expired?); asking for a fresh one", self.what)
                self.url = self.refresh_url()
                retry.check_cancel(self.cancel)
            except requests.exceptions.RequestException as exc:
                raise _retry(NetworkError(
                    f"The {self.what} from {describe_url(self.url)} failed: {network_reason(exc)}. Check "
                    "the internet connection and try again.", operation=self.what)) from None


def upload_file(path: Path, url: str, *, refresh_url: Callable[[], str], session: requests.Session,
                policy: retry.RetryPolicy, progress: Progress | None = None,
                cancel: threading.Event | None = None, timeout=TRANSFER_TIMEOUT) -> str:
    """PUT the file to the presigned URL (from byte 0 on every try); returns the checked ETag."""
    transfer = _Transfer("upload", url, refresh_url, session, policy, cancel, timeout)

    def attempt() -> str:
        with UploadBody(path, progress, cancel) as body:
            response = session.put(transfer.url, data=body, timeout=timeout,
                                   headers={"Content-Type": "application/octet-stream"})
            with response:
                status = response.status_code
                if status == 403:
                    raise _Expired()
                if not 200 <= status < 300:
                    raise _status_failure(status, "upload",
                                          retry.parse_retry_after(response.headers.get("Retry-After")))
                etag = response.headers.get("ETag")
                matches = _etag_matches(etag, body.md5.hexdigest())
                if body.sent != body.total or matches is False:
                    raise _retry(ServerError("The upload arrived damaged (its checksum does not match "
                                             "the file). Try again.", status=status, operation="upload"))
                if etag is None:
                    raise _retry(ServerError("The storage did not confirm the upload (no ETag in its "
                                             "answer). Try again.", status=status, operation="upload"))
                return etag.strip('"')

    return transfer.run(attempt)


def _content_range(header: str | None) -> tuple[int, int | None] | None:
    """(first byte, total or None) from 'bytes 100-199/200'."""
    m = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", header or "")
    if not m:
        return None
    return int(m.group(1)), None if m.group(3) == "*" else int(m.group(3))


def _too_large(part: Path, what: str) -> DownloadTooLarge:
    part.unlink(missing_ok=True)
    return DownloadTooLarge(f"{what} The download was stopped and its partial file deleted.",
                            operation="download")


def download_file(url: str, final_path: Path, *, refresh_url: Callable[[], str], session: requests.Session,
                  policy: retry.RetryPolicy, progress: Progress | None = None,
                  cancel: threading.Event | None = None, timeout=TRANSFER_TIMEOUT,
                  max_bytes: int = MAX_DOWNLOAD_BYTES) -> Path:
    """GET the URL into `<final>.part`, resuming with Range, and rename it to `final_path` once the
    size matches what the server announced. A cancelled download keeps its .part for next time.

    Bounded (see the module docstring): by the size the server announces, and by `max_bytes` in
    any case."""
    part = final_path.with_name(final_path.name + ".part")
    transfer = _Transfer("download", url, refresh_url, session, policy, cancel, timeout)
    name = final_path.name

    def attempt() -> Path:
        have = part.stat().st_size if part.exists() else 0
        # identity: sizes must be those of the file itself, not of a compressed transfer
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        with session.get(transfer.url, headers=headers, stream=True, timeout=timeout) as response:
            status = response.status_code
            if status == 403:
                raise _Expired()
            if status == 416 and have:
                part.unlink()  # our .part is not a prefix of this file: start over
                raise _retry(ServerError("The partial download did not fit the file; starting over.",
                                         status=status, operation="download"), 0.0)
            if status not in (200, 206):
                raise _status_failure(status, "download",
                                      retry.parse_retry_after(response.headers.get("Retry-After")))
            length = response.headers.get("Content-Length")
            if status == 206:
                span = _content_range(response.headers.get("Content-Range"))
                if span is None or span[0] != have:
                    part.unlink(missing_ok=True)
                    raise _retry(ServerError("The server resumed the download at the wrong place; "
                                             "starting over.", status=status, operation="download"), 0.0)
                offset, total = have, span[1]
                mode = "ab"
            else:  # the whole file: a server that ignores Range, or a first try
                offset, mode = 0, "wb"
                total = int(length) if length and length.isdigit() else None
            if total is not None and total > max_bytes:
                raise _too_large(part, f"The storage announced {total:,} bytes for {name}, more than the "
                                       f"{max_bytes:,} bytes a download may have (max_bytes).")
            bound = total if total is not None else max_bytes
            done = offset
            with open(part, mode) as out:
                for block in response.iter_content(BLOCK_SIZE):
                    retry.check_cancel(cancel)
                    if done + len(block) > bound:
                        out.close()
                        raise _too_large(part, (
                            f"The storage sent more than the {total:,} bytes it announced for {name}."
                            if total is not None else
                            f"The storage sent more than {max_bytes:,} bytes for {name} without announcing "
                            "a size: past the hard cap of a download (max_bytes)."))
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total if total is not None else done)
        size = part.stat().st_size
        if total is not None and size != total:
            if size > total:
                part.unlink()
            raise _retry(NetworkError(f"The download stopped early ({size} of {total} bytes).",
                                      operation="download"))
        os.replace(part, final_path)
        return final_path

    try:
        return transfer.run(attempt)
    except Cancelled:
        raise Cancelled("Download cancelled; the partial file is kept and the next download resumes it.") \
            from None
