# SPDX-License-Identifier: GPL-3.0-or-later
"""Presigned transfer URLs: HMAC-SHA256 over method, path and expiry, carried in the query like S3's.

Tests only: when $MOVE_LOCAL_TEST_CLOCK_FILE names a file, the seconds written in it are added to
the clock that signs and checks URLs, so a test moves time on instead of sleeping out a URL's life.
Nothing reaches it over the network; the server logs at start-up that it is on.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from typing import Callable
from urllib.parse import quote, urlencode

UPLOAD_PREFIX = "/transfer/upload/"
DOWNLOAD_PREFIX = "/transfer/download/"
TEST_CLOCK_ENV = "MOVE_LOCAL_TEST_CLOCK_FILE"


def clock_from_environment() -> Callable[[], float]:
    """time.time, or time.time plus the offset in the file $MOVE_LOCAL_TEST_CLOCK_FILE names (read
    at each call; a missing or empty file is no offset)."""
    path = os.environ.get(TEST_CLOCK_ENV)
    if not path:
        return time.time
    from .server_log import log

    log(f"Test clock: URL expiry reads its offset from {path} ({TEST_CLOCK_ENV} is set)")

    def shifted() -> float:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read().strip()
        except FileNotFoundError:
            text = ""
        return time.time() + (float(text) if text else 0.0)

    return shifted


class UrlSigner:
    def __init__(self, secret: bytes, ttl_seconds: int, clock: Callable[[], float] | None = None):
        self._secret = secret
        self.ttl = ttl_seconds
        self._clock = clock or clock_from_environment()

    def _signature(self, method: str, path: str, expires: int) -> str:
        message = f"{method}\n{path}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _sign(self, base_url: str, method: str, path: str) -> str:
        expires = int(self._clock()) + self.ttl
        query = urlencode({"Expires": expires, "Signature": self._signature(method, path, expires)})
        return f"{base_url}{path}?{query}"

    def upload_url(self, base_url: str, file_id: str) -> str:
        return self._sign(base_url, "PUT", UPLOAD_PREFIX + quote(file_id))

    def download_url(self, base_url: str, file_id: str, filename: str) -> str:
        return self._sign(base_url, "GET", f"{DOWNLOAD_PREFIX}{quote(file_id)}/{quote(filename)}")

    def check(self, method: str, path: str, params: dict[str, str]) -> str | None:
        """None if the URL is good; otherwise 'signature' or 'expired' (what S3 would refuse it for)."""
        expires_text, signature = params.get("Expires", ""), params.get("Signature", "")
        if not expires_text.isdigit() or not signature:
            return "signature"
        expected = self._signature(method, path, int(expires_text))
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "signature"
        if int(expires_text) < self._clock():
            return "expired"
        return None
