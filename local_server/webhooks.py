# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhook delivery: `ugc.job.state.*` events POSTed to the endpoints a client registered with
upsertWebhookEndpoint, signed, retried with backoff, from one thread of their own.

Signing follows Standard Webhooks, the scheme Svix (Move's webhook service) uses: headers
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">` keyed with the endpoint's secret (a `whsec_` secret is base64 after the
prefix), plus the same under `svix-*` names. A receiver checks the signature and that the timestamp
is recent, which defeats replays. Deliveries go only to loopback addresses or to hosts the server
was started with (`--webhook-allow-host`): the local server must not become a way to reach other
machines. The job runner only enqueues; a slow or dead endpoint never holds a job back.
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import heapq
import hmac
import ipaddress
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .server_log import log
from .store import Store, now_iso

EVENT_TYPES = {"RUNNING": "ugc.job.state.running", "FINISHED": "ugc.job.state.completed",
               "FAILED": "ugc.job.state.failed"}
RETRY_DELAYS = (1, 2, 4, 8, 16, 32)  # multiples of the retry unit, after the first attempt
TIMEOUT_S = 5.0


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except ValueError:
            pass
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one delivery."""
    mac = hmac.new(secret_bytes(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers, body: bytes, tolerance_s: float = 300.0) -> dict:
    """What a receiver does (the docs' example uses it): check signature and freshness, return the event."""
    get = (lambda k: headers.get(k) or headers.get(k.replace("webhook-", "svix-")))
    message_id, timestamp = get("webhook-id"), get("webhook-timestamp")
    if not message_id or not timestamp:
        raise ValueError("missing webhook-id or webhook-timestamp")
    if abs(time.time() - int(timestamp)) > tolerance_s:
        raise ValueError("webhook timestamp too old or in the future")
    expected = sign(secret, message_id, int(timestamp), body).split(",", 1)[1]
    offered = [s.split(",", 1)[1] for s in (get("webhook-signature") or "").split() if s.startswith("v1,")]
    if not any(hmac.compare_digest(expected, o) for o in offered):
        raise ValueError("bad webhook signature")
    return json.loads(body)


def host_allowed(url: str, allowed_hosts: set[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in allowed_hosts or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def event_matches(patterns: list[str], event_type: str) -> bool:
    """An endpoint with no events listed gets them all; patterns may end in * (ugc.job.state.*)."""
    return not patterns or any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


@dataclass(order=True)
class _Delivery:
    due: float
    attempt: int = field(compare=False)
    url: str = field(compare=False)
    secret: str = field(compare=False)
    message_id: str = field(compare=False)
    body: bytes = field(compare=False)
    event_type: str = field(compare=False)


class WebhookDispatcher:
    def __init__(self, store: Store, allowed_hosts: list[str] | None = None, retry_unit_s: float = 2.0):
        self.store = store
        self.allowed_hosts = {h.lower() for h in allowed_hosts or []}
        self.retry_unit_s = retry_unit_s
        self._queue: list[_Delivery] = []
        self._cv = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._deliver_loop, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        self._thread.join(timeout)

    def notify(self, state: str, job: dict | None) -> None:
        """Queue the event of a job's new state for each matching endpoint of its client (never blocks)."""
        event_type = EVENT_TYPES.get(state)
        if event_type is None or job is None:
            return
        metadata = {**json.loads(job.get("user_metadata") or "{}"), **json.loads(job.get("server_metadata") or "{}")}
        payload = {"type": event_type, "timestamp": now_iso(),
                   "data": {"id": job["id"], "state": state, "takeId": job["take_id"], "jobType": job["job_type"],
                            "metadata": metadata}}
        body = json.dumps(payload).encode()
        for hook in self.store.webhooks_of(job["client_id"]):
            if not event_matches(json.loads(hook["events"] or "[]"), event_type):
                continue
            if not host_allowed(hook["url"], self.allowed_hosts):
                log(f"webhook {hook['uid']}: not sent to {urlsplit(hook['url']).hostname} (not loopback; start the "
                    "server with --webhook-allow-host to allow it)")
                continue
            delivery = _Delivery(time.monotonic(), 0, hook["url"], hook["secret"] or "", f"msg_{uuid.uuid4().hex}",
                                 body, event_type)
            with self._cv:
                heapq.heappush(self._queue, delivery)
                self._cv.notify()

    def _deliver_loop(self) -> None:
        import requests

        session = requests.Session()
        while True:
            with self._cv:
                while not self._stopping and (not self._queue or self._queue[0].due > time.monotonic()):
                    self._cv.wait(None if not self._queue else max(0.0, self._queue[0].due - time.monotonic()))
                if self._stopping:
                    return
                d = heapq.heappop(self._queue)
            timestamp = int(time.time())
            headers = {"content-type": "application/json", "user-agent": "move-local-server-webhooks"}
            signature = sign(d.secret, d.message_id, timestamp, d.body)
            for prefix in ("webhook", "svix"):
                headers.update({f"{prefix}-id": d.message_id, f"{prefix}-timestamp": str(timestamp),
                                f"{prefix}-signature": signature})
            try:
                status = session.post(d.url, data=d.body, headers=headers, timeout=TIMEOUT_S,
                                      allow_redirects=False).status_code
                error = None if 200 <= status < 300 else f"HTTP {status}"
            except requests.RequestException as exc:
                error = type(exc).__name__
            if error is None:
                log(f"webhook {d.event_type} {d.message_id} delivered (attempt {d.attempt + 1})")
                continue
            if d.attempt < len(RETRY_DELAYS):
                d.due = time.monotonic() + RETRY_DELAYS[d.attempt] * self.retry_unit_s
                d.attempt += 1
                log(f"webhook {d.event_type} {d.message_id} failed ({error}); retry {d.attempt} in "
                    f"{RETRY_DELAYS[d.attempt - 1] * self.retry_unit_s:g}s")
                with self._cv:
                    heapq.heappush(self._queue, d)
            else:
                log(f"webhook {d.event_type} {d.message_id} given up after {d.attempt + 1} attempts ({error})")
