# SPDX-License-Identifier: GPL-3.0-or-later
"""The local server under attack (issue 9, items 5-8): keys, unauthenticated CPU, Host, network binds.

Each test plays the attacker or the accident over real HTTP on 127.0.0.1 against a real server
process, and checks what the user would see. Every wait is bounded.
"""
from __future__ import annotations

import json
import os
import re
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import ROOT, start_server
from server_support import TEST_PROCESSOR, Api, non_loopback_address

UNAUTHORIZED = {"errors": [{"errorType": "UnauthorizedException",
                            "message": "You are not authorized to make this call."}]}
HOSTILE_60KB = "{ client { " + "id " * 20000 + "} }"  # validation of repeated fields is quadratic


def start_refused(data_dir: Path, *args: str, preexec=None) -> subprocess.CompletedProcess:
    """Run the server as a user would (key from the data dir); it must stop by itself within 20 s."""
    env = {k: v for k, v in os.environ.items() if k != "MOVE_LOCAL_API_KEY"}
    return subprocess.run([sys.executable, "-m", "local_server", "--port", "0", "--data-dir", str(data_dir),
                           "--processor", "reference", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=20, preexec_fn=preexec)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("security-server"), "--processor", TEST_PROCESSOR)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server):
    return Api(server)


def faults(server, method: str, rule: dict | None = None) -> requests.Response:
    return requests.request(method, server.base_url + "/_faults", json=rule,
                            headers={"Authorization": server.api_key}, timeout=10)


@pytest.fixture(autouse=True)
def no_faults_left(server):
    faults(server, "DELETE")
    yield
    faults(server, "DELETE")


# -- 5. the key file ----------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"", b"\n  \n"])
def test_an_empty_key_file_stops_the_start_with_what_to_do(tmp_path, content):
    (tmp_path / "api_key").write_bytes(content)
    run = start_refused(tmp_path)
    assert run.returncode != 0 and "Endpoint:" not in run.stdout
    assert str(tmp_path / "api_key") in run.stderr and "is empty" in run.stderr
    assert "Delete it" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("make", [lambda p: p.mkdir(), lambda p: p.write_bytes(b"\xff\xfe not text")],
                         ids=["a-folder", "not-text"])
def test_an_unreadable_key_file_stops_the_start_with_what_to_do(tmp_path, make):
    make(tmp_path / "api_key")
    run = start_refused(tmp_path)
    assert run.returncode != 0 and "Endpoint:" not in run.stdout
    assert "cannot be read" in run.stderr and "delete it" in run.stderr and "Traceback" not in run.stderr


def test_a_full_disk_at_first_start_leaves_no_empty_key_behind(tmp_path):
    """RLIMIT_FSIZE 0 makes every write fail as a full disk would (EFBIG; Python ignores SIGXFSZ)."""
    def no_room():
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    run = start_refused(tmp_path, preexec=no_room)
    assert run.returncode != 0 and "Could not write the API key file" in run.stderr and "Free some space" in run.stderr
    assert not (tmp_path / "api_key").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left either
    # Space again: the next start makes a whole key, and a request without it is refused.
    server = start_server(tmp_path, "--processor", "reference", api_key="")
    try:
        key = (tmp_path / "api_key").read_text().strip()
        assert server.api_key == key and len(key) > 20
        assert stat.S_IMODE((tmp_path / "api_key").stat().st_mode) == 0o600
        for headers in ({}, {"Authorization": ""}):
            answer = requests.post(server.endpoint, json={"query": "{ client { id } }"}, headers=headers, timeout=10)
            assert answer.status_code == 401 and answer.json() == UNAUTHORIZED
    finally:
        server.stop()


def test_a_short_url_secret_stops_the_start(tmp_path):
    (tmp_path / "url_secret").write_text("00\n")  # one byte: presigned URLs could be forged
    run = start_refused(tmp_path)
    assert run.returncode != 0 and "url_secret" in run.stderr and "Delete it" in run.stderr


# -- 6. no CPU for callers without the key; bounded queries for callers with it -------------------
def test_an_unauthenticated_hostile_query_is_refused_at_once(server, api):
    """The timeout is a bound, not a speed target: before the fix this answer took minutes."""
    for headers in ({}, {"Authorization": "wrong-key-0123456789"}):
        answer = requests.post(server.endpoint, json={"query": HOSTILE_60KB}, headers=headers, timeout=10)
        assert answer.status_code == 401 and answer.json() == UNAUTHORIZED
    assert api("{ client { id } }")["client"]["id"]  # the server is still free to serve


def test_a_hostile_query_with_the_key_is_refused_for_its_size(api):
    answer = api.post(HOSTILE_60KB, timeout=10)
    assert answer.status_code == 413
    assert "characters long" in answer.json()["errors"][0]["message"]


def test_a_body_past_the_limit_is_refused_before_authentication(server):
    answer = requests.post(server.endpoint, data=b"x" * (1024 * 1024 + 1), timeout=10,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


@pytest.mark.parametrize("query, says", [
    ("{ client { " + "id " * 51 + "} }", "side by side"),
    ("{ " + " ".join(f"a{i}: client {{ id }}" for i in range(31)) + " }", "aliases"),
    ("{" + "a { " * 16 + "b" + " }" * 17, "deeper than"),
    ("fragment L40 on Client { id } "
     + " ".join(f"fragment L{i} on Client {{ ...L{i + 1} ...L{i + 1} }}" for i in range(40))
     + " { client { ...L0 } }", "fields and fragments"),
], ids=["wide", "aliases", "deep", "fragment-bomb"])
def test_queries_past_the_limits_are_refused_with_a_reason(api, query, says):
    errors = api.errors(query)
    assert errors[0]["errorType"] == "BadRequestException" and says in errors[0]["message"]


def test_the_client_documents_and_introspection_stay_within_the_limits(api):
    from graphql import get_introspection_query

    assert api(get_introspection_query())["__schema"]["queryType"]["name"] == "Query"


# -- 7. Host header: DNS rebinding and presigned URLs -----------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                                  "192.168.1.20", "localhost@evil.example"])
def test_a_foreign_host_is_refused_on_every_route(server, api, host):
    url = api.create_file()["presignedUrl"]
    for method, target, body in (("POST", server.endpoint, json.dumps({"query": "{ client { id } }"})),
                                 ("PUT", url, "data"), ("GET", server.base_url + "/_faults", None)):
        answer = requests.request(method, target, data=body, timeout=10,
                                  headers={"Host": host, "Authorization": server.api_key})
        assert answer.status_code == 403, (method, target)
        if method == "POST":
            assert answer.json()["errors"][0]["errorType"] == "ForbiddenException"
    upload = api("query($id: ID!) { getFile(fileId: $id) { presignedUrl } }",
                 id=url.split("/upload/")[1].split("?")[0])["getFile"]["presignedUrl"]
    assert "/transfer/upload/" in upload  # the refused PUT stored nothing


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:1234", "127.0.0.1", "127.0.0.2:80", "[::1]:8765"])
def test_loopback_names_are_served(server, host):
    answer = requests.post(server.endpoint, json={"query": "{ client { id } }"}, timeout=10,
                           headers={"Host": host, "Authorization": server.api_key})
    assert answer.status_code == 200 and answer.json()["data"]["client"]["id"]


def test_presigned_urls_use_the_servers_own_address_not_the_host_header(server):
    answer = requests.post(server.endpoint, json={"query": "mutation { createFile(type: \"mp4\") { presignedUrl } }"},
                           headers={"Host": "localhost:1", "Authorization": server.api_key}, timeout=10)
    url = answer.json()["data"]["createFile"]["presignedUrl"]
    assert url.startswith(server.base_url + "/transfer/upload/"), url


# -- 8. off loopback only when asked, and said out loud ---------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_network_bind_needs_allow_remote(tmp_path, host):
    run = start_refused(tmp_path, "--host", host)
    assert run.returncode == 2 and "Endpoint:" not in run.stdout
    assert "--allow-remote" in run.stderr and "unencrypted" in run.stderr


def test_allow_remote_prints_the_real_address_and_a_warning(tmp_path):
    server = start_server(tmp_path, "--host", "0.0.0.0", "--allow-remote", "--processor", "reference")
    try:
        printed = "".join(server.output)
        assert "WARNING" in printed and "unencrypted" in printed and "--allow-remote" in printed
        address = non_loopback_address()
        host = re.match(r"http://([^:/]+):\d+/ugc/graphql", server.endpoint).group(1)
        assert host == (address or "127.0.0.1")
        # a remote bind does not check Host, and its URLs carry the printed address
        url = Api(server).create_file()["presignedUrl"]
        assert url.startswith(server.base_url + "/transfer/upload/")
    finally:
        server.stop()


# -- 9 (part). fault rules are for authenticated requests, and latency is bounded ---------------------
def test_requests_that_fail_authentication_do_not_spend_fault_rules(server, api):
    forged = re.sub(r"Signature=[^&]+", "Signature=" + "0" * 43, api.create_file()["presignedUrl"])
    assert faults(server, "POST", {"route": "graphql", "status": 503, "count": 1}).status_code == 201
    assert faults(server, "POST", {"route": "upload", "status": 503, "count": 1}).status_code == 201
    for _ in range(3):
        assert api.post("{ client { id } }", key="wrong-key-0123456789").status_code == 401
        assert requests.put(forged, data=b"x", timeout=10).status_code == 403
    counts = {r["route"]: r["count"] for r in faults(server, "GET").json()["rules"]}
    assert counts == {"graphql": 1, "upload": 1}
    assert api.post("{ client { id } }").status_code == 503  # the first authenticated request gets it


def test_latency_rules_cannot_add_up_without_bound(server):
    assert faults(server, "POST", {"route": "graphql", "latency_ms": 40_000}).status_code == 201
    stacked = faults(server, "POST", {"latency_ms": 30_000})  # every route, graphql included
    assert stacked.status_code == 400 and "60000 ms" in stacked.json()["error"]
    assert faults(server, "POST", {"route": "download", "latency_ms": 30_000}).status_code == 201
    too_long = faults(server, "POST", {"route": "upload", "latency_ms": 600_000})
    assert too_long.status_code == 400
    assert [r.get("latency_ms") for r in faults(server, "GET").json()["rules"]] == [40_000, 30_000]


def test_the_number_of_rules_is_bounded(server):
    for i in range(100):
        assert faults(server, "POST", {"route": "download", "status": 503, "count": 1}).status_code == 201, i
    refused = faults(server, "POST", {"route": "download", "status": 503, "count": 1})
    assert refused.status_code == 400 and "at most 100" in refused.json()["error"]


# -- 9 (part). the data folder is private -------------------------------------------------------------
def test_data_dir_and_files_are_private_even_for_an_existing_dir(tmp_path, sample_video):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    server = start_server(data, "--processor", TEST_PROCESSOR)
    try:
        api = Api(server)
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        uploaded = api.upload(sample_video)
        job = api.wait_job(api.create_job(api.create_take(uploaded["id"])["id"], ["MAIN_FBX"])["id"])
        assert job["progress"]["state"] == "FINISHED"
        files = [p for p in data.rglob("*") if p.is_file()]
        assert any(p.parent.name == "uploads" for p in files) and any("outputs" in p.parts for p in files)
        assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files
                if stat.S_IMODE(p.stat().st_mode) != 0o600} == {}
        assert {p.name for p in data.rglob("*") if p.is_dir() and stat.S_IMODE(p.stat().st_mode) != 0o700} == set()
    finally:
        server.stop()
