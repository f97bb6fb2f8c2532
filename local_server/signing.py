# SPDX-License-Identifier: GPL-3.0-or-later
"""Presigned transfer URLs: HMAC-SHA256 over method, path and expiry, carried in the query like S3's."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote, urlencode

UPLOAD_PREFIX = "/transfer/upload/"
DOWNLOAD_PREFIX = "/transfer/download/"


class UrlSigner:
    def __init__(self, secret: bytes, ttl_seconds: int):
        self._secret = secret
        self.ttl = ttl_seconds

    def _signature(self, method: str, path: str, expires: int) -> str:
        message = f"{method}\n{path}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _sign(self, base_url: str, method: str, path: str) -> str:
        expires = int(time.time()) + self.ttl
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
        if int(expires_text) < time.time():
            return "expired"
        return None
