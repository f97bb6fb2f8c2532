# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected faults on the local server (/_faults): each rule does what benchmarks and client tests rely on."""
from __future__ import annotations

import json
import time

import pytest
import requests

from conftest import start_server
from server_support import TEST_PROCESSOR, Api, non_loopback_address

CREATE_JOB = """mutation($t: String!, $m: AWSJSON) {
  createSingleCamJob(takeId: $t, outputs: [MAIN_FBX], metadata: $m) { id } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("faults-server"), "--processor", TEST_PROCESSOR)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server):
    return Api(server)


@pytest.fixture(autouse=True)
def no_faults_left(server):
    faults(server, "DELETE")
    yield
    faults(server, "DELETE")


@pytest.fixture(scope="module")
def take(api, sample_video):
    return api.create_take(api.upload(sample_video)["id"])


def faults(server, method: str, rule: dict | None = None, key: str | None = None) -> requests.Response:
    headers = {"Authorization": server.api_key if key is None else key}
    return requests.request(method, server.base_url + "/_faults", json=rule, headers=headers, timeout=10)


def add(server, **rule) -> dict:
    response = faults(server, "POST", rule)
    assert response.status_code == 201, response.text
    return response.json()


def create_job(api, take, request_id: str) -> requests.Response:
    return api.post(CREATE_JOB, {"t": take["id"], "m": json.dumps({"clientRequestId": request_id})})


def request_ids(api, take) -> list[str]:
    return [json.loads(j["metadata"]).get("clientRequestId") for j in api.jobs_of_take(take["id"])]


# -- the /_faults endpoint itself ---------------------------------------------------------------
def test_faults_endpoint_needs_the_key(server):
    assert faults(server, "GET", key="").status_code == 401
    assert faults(server, "POST", {"route": "graphql", "status": 503}, key="wrong-key-0123456789").status_code == 401
    assert faults(server, "DELETE", key="").status_code == 401
    assert faults(server, "GET").json() == {"rules": [], "fail_next_job": []}  # nothing was added


def test_faults_endpoint_refuses_remote_callers(tmp_path):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    server = start_server(tmp_path / "data", "--host", "0.0.0.0", "--allow-remote", "--processor", "reference")
    try:
        port = server.endpoint.rsplit(":", 1)[1].split("/")[0]
        remote = requests.post(f"http://{address}:{port}/_faults", json={"route": "graphql", "status": 503},
                               headers={"Authorization": server.api_key}, timeout=10)
        assert remote.status_code == 403
        rules = requests.get(f"http://127.0.0.1:{port}/_faults", headers={"Authorization": server.api_key},
                             timeout=10)
        assert rules.json()["rules"] == []
        # the API itself is served to that address (the bind was asked for)
        assert requests.post(f"http://{address}:{port}/ugc/graphql", json={"query": "{ client { id } }"},
                             headers={"Authorization": server.api_key}, timeout=10).status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize("rule", [
    {"route": "nowhere", "status": 503}, {"status": 503}, {"route": "graphql", "status": 200},
    {"route": "graphql", "status": 503, "drop": True}, {"route": "upload", "malformed": True},
    {"route": "graphql", "expired": True}, {"route": "graphql", "status": 503, "count": 0},
    {"route": "graphql", "status": 503, "colour": "red"}, {"fail_next_job": ""},
    {"route": "graphql", "errors": ""}, {"route": "graphql", "errors": 3}, {"route": "upload", "errors": "x"},
    {"route": "graphql", "status": 503, "errorType": "X"}, {"route": "graphql", "errors": "x", "errorType": ""},
    {"route": "graphql", "data_null": "yes"}, {"route": "download", "data_null": True},
    {"route": "graphql", "errors": "x", "data_null": True},
])
def test_bad_rules_are_refused(server, rule):
    response = faults(server, "POST", rule)
    assert response.status_code == 400 and response.json()["error"]


def test_rules_are_listed_counted_down_and_cleared(server, api):
    add(server, route="graphql", status=503, count=3)
    add(server, fail_next_job="disk full")
    listed = faults(server, "GET").json()
    assert listed["rules"][0]["count"] == 3 and listed["fail_next_job"] == ["disk full"]
    assert api.post("{ client { id } }").status_code == 503
    assert faults(server, "GET").json()["rules"][0]["count"] == 2
    assert faults(server, "DELETE").status_code == 200
    assert faults(server, "GET").json() == {"rules": [], "fail_next_job": []}
    assert api.post("{ client { id } }").status_code == 200


# -- graphql ------------------------------------------------------------------------------------
def test_refusals_happen_before_the_mutation_runs(server, api, take):
    for status in (429, 502, 503, 504):
        add(server, route="graphql", status=status, count=1)
        response = create_job(api, take, f"refused-{status}")
        assert response.status_code == status
        assert response.json()["errors"][0]["errorType"]
    assert not any(r and r.startswith("refused-") for r in request_ids(api, take))
    assert create_job(api, take, "after-refusals").status_code == 200  # count 1 each: all used up


def test_status_500_happens_after_the_mutation_ran(server, api, take):
    add(server, route="graphql", status=500, count=1)
    response = create_job(api, take, "lost-500")
    assert response.status_code == 500
    assert request_ids(api, take).count("lost-500") == 1  # the job exists though the answer was an error


def test_when_before_overrides_the_500_default(server, api, take):
    add(server, route="graphql", status=500, count=1, when="before")
    assert create_job(api, take, "refused-500").status_code == 500
    assert "refused-500" not in request_ids(api, take)


def test_malformed_answer_after_the_mutation_ran(server, api, take):
    add(server, route="graphql", malformed=True, count=1)
    response = create_job(api, take, "lost-malformed")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)
    assert request_ids(api, take).count("lost-malformed") == 1


def test_dropped_connection_after_the_mutation_ran(server, api, take):
    add(server, route="graphql", drop=True, count=1)
    with pytest.raises(requests.ConnectionError):
        create_job(api, take, "lost-drop")
    assert request_ids(api, take).count("lost-drop") == 1


def test_operation_restricts_a_rule(server, api, take):
    add(server, route="graphql", status=503, count=1, operation="createSingleCamJob")
    assert api.post("{ client { id } }").status_code == 200  # other operations pass and do not use it up
    assert api.post('query($t: ID!) { getTake(takeId: $t) { id } }', {"t": take["id"]}).status_code == 200
    assert create_job(api, take, "refused-op").status_code == 503
    assert create_job(api, take, "op-ok").status_code == 200


def test_latency_applies_until_cleared(server, api):
    add(server, latency_ms=400)
    for _ in range(2):
        started = time.monotonic()
        assert api.post("{ client { id } }").status_code == 200
        assert time.monotonic() - started >= 0.4
    faults(server, "DELETE")
    started = time.monotonic()
    api.post("{ client { id } }")
    assert time.monotonic() - started < 0.3


def test_latency_on_one_route_leaves_others_alone(server, api, sample_video):
    add(server, route="upload", latency_ms=500)
    started = time.monotonic()
    api.post("{ client { id } }")
    assert time.monotonic() - started < 0.3
    started = time.monotonic()
    api.upload(sample_video)
    assert time.monotonic() - started >= 0.5


def test_errors_answer_in_appsync_shape_before_the_mutation_runs(server, api, take):
    listed = add(server, route="graphql", errors="Resolver failed (injected)", count=1)
    assert listed["when"] == "before" and listed["errorType"] == "InternalFailure"
    response = create_job(api, take, "errors-before")
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [{
        "message": "Resolver failed (injected)", "errorType": "InternalFailure", "data": None,
        "errorInfo": None, "locations": [], "path": ["createSingleCamJob"]}]}
    assert "errors-before" not in request_ids(api, take)
    assert create_job(api, take, "errors-used-up").json()["data"]["createSingleCamJob"]["id"]


def test_errors_answer_after_the_mutation_ran_with_a_given_type(server, api, take):
    add(server, route="graphql", errors="Timed out", errorType="ExecutionTimeout", when="after", count=1)
    body = create_job(api, take, "errors-after").json()
    assert body["data"] is None and body["errors"][0]["errorType"] == "ExecutionTimeout"
    assert request_ids(api, take).count("errors-after") == 1  # made, though the answer says it failed


def test_data_null_before_and_after(server, api, take):
    add(server, route="graphql", data_null=True, count=1)
    response = create_job(api, take, "null-before")
    assert response.status_code == 200 and response.json() == {"data": None}
    assert "null-before" not in request_ids(api, take)
    add(server, route="graphql", data_null=True, when="after", count=1)
    assert create_job(api, take, "null-after").json() == {"data": None}
    assert request_ids(api, take).count("null-after") == 1


def test_data_null_fields_nulls_each_top_level_field(server, api):
    add(server, route="graphql", data_null="fields", count=1)
    response = api.post("{ client { id } listRigs { items { name } } }")
    assert response.status_code == 200 and response.json() == {"data": {"client": None, "listRigs": None}}
    assert api.post("{ client { id } }").json()["data"]["client"]["id"]


def test_errors_rule_limited_to_one_operation(server, api, take):
    add(server, route="graphql", errors="getTake broke", operation="getTake", count=1)
    assert api.post("{ client { id } }").json()["data"]["client"]["id"]  # other operations pass
    query = 'query GetIt($t: ID!) { getTake(takeId: $t) { id } }'
    failed = api.post(query, {"t": take["id"]}).json()
    assert failed["errors"][0]["path"] == ["getTake"] and failed["errors"][0]["message"] == "getTake broke"
    assert api.post(query, {"t": take["id"]}).json()["data"]["getTake"]["id"] == take["id"]


# -- uploads ------------------------------------------------------------------------------------
def _get_file(api, file_id):
    return api("query($id: ID!) { getFile(fileId: $id) { presignedUrl } }", id=file_id)["getFile"]


def test_upload_dropped_mid_body_stores_nothing(server, api, sample_video):
    data = sample_video.read_bytes()
    created = api.create_file()
    add(server, route="upload", drop=True, count=1)
    with pytest.raises(requests.ConnectionError):
        requests.put(created["presignedUrl"], data=data, timeout=10)
    assert "/transfer/upload/" in _get_file(api, created["id"])["presignedUrl"]  # still no data
    assert requests.put(created["presignedUrl"], data=data, timeout=10).status_code == 200


def test_upload_status_and_expired(server, api, sample_video):
    data = sample_video.read_bytes()
    created = api.create_file()
    add(server, route="upload", status=503, count=2)
    assert [requests.put(created["presignedUrl"], data=data, timeout=10).status_code for _ in range(2)] == [503, 503]
    add(server, route="upload", expired=True, count=1)
    expired = requests.put(created["presignedUrl"], data=data, timeout=10)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert "/transfer/upload/" in _get_file(api, created["id"])["presignedUrl"]
    fresh = _get_file(api, created["id"])["presignedUrl"]
    assert requests.put(fresh, data=data, timeout=10).status_code == 200


# -- downloads ----------------------------------------------------------------------------------
def test_download_status_then_success(server, api, sample_video):
    url = _get_file(api, api.upload(sample_video)["id"])["presignedUrl"]
    add(server, route="download", status=500, count=2)
    assert [requests.get(url, timeout=10).status_code for _ in range(3)] == [500, 500, 200]


def test_download_dropped_mid_body_can_be_resumed(server, api, sample_video):
    data = sample_video.read_bytes()
    url = _get_file(api, api.upload(sample_video)["id"])["presignedUrl"]
    add(server, route="download", drop=True, count=1)
    received = bytearray()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # requests' name for a body cut short
        with requests.get(url, stream=True, timeout=10) as response:
            assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(data)
            for chunk in response.iter_content(4096):
                received += chunk
    assert 0 < len(received) < len(data)
    rest = requests.get(url, headers={"Range": f"bytes={len(received)}-"}, timeout=10)
    assert rest.status_code == 206
    assert bytes(received) + rest.content == data


def test_download_expired(server, api, sample_video):
    url = _get_file(api, api.upload(sample_video)["id"])["presignedUrl"]
    add(server, route="download", expired=True, count=1)
    first = requests.get(url, timeout=10)
    assert first.status_code == 403 and b"Request has expired" in first.content
    assert requests.get(url, timeout=10).status_code == 200


# -- jobs ---------------------------------------------------------------------------------------
def test_fail_next_job(server, api, take):
    add(server, fail_next_job="The GPU caught fire (injected)")
    failed = api.wait_job(create_job(api, take, "fail-next").json()["data"]["createSingleCamJob"]["id"])
    assert failed["progress"]["state"] == "FAILED"
    assert json.loads(failed["metadata"])["failureReason"] == "The GPU caught fire (injected)"
    following = api.wait_job(create_job(api, take, "after-fail").json()["data"]["createSingleCamJob"]["id"])
    assert following["progress"]["state"] == "FINISHED"
