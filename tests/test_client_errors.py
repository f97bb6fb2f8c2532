# SPDX-License-Identifier: GPL-3.0-or-later
"""What a user sees when things go wrong: wrong key, unknown ids, no server, refused input, and the
API key never appearing in any message, repr, traceback or log line."""
from __future__ import annotations

import logging
import socket
import threading
import traceback

import pytest

import lib
from test_client_helpers import (FAST, add_fault, clear_faults, client, make_client, no_faults,  # noqa: F401
                                 uploaded_take)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wrong_key_is_an_auth_error_that_says_where_to_fix_it(local_server):
    wrong = make_client(local_server, key="wrong-key-0123456789")
    with pytest.raises(lib.AuthError) as caught:
        wrong.client_info.retrieve()
    assert caught.value.status == 401
    assert "API key" in str(caught.value) and "preferences" in str(caught.value)


def test_right_key_reaches_the_client_record(client):
    info = client.client_info.retrieve()
    assert info.id.startswith("client-") and info.name


@pytest.mark.parametrize("call", [
    lambda c: c.jobs.retrieve("job-00000000-0000-4000-8000-000000000000"),
    lambda c: c.takes.retrieve("take-00000000-0000-4000-8000-000000000000"),
    lambda c: c.files.retrieve("file-00000000-0000-4000-8000-000000000000"),
    lambda c: c.volumes.retrieve("volume-00000000-0000-4000-8000-000000000000"),
])
def test_unknown_ids_are_not_found(client, call):
    with pytest.raises(lib.NotFound) as caught:
        call(client)
    assert "00000000-0000-4000-8000-000000000000" in str(caught.value)


def test_a_job_on_an_unknown_take_is_not_found_and_creates_nothing(client):
    before = len(client.jobs.list())
    with pytest.raises(lib.NotFound):
        client.jobs.create_singlecam("take-00000000-0000-4000-8000-000000000000")
    assert len(client.jobs.list()) == before


def test_server_refusal_is_a_graphql_error_with_the_servers_message(client):
    empty = client.files.create("mp4")  # no data PUT yet: the server refuses a take on it
    with pytest.raises(lib.GraphQLError) as caught:
        client.takes.create_singlecam(sources=[lib.Source("cam01", empty.id, "MP4")])
    error = caught.value
    assert error.operation == "CreateSingleCamTake" and error.error_type == "BadRequestException"
    assert "no data yet" in error.server_message and error.server_message in str(error)


def test_no_server_is_a_network_error_after_retries():
    c = lib.MoveClient("some-key-0123456789", f"http://127.0.0.1:{free_port()}/ugc/graphql", retry_policy=FAST)
    with pytest.raises(lib.NetworkError) as caught:
        c.client_info.retrieve()
    assert "tried 4 times" in str(caught.value) and "endpoint" in str(caught.value)


def test_upload_refuses_bad_paths_before_any_request(client, tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "clip.mkv").write_bytes(b"data")
    cases = {tmp_path / "missing.mp4": "does not exist", tmp_path: "not a file",
             tmp_path / "empty.mp4": "empty", tmp_path / "clip.mkv": ".mp4, .mov or .avi"}
    for path, message in cases.items():
        with pytest.raises(lib.MoveError, match=message):
            client.files.upload(path)


def test_unicode_paths_upload(client, tmp_path, sample_video):
    path = tmp_path / "prise de vue – été 動き.MP4"
    path.write_bytes(sample_video.read_bytes())
    file = client.files.upload(path)
    assert client.files.retrieve(file.id).name == path.name


def test_download_of_a_missing_output_names_the_ones_there_are(client, tmp_path):
    job = lib.Job(id="job-x", state="FINISHED", outputs=[
        lib.Output("fbx", "fbx", lib.File("f1", ".fbx", "http://127.0.0.1:1/x"))])
    with pytest.raises(lib.OutputMissing, match="has: fbx"):
        client.jobs.download(job, "usdz", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_key_never_shows(local_server, tmp_path, caplog, uploaded_take, no_faults):
    """Provoke every error type and search every message, repr, traceback and log record for the key."""
    caplog.set_level(logging.DEBUG)  # urllib3 and our own loggers at their chattiest
    key = local_server.api_key
    wrong_key = "wrong-SECRET-key-987654321"
    good = make_client(local_server)
    seen: list[BaseException] = []

    def provoke(call, expected):
        with pytest.raises(expected) as caught:
            call()
        seen.append(caught.value)

    provoke(lambda: make_client(local_server, key=wrong_key).client_info.retrieve(), lib.AuthError)
    provoke(lambda: lib.MoveClient(key + " x", local_server.endpoint), lib.ConfigError)
    provoke(lambda: lib.MoveClient(key, "http://example.com/ugc/graphql"), lib.ConfigError)
    provoke(lambda: good.jobs.retrieve("job-00000000-0000-4000-8000-000000000000"), lib.NotFound)
    provoke(lambda: good.jobs.create_singlecam(uploaded_take.id, options={"mocapModel": "M1"}), lib.GraphQLError)
    provoke(lambda: lib.MoveClient(key, f"http://127.0.0.1:{free_port()}/ugc/graphql",
                                   retry_policy=FAST).client_info.retrieve(), lib.NetworkError)
    add_fault(local_server, {"route": "graphql", "status": 429, "count": 4})
    provoke(lambda: good.client_info.retrieve(), lib.RateLimited)
    add_fault(local_server, {"route": "graphql", "status": 503, "count": 4})
    provoke(lambda: good.client_info.retrieve(), lib.ServerError)
    add_fault(local_server, {"route": "graphql", "malformed": True, "count": 4})
    provoke(lambda: good.client_info.retrieve(), lib.ServerError)
    clear_faults(local_server)
    cancel = threading.Event()
    cancel.set()
    provoke(lambda: good.jobs.wait("job-x", cancel=cancel), lib.Cancelled)
    job = good.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    provoke(lambda: good.jobs.wait(job.id, interval=0.01, timeout=0.0), lib.WaitTimeout)
    provoke(lambda: good.jobs.download(lib.Job(id="j", state="FINISHED", outputs=[
        lib.Output("fbx", "fbx", lib.File("f", ".fbx", "http://127.0.0.1:1/x"))]), "usdz", tmp_path), lib.OutputMissing)

    assert {type(e) for e in seen} >= {lib.AuthError, lib.ConfigError, lib.NotFound, lib.GraphQLError,
                                       lib.NetworkError, lib.RateLimited, lib.ServerError, lib.Cancelled,
                                       lib.WaitTimeout, lib.OutputMissing}
    texts = [repr(good), repr(good.transport)]
    for error in seen:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any("retry" in t for t in texts)  # the retries were logged, so the logs were searched
    for text in texts:
        assert key not in text and wrong_key not in text
