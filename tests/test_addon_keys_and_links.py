# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a key may go, in real Blender (issue 9, items 3 and 4; issue 10's console line and
preferences): one key per endpoint, the environment's keys only for their own endpoints, Online
Access asked before every request, plain http refused under https and said so, no key in a .blend.

The servers are made here (tests/hostile_servers.py) and record every request they receive. The
bpy module has no event loop: the modal Capture is driven by calling the real operator's modal()
with stand-in timer events (ModalRun).
"""
from __future__ import annotations

import bpy
import pytest

from addon_fixtures import (MODULE, add_movie, addon, addon_zip, installed_addon, local_prefs,  # noqa: F401
                            modal, scene)
from hostile_servers import CLIENT_ANSWER, HostileServer, Reply, file_answer, self_signed_certificate

import lib

CLOUD = "https://api.move.ai/ugc/graphql"
CLOUD_KEY = "cloud-key-0123456789abcdef"
ENV_CLOUD_KEY = "env-cloud-key-0123456789"
QUICK = lib.RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, max_retry_after=0.02)


@pytest.fixture
def quick_client(addon, monkeypatch):
    """Short retry pauses for the add-on's clients (CLIENT_OPTIONS is the add-on's documented hook)."""
    monkeypatch.setitem(addon.core.settings.CLIENT_OPTIONS, "retry_policy", QUICK)
    return addon.core.settings.CLIENT_OPTIONS


@pytest.fixture
def api():
    with HostileServer() as server:
        yield server


def _keys_seen(server) -> list[str]:
    return [s.headers.get("Authorization", "") for s in server.seen]


def test_switching_the_endpoint_switches_the_key(local_prefs):
    local_prefs.endpoint = CLOUD
    local_prefs.api_key = CLOUD_KEY
    assert bpy.ops.moveai.use_endpoint(endpoint="http://127.0.0.1:8765/ugc/graphql") == {"FINISHED"}
    assert local_prefs.api_key == ""  # the local server has no key yet: the cloud's does not follow
    local_prefs.api_key = "local-key-0123456789"
    assert bpy.ops.moveai.use_endpoint(endpoint=CLOUD) == {"FINISHED"}
    assert local_prefs.api_key == CLOUD_KEY
    local_prefs.endpoint = "https://API.move.ai:443/ugc/graphql/"  # the same server, spelled otherwise
    assert local_prefs.api_key == CLOUD_KEY


def test_the_cloud_key_never_reaches_a_server_on_this_machine(local_prefs, api, monkeypatch, quick_client):
    """The "Local server" button used to change only the endpoint: Move's key then went in plain http
    to whatever listened on loopback. Neither the stored key nor MOVE_API_KEY may follow."""
    api.answer("GetClient", CLIENT_ANSWER)
    local_prefs.endpoint = CLOUD
    local_prefs.api_key = CLOUD_KEY
    monkeypatch.setenv("MOVE_API_KEY", ENV_CLOUD_KEY)
    monkeypatch.delenv("MOVE_LOCAL_API_KEY", raising=False)
    assert bpy.ops.moveai.use_endpoint(endpoint=api.endpoint) == {"FINISHED"}
    with pytest.raises(RuntimeError, match="No Move API key is set"):
        bpy.ops.moveai.test_connection()
    assert api.seen == []
    # a key entered for this server goes to it, and only it
    local_prefs.api_key = "loopback-key-0123456789"
    assert bpy.ops.moveai.test_connection() == {"FINISHED"}
    assert _keys_seen(api) == ["loopback-key-0123456789"]
    monkeypatch.setenv("MOVE_LOCAL_API_KEY", "env-loopback-key-0123456789")  # the local server's own variable
    assert bpy.ops.moveai.test_connection() == {"FINISHED"}
    assert _keys_seen(api)[-1] == "env-loopback-key-0123456789"


def test_keys_are_never_saved_in_the_blend(scene, local_prefs, tmp_path):
    local_prefs.endpoint = CLOUD
    local_prefs.api_key = CLOUD_KEY
    bpy.ops.moveai.use_endpoint(endpoint=local_prefs.endpoint)
    path = tmp_path / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    data = path.read_bytes()
    assert CLOUD_KEY.encode() not in data and b"cloud-key" not in data


def test_the_connection_result_is_cleared_when_key_or_endpoint_change(addon, local_prefs):
    connection = addon.core.connection.CONNECTION
    assert bpy.ops.moveai.test_connection() == {"FINISHED"}
    assert connection["ok"] and connection["text"].startswith("Connected to")
    local_prefs.api_key = local_prefs.api_key + "x"
    assert connection["text"] == "" and not connection["ok"]
    local_prefs.api_key = local_prefs.api_key[:-1]
    assert bpy.ops.moveai.test_connection() == {"FINISHED"} and connection["text"]
    bpy.ops.moveai.use_endpoint(endpoint=CLOUD)
    assert connection["text"] == ""


def test_the_console_line_gives_a_client_from_the_preferences(addon, local_prefs):
    console = addon.operators.console
    client = eval(console.CONSOLE_LINE.split("=", 1)[1], {"bpy": bpy})  # the documented line, as typed
    assert client.endpoint == local_prefs.endpoint
    assert client.client.retrieve().id  # Move's SDK name, against the local server
    assert bpy.ops.moveai.console_client() == {"FINISHED"}  # reports the line (no clipboard headless)
    local_prefs.endpoint = CLOUD
    local_prefs.api_key = CLOUD_KEY
    assert not bpy.app.online_access  # the bpy module starts with online access off
    with pytest.raises(RuntimeError, match="Online access is turned off"):
        bpy.types.MOVEAI_OT_console_client.make()


def test_online_access_is_asked_before_every_request(scene, local_prefs, api, sample_video, quick_client):
    """The endpoint is on this machine, but its upload link is not: with Online Access off the
    client sends nothing there (the add-on passes lib's allow_host hook)."""
    api.answer("CreateFile", file_answer("createFile", "http://storage.example.invalid/put"))
    local_prefs.endpoint = api.endpoint
    local_prefs.api_key = "loopback-key-0123456789"
    add_movie(scene, sample_video)
    with pytest.raises(RuntimeError, match=r"Nothing was sent to storage\.example\.invalid \(the upload\).*"
                                           r"Allow Online Access is off"):
        bpy.ops.moveai.upload_strip("EXEC_DEFAULT")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_a_plain_http_link_under_https_is_refused_and_said(scene, local_prefs, modal, certificate,
                                                           sample_video, quick_client, monkeypatch):
    """Capture, as from the panel, against an https endpoint whose upload link is plain http: the
    user is told why nothing was sent, and the storage sees nothing."""
    with HostileServer(certificate=certificate) as secure, HostileServer() as storage:
        storage.route("PUT", "/put", lambda h, b: Reply(200, {"ETag": '"0"'}))
        secure.answer("CreateFile", file_answer("createFile", storage.url("/put")))
        monkeypatch.setitem(quick_client, "verify", str(certificate[0]))
        local_prefs.endpoint = secure.endpoint
        local_prefs.api_key = "secure-key-0123456789"
        add_movie(scene, sample_video)
        capture = modal("MOVEAI_OT_capture")
        assert capture.run(timeout=30) == {"CANCELLED"}
        assert storage.seen == []
    errors = [text for level, text in capture.reports if level == "ERROR"]
    assert errors and errors[-1].startswith(f"Refused the upload to {storage.url('/put')}: the endpoint "
                                            f"{secure.endpoint} uses https, and this address is plain http")
    assert "Nothing was sent" in errors[-1]

