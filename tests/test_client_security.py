# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 9, the client: hostile servers against the client, each case what a user would see.

What a download may be (bounded, named by the format asked for), where a key may go (only to its
endpoint, never through a proxy for loopback), and no plain http under an https endpoint. The
servers are made here (tests/hostile_servers.py): a storage that streams without end or lies about
its length, outputs named `../x.py`, a recording proxy, an https endpoint with a self-signed
certificate whose links are plain http. Every request is real HTTP on loopback.
"""
from __future__ import annotations

import pytest

import lib
from hostile_servers import (CLIENT_ANSWER, KEY, MIB, HostileServer, RecordingProxy, Reply, chunks,
                             file_answer, ipv6_loopback_available, job_answer, self_signed_certificate)
from lib import transfers
from lib.credentials import endpoint_identity

QUICK = lib.RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_retry_after=0.02)
JOB = "job-3f2a1b4c-0000-4000-8000-000000000000"


def hostile_client(server: HostileServer, **kw) -> lib.MoveClient:
    return lib.MoveClient(KEY, server.endpoint, retry_policy=QUICK, **kw)


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def api():
    with HostileServer() as server:
        yield server


@pytest.fixture
def storage():
    """A second loopback server: another origin, playing the presigned-URL storage."""
    with HostileServer() as server:
        yield server


# -- what a download may be: bounded ----------------------------------------------------------------

def test_an_endless_download_stops_at_the_cap_and_leaves_no_part_file(api, storage, tmp_path):
    # No Content-Length, chunked, 6 MiB "without end" (bounded here so that a client without the
    # bound finishes the test instead of filling the disk); the client's cap is 1 MiB.
    storage.route("GET", "/endless", lambda h, b: Reply(200, {}, chunks(6 * MIB)))
    api.answer("GetJob", job_answer(JOB, [{"key": "fbx", "type": ".fbx", "url": storage.url("/endless")}]))
    client = hostile_client(api, max_download_bytes=1 * MIB)
    dest = tmp_path / "downloads"
    with pytest.raises(lib.DownloadTooLarge) as caught:
        client.jobs.download(JOB, "fbx", dest)
    assert str(caught.value) == (
        "The storage sent more than 1,048,576 bytes for walk_3f2a1b4c_fbx.fbx without announcing a size: "
        "past the hard cap of a download (max_bytes). The download was stopped and its partial file deleted.")
    assert files_under(dest) == []  # no .part left behind
    assert len(storage.requests_to("/endless")) == 1  # refused, not retried


def test_a_download_longer_than_its_content_length_is_stopped(api, storage, tmp_path):
    # Announces 1000 bytes, then streams 3 MiB (chunked, which http.client does not bound by length).
    storage.route("GET", "/lying", lambda h, b: Reply(200, {"Content-Length": "1000"}, chunks(3 * MIB)))
    api.answer("GetJob", job_answer(JOB, [{"key": "fbx", "type": ".fbx", "url": storage.url("/lying")}]))
    dest = tmp_path / "downloads"
    with pytest.raises(lib.DownloadTooLarge, match="more than the 1,000 bytes it announced for "
                                                   "walk_3f2a1b4c_fbx.fbx"):
        hostile_client(api).jobs.download(JOB, "fbx", dest)
    assert files_under(dest) == []
    assert len(storage.requests_to("/lying")) == 1


def test_a_download_announced_past_the_cap_is_refused_before_a_byte_is_written(api, storage, tmp_path):
    storage.route("GET", "/huge", lambda h, b: Reply(200, {"Content-Length": str(10 * 1024 ** 3),
                                                         "Connection": "close"}, b"x" * 10))
    api.answer("GetJob", job_answer(JOB, [{"key": "fbx", "type": ".fbx", "url": storage.url("/huge")}]))
    dest = tmp_path / "downloads"
    with pytest.raises(lib.DownloadTooLarge, match=r"announced 10,737,418,240 bytes .* more than the "
                                                   r"4,294,967,296 bytes a download may have"):
        hostile_client(api).jobs.download(JOB, "fbx", dest)
    assert files_under(dest) == []


def test_the_default_cap_is_the_documented_four_gib():
    client = lib.MoveClient(KEY, "http://127.0.0.1:9/ugc/graphql")
    assert client.max_download_bytes == transfers.MAX_DOWNLOAD_BYTES == 4 * 1024 ** 3


# -- what a download may be: named by the format asked for ----------------------------------------

def test_server_file_names_and_types_never_choose_the_saved_name(api, storage, tmp_path):
    body = b"Kaydara FBX Binary  \x00 pretend"
    storage.route("GET", "/o", lambda h, b: Reply(200, {"Content-Disposition": 'attachment; filename="../x.py"'},
                                                  body))
    api.answer("GetJob", job_answer(JOB, name="../x", outputs=[
        {"key": "fbx", "format": "fbx", "type": "x.py", "url": storage.url("/o")},
        {"key": "../x.exe", "format": "../x", "type": ".exe", "url": storage.url("/o")},
        {"key": "motion_data", "type": "../evil.py", "url": storage.url("/o")}]))
    client = hostile_client(api)
    dest = tmp_path / "out" / "downloads"
    fbx = client.jobs.download(JOB, "fbx", dest)
    assert fbx == dest / "x_3f2a1b4c_fbx.fbx" and fbx.read_bytes() == body
    by_type_name = client.jobs.download(JOB, "MAIN_FBX", dest)  # Move's OutputType name: same file
    assert by_type_name == fbx
    everything = client.jobs.download_all(JOB, dest)
    assert everything["motion_data"].name == "x_3f2a1b4c_motion_data.zip"
    assert everything["../x.exe"].name == "x_3f2a1b4c_x.exe.bin"  # an unknown output: .bin, inside dest
    saved = files_under(tmp_path)
    assert not [name for name in saved if name.endswith((".py", ".exe"))], saved
    assert all(name.startswith("out") for name in saved), saved  # nothing escaped the download folder


# -- where a key may go ---------------------------------------------------------------------------

def test_presigned_hosts_never_get_the_key(api, storage, tmp_path):
    video = tmp_path / "walk.mp4"
    video.write_bytes(b"\0" * 4096)
    storage.route("PUT", "/put", lambda h, b: Reply(200, {"ETag": '"620f0b67a91f7f74151bc5be745b7110"'}))
    storage.route("GET", "/get", lambda h, b: Reply(200, {}, b"fbx"))
    api.answer("CreateFile", file_answer("createFile", storage.url("/put")))
    api.answer("GetJob", job_answer(JOB, [{"key": "fbx", "type": ".fbx", "url": storage.url("/get")}]))
    client = hostile_client(api)
    client.files.upload(video)
    client.jobs.download(JOB, "fbx", tmp_path / "d")
    assert [s.method for s in storage.seen] == ["PUT", "GET"]
    assert not [s for s in storage.seen if "Authorization" in s.headers or KEY in str(s.headers)]
    assert {s.headers.get("Authorization") for s in api.seen} == {KEY}  # the endpoint does get it


def test_a_redirect_to_another_origin_does_not_carry_the_key(api, storage):
    api.route("POST", "/ugc/graphql", lambda h, b: Reply(307, {"Location": storage.endpoint}))
    storage.answer("GetClient", CLIENT_ANSWER)
    assert hostile_client(api).client.retrieve().id == "client-hostile"
    assert [s.headers.get("Authorization") for s in storage.seen] == [None]


def test_endpoint_identity_names_one_key_slot_per_endpoint():
    assert endpoint_identity("https://API.move.ai:443/ugc/graphql/") == "https://api.move.ai"
    assert endpoint_identity(lib.DEFAULT_ENDPOINT) == "https://api.move.ai"
    assert endpoint_identity("http://127.0.0.1:8765/ugc/graphql") == "http://127.0.0.1:8765"
    assert endpoint_identity("http://[::1]:8765/ugc/graphql") == "http://[::1]:8765"
    # Move's cloud, the local server and another port are three slots: switching endpoints switches keys.
    slots = {endpoint_identity(u) for u in (lib.DEFAULT_ENDPOINT, "http://127.0.0.1:8765/ugc/graphql",
                                            "http://127.0.0.1:8766/ugc/graphql", "http://localhost:8765/x")}
    assert len(slots) == 4
    with pytest.raises(lib.ConfigError):
        endpoint_identity("ftp://api.move.ai")


# -- loopback never goes through a proxy ----------------------------------------------------------

@pytest.fixture
def proxy(monkeypatch):
    """Every proxy variable points at a recording proxy, and nothing is exempted from it."""
    with RecordingProxy() as recording:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, recording.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield recording


def test_the_local_server_is_reached_directly_whatever_the_proxy_settings(proxy, local_server, sample_video,
                                                                          tmp_path):
    client = lib.MoveClient(local_server.api_key, local_server.endpoint, retry_policy=QUICK)
    assert client.client_info.retrieve().id.startswith("client-")
    file = client.files.upload(sample_video)
    url = client.files.retrieve(id=file.id).presigned_url
    back = transfers.download_file(url, tmp_path / "back.mp4", refresh_url=lambda: url,
                                   session=client.transport.session, policy=client.transport.policy)
    assert back.read_bytes() == sample_video.read_bytes()
    assert proxy.seen == []  # not one request, so neither the key nor the video went to the proxy


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_localhost_and_ipv6_loopback_go_direct_too(proxy, host):
    if host == "::1" and not ipv6_loopback_available():
        pytest.skip("this machine has no IPv6 loopback")
    with HostileServer(host if host == "::1" else "127.0.0.1") as server:
        server.answer("GetClient", CLIENT_ANSWER)
        endpoint = server.endpoint.replace("127.0.0.1", "localhost")
        assert lib.MoveClient(KEY, endpoint, retry_policy=QUICK).client.retrieve().id == "client-hostile"
    assert proxy.seen == [] and [s.operation for s in server.seen] == ["GetClient"]


# -- https endpoint: nothing in plain http ----------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def secure_api(certificate):
    with HostileServer(certificate=certificate) as server:
        yield server


def secure_client(server: HostileServer, certificate, **kw) -> lib.MoveClient:
    return lib.MoveClient(KEY, server.endpoint, retry_policy=QUICK, verify=str(certificate[0]), **kw)


def test_the_self_signed_https_endpoint_works_with_its_certificate(secure_api, certificate):
    secure_api.answer("GetClient", CLIENT_ANSWER)
    assert secure_client(secure_api, certificate).client.retrieve().id == "client-hostile"
    with pytest.raises(lib.NetworkError, match="certificate or TLS problem"):
        lib.MoveClient(KEY, secure_api.endpoint, retry_policy=QUICK).client.retrieve()


def test_a_plain_http_upload_link_under_https_is_refused(secure_api, certificate, storage, tmp_path):
    video = tmp_path / "walk.mp4"
    video.write_bytes(b"\0" * 4096)
    storage.route("PUT", "/put", lambda h, b: Reply(200, {"ETag": '"620f0b67a91f7f74151bc5be745b7110"'}))
    secure_api.answer("CreateFile", file_answer("createFile", storage.url("/put")))
    with pytest.raises(lib.InsecureConnection) as caught:
        secure_client(secure_api, certificate).files.upload(video)
    assert str(caught.value) == (
        f"Refused the upload to {storage.url('/put')}: the endpoint {secure_api.endpoint} uses https, and "
        "this address is plain http, which would travel unencrypted. Nothing was sent. Check the endpoint "
        "in the add-on preferences; if it is Move's, tell Move's support.")
    assert storage.seen == []


def test_a_plain_http_download_link_under_https_is_refused(secure_api, certificate, storage, tmp_path):
    storage.route("GET", "/get", lambda h, b: Reply(200, {}, b"fbx"))
    secure_api.answer("GetJob", job_answer(JOB, [{"key": "fbx", "type": ".fbx", "url": storage.url("/get")}]))
    dest = tmp_path / "d"
    with pytest.raises(lib.InsecureConnection, match=r"^Refused the download from http://127\.0\.0\.1:\d+/get"):
        secure_client(secure_api, certificate).jobs.download(JOB, "fbx", dest)
    assert storage.seen == [] and files_under(dest) == []


def test_a_graphql_redirect_from_https_to_http_is_refused(secure_api, certificate, storage):
    secure_api.route("POST", "/ugc/graphql", lambda h, b: Reply(307, {"Location": storage.endpoint}))
    storage.answer("GetClient", CLIENT_ANSWER)
    with pytest.raises(lib.InsecureConnection) as caught:
        secure_client(secure_api, certificate).client.retrieve()
    assert str(caught.value) == (
        f"Refused to follow the endpoint's redirect of GetClient to {storage.endpoint}: the endpoint uses "
        "https and that address is plain http, which would carry the request unencrypted. Nothing was "
        "sent there. Check the endpoint in the add-on preferences.")
    assert storage.seen == [] and len(secure_api.seen) == 1  # refused at once, not retried


# -- a network policy (Online Access) ---------------------------------------------------------------

def test_a_network_policy_is_asked_before_every_request(api, storage, tmp_path):
    video = tmp_path / "walk.mp4"
    video.write_bytes(b"\0" * 4096)
    storage.route("PUT", "/put", lambda h, b: Reply(200, {"ETag": '"620f0b67a91f7f74151bc5be745b7110"'}))
    # The storage is reached by another name ("localhost"), which the policy does not allow.
    api.answer("CreateFile", file_answer("createFile", storage.url("/put", host="localhost")))
    asked = []

    def allow_host(host: str) -> bool:
        asked.append(host)
        return host == "127.0.0.1"

    client = hostile_client(api, allow_host=allow_host)
    with pytest.raises(lib.ConfigError, match=r"^Nothing was sent to localhost \(the upload\): this client's "
                                              "network policy does not allow that host"):
        client.files.upload(video)
    assert storage.seen == [] and "localhost" in asked and "127.0.0.1" in asked

    offline = hostile_client(api, allow_host=lambda host: False)
    before = len(api.seen)
    with pytest.raises(lib.ConfigError, match="Allow Online Access is off"):
        offline.client.retrieve()
    assert len(api.seen) == before  # not one byte left this machine


# -- an API answer without end ------------------------------------------------------------------------

def test_an_endless_api_answer_is_cut_off_not_read_into_memory(api, monkeypatch):
    from lib import transport
    monkeypatch.setattr(transport, "MAX_ANSWER_BYTES", 1 * MIB)  # 32 MiB in use; 1 MiB keeps the test quick
    api.answer("GetClient", lambda h, b: Reply(200, {"Content-Type": "application/json"},
                                               iter([b'{"data": {"client": "'] + list(chunks(8 * MIB)))))
    with pytest.raises(lib.ServerError) as caught:
        hostile_client(api).client.retrieve()
    assert str(caught.value) == ("Move's answer to GetClient was larger than 1 MiB, far more than any answer "
                                 "of the API; it was cut off and refused. Check the endpoint in the add-on "
                                 "preferences.")
    assert len(api.seen) == 1  # refused at once: an endpoint that does this is not retried
