# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhooks from the local server: job state events to a listener on 127.0.0.1, signed and retried."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local_server.launcher import start_server
from local_server.webhooks import verify
from server_support import TEST_PROCESSOR, Api

SECRET = "whsec_" + "c2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5"


class Listener:
    """A pipeline's webhook receiver: records every request; answers 500 to the first `fail_first`."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[tuple[dict, bytes]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(500 if len(outer.requests) <= outer.fail_first else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/move"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self, event_type: str) -> list[tuple[dict, bytes]]:
        return [(h, b) for h, b in self.requests if json.loads(b)["type"] == event_type]

    def wait_for(self, event_type: str, count: int = 1, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while len(self.events(event_type)) < count:
            assert time.monotonic() < deadline, [json.loads(b)["type"] for _, b in self.requests]
            time.sleep(0.05)
        return self.events(event_type)

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("webhook-server"), "--processor", TEST_PROCESSOR,
                          "--webhook-retry-seconds", "0.2")
    yield Api(server)
    server.stop()


def _hook(api, uid, url, events=None, secret=SECRET):
    return api("""mutation($u: String!, $url: String!, $e: [String!], $s: String) {
                  upsertWebhookEndpoint(uid: $u, url: $url, events: $e, secret: $s) { uid secret } }""",
               u=uid, url=url, e=events, s=secret)["upsertWebhookEndpoint"]


def _job(api, sample_video, **extra):
    take = api.create_take(api.upload(sample_video)["id"])
    return api.create_job(take["id"], **extra)


def test_completed_event_is_signed_and_retried_until_delivered(api, sample_video):
    listener = Listener(fail_first=2)
    try:
        _hook(api, "pipeline", listener.url, events=["ugc.job.state.completed"])
        job = _job(api, sample_video)
        (headers, body), = listener.wait_for("ugc.job.state.completed", count=3)[-1:]
        deliveries = listener.events("ugc.job.state.completed")
        # the two refused attempts and the accepted one carry the same message id, each signed anew
        assert len(deliveries) == 3 and len({h["webhook-id"] for h, _ in deliveries}) == 1
        event = verify(SECRET, headers, body)
        assert event["data"]["id"] == job["id"] and event["data"]["state"] == "FINISHED"
        assert headers["svix-signature"] == headers["webhook-signature"]
        with pytest.raises(ValueError, match="bad webhook signature"):
            verify("whsec_" + "b3RoZXItc2VjcmV0", headers, body)
        with pytest.raises(ValueError, match="bad webhook signature"):
            verify(SECRET, headers, body.replace(b"FINISHED", b"FAILED__"))
        assert not listener.events("ugc.job.state.running")  # the endpoint asked for completed only
    finally:
        listener.close()


def test_failed_event_with_its_reason_and_a_wildcard_subscription(api, sample_video):
    listener = Listener()
    try:
        _hook(api, "pipeline", listener.url, events=["ugc.job.state.*"])
        job = _job(api, sample_video, options={"trackBall": True})  # the test processor crashes on trackBall
        (headers, body), = listener.wait_for("ugc.job.state.failed")
        event = verify(SECRET, headers, body)
        assert event["data"]["id"] == job["id"] and event["data"]["metadata"]["failureReason"]
        assert listener.wait_for("ugc.job.state.running")
    finally:
        listener.close()


def test_endpoints_elsewhere_get_nothing_and_never_hold_a_job_back(api, sample_video):
    listener = Listener()
    try:
        _hook(api, "pipeline", listener.url, events=["ugc.job.state.completed"])
        _hook(api, "elsewhere", "http://192.0.2.1:9/hook")  # not loopback, not allowed: refused, logged
        hook = _hook(api, "unsigned", listener.url.replace("/move", "/other"), secret=None)
        assert hook["secret"].startswith("whsec_")  # the server made one, so every delivery is signed
        started = time.monotonic()
        job = _job(api, sample_video)
        assert api.wait_job(job["id"])["progress"]["state"] == "FINISHED"
        assert time.monotonic() - started < 10
        listener.wait_for("ugc.job.state.completed", count=2)
        paths = {json.loads(b)["data"]["id"] for _, b in listener.events("ugc.job.state.completed")}
        assert job["id"] in paths
        assert any("not sent to 192.0.2.1" in line for line in api.server.output)
    finally:
        listener.close()


def test_the_listener_in_the_docs_accepts_a_real_delivery(api, sample_video):
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "LOCAL_SERVER.md").read_text()
    snippet = re.search(r"```python\n(# listen\.py.*?)```", docs, re.S).group(1)
    namespace: dict = {}
    serve = 'HTTPServer(("127.0.0.1", 9000), Hook).serve_forever()'
    assert serve in snippet
    exec(compile(snippet.replace(serve, ""), "listen.py", "exec"), namespace)  # all but the blocking loop
    namespace["SECRET"] = SECRET
    listener = Listener()
    try:
        _hook(api, "pipeline", listener.url, events=["ugc.job.state.completed"])
        job = _job(api, sample_video)
        for headers, body in listener.wait_for("ugc.job.state.completed"):
            if json.loads(body)["data"]["id"] == job["id"]:
                assert namespace["verified"](headers, body)["data"]["state"] == "FINISHED"
                break
        else:
            raise AssertionError("no delivery for the job")
    finally:
        listener.close()
