# SPDX-License-Identifier: GPL-3.0-or-later
"""Presigned transfers on the local server: streamed PUT with ETag, GET with ranges, signatures, expiry."""
from __future__ import annotations

import hashlib
import http.client
import os
import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from conftest import start_server
from local_server.signing import TEST_CLOCK_ENV
from server_support import Api


@pytest.fixture(scope="module")
def api(local_server_plain):
    return Api(local_server_plain)


@pytest.fixture(scope="module")
def local_server_plain(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("transfer-server"), "--processor", "reference")
    yield running
    running.stop()


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _get_file(api, file_id):
    return api("query($id: ID!) { getFile(fileId: $id) { id type presignedUrl } }", id=file_id)["getFile"]


def test_upload_then_download_the_same_bytes(api, sample_video):
    created = api.create_file()
    assert "/transfer/upload/" in created["presignedUrl"] and "Expires=" in created["presignedUrl"]
    data = sample_video.read_bytes()
    with open(sample_video, "rb") as body:
        put = requests.put(created["presignedUrl"], data=body, timeout=30)
    assert put.status_code == 200
    assert put.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    download_url = _get_file(api, created["id"])["presignedUrl"]
    assert "/transfer/download/" in download_url and download_url.split("?")[0].endswith(".mp4")
    got = requests.get(download_url, timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["ETag"] == put.headers["ETag"] and int(got.headers["Content-Length"]) == len(data)


def test_range_requests_resume_a_download(api, sample_video):
    file_id = api.upload(sample_video)["id"]
    url = _get_file(api, file_id)["presignedUrl"]
    data = sample_video.read_bytes()
    part = requests.get(url, headers={"Range": "bytes=1000-"}, timeout=30)
    assert part.status_code == 206 and part.content == data[1000:]
    assert part.headers["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    middle = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=30)
    assert middle.status_code == 206 and middle.content == data[10:20]
    beyond = requests.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=30)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"


def test_tampered_urls_are_refused(api, sample_video):
    created = api.create_file()
    url = created["presignedUrl"]
    other_id = api.create_file()["id"]
    signature = parse_qs(urlsplit(url).query)["Signature"][0]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    tampered = [
        _with_query(url, Signature=flipped),
        _with_query(url, Expires=str(int(time.time()) + 999_999)),  # a longer life is not for the caller to pick
        url.replace(created["id"], other_id),  # the signature of one file does not open another
        url.split("?")[0],  # unsigned
    ]
    for bad in tampered:
        response = requests.put(bad, data=b"payload", timeout=10)
        assert response.status_code == 403, bad
        assert b"SignatureDoesNotMatch" in response.content
    # an upload URL cannot be used to read the file either (GET is signed separately)
    assert requests.get(url.replace("/transfer/upload/", "/transfer/download/"), timeout=10).status_code == 403
    assert _get_file(api, created["id"])["presignedUrl"].startswith(url.split("?")[0])  # still waiting for data


def test_expired_urls_are_refused_and_a_fresh_one_works(tmp_path, sample_video, monkeypatch):
    """URLs live --url-ttl seconds. The server's URL clock is moved on through its test-only clock file
    (local_server/signing.py) instead of the test sleeping out their life."""
    clock = tmp_path / "clock-offset"

    def move_clock_to(seconds: float) -> None:
        (tmp_path / "clock-offset.new").write_text(str(seconds), encoding="utf-8")
        (tmp_path / "clock-offset.new").replace(clock)  # never read half-written

    monkeypatch.setenv(TEST_CLOCK_ENV, str(clock))
    server = start_server(tmp_path / "data", "--url-ttl", "60", "--processor", "reference")
    try:
        assert any(TEST_CLOCK_ENV in line for line in server.output)  # the server says the knob is on
        api = Api(server)
        created = api.create_file()
        move_clock_to(61)
        response = requests.put(created["presignedUrl"], data=sample_video.read_bytes(), timeout=10)
        assert response.status_code == 403
        assert b"AccessDenied" in response.content and b"Request has expired" in response.content
        fresh = _get_file(api, created["id"])["presignedUrl"]
        assert requests.put(fresh, data=sample_video.read_bytes(), timeout=10).status_code == 200
        download = _get_file(api, created["id"])["presignedUrl"]
        move_clock_to(61 + 50)  # 50 s into the download URL's 60: still good
        assert requests.get(download, timeout=10).status_code == 200
        move_clock_to(61 + 61)
        expired = requests.get(download, timeout=10)
        assert expired.status_code == 403 and b"Request has expired" in expired.content
    finally:
        server.stop()


def test_upload_needs_a_content_length(api):
    created = api.create_file()
    chunks = (b"x" * 1000 for _ in range(3))  # a generator makes requests send chunked
    response = requests.put(created["presignedUrl"], data=chunks, timeout=10)
    assert response.status_code == 411
    assert "/transfer/upload/" in _get_file(api, created["id"])["presignedUrl"]


def test_keep_alive_connection_survives_a_refused_upload(api):
    """A refused PUT's body is drained, so the next request on the same connection is answered properly."""
    created = api.create_file()
    session = requests.Session()
    refused = session.put(_with_query(created["presignedUrl"], Signature="bad"), data=b"y" * 200_000, timeout=10)
    assert refused.status_code == 403
    accepted = session.put(created["presignedUrl"], data=b"z" * 1000, timeout=10)
    assert accepted.status_code == 200 and accepted.headers["ETag"] == f'"{hashlib.md5(b"z" * 1000).hexdigest()}"'


def _peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def test_large_upload_is_streamed_not_held_in_memory(api, local_server_plain, tmp_path):
    big = tmp_path / "big.mov"
    size = 96 * 1024 * 1024
    with open(big, "wb") as out:  # random-ish content without spending time on a PRNG
        block = os.urandom(1024 * 1024)
        for i in range(size // len(block)):
            out.write(block[i % 7:] + block[: i % 7])
    before = _peak_rss_kib(local_server_plain.process.pid)
    created = api.create_file("mov")
    with open(big, "rb") as body:
        put = requests.put(created["presignedUrl"], data=body, timeout=120)
    assert put.status_code == 200
    digest = hashlib.md5()
    with open(big, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    assert put.headers["ETag"] == f'"{digest.hexdigest()}"'
    got = requests.get(_get_file(api, created["id"])["presignedUrl"], stream=True, timeout=120)
    received = sum(len(c) for c in got.iter_content(1 << 20))
    assert received == size
    growth_mib = (_peak_rss_kib(local_server_plain.process.pid) - before) / 1024
    assert growth_mib < 32, f"server peak memory grew by {growth_mib:.0f} MiB for a 96 MiB transfer"


def test_url_query_strings_and_key_never_reach_the_log(api, local_server_plain, sample_video):
    file_id = api.upload(sample_video)["id"]
    requests.get(_get_file(api, file_id)["presignedUrl"], timeout=10)
    log = "".join(local_server_plain.output)
    assert "/transfer/download/" in log
    assert "Signature=" not in log and "Expires=" not in log
    assert log.count(local_server_plain.api_key) == 1  # only the start-up line that hands it to the user


def test_http_client_sees_etag_on_raw_put(api):
    """Without requests' help: a plain HTTP/1.1 PUT with Content-Length gets 200 and the ETag."""
    created = api.create_file()
    parts = urlsplit(created["presignedUrl"])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("PUT", f"{parts.path}?{parts.query}", body=b"abc", headers={"Content-Length": "3"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("ETag") == f'"{hashlib.md5(b"abc").hexdigest()}"'
    connection.close()
