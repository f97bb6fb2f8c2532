# SPDX-License-Identifier: GPL-3.0-or-later
"""The local server's GraphQL API over real HTTP: schema, AppSync error shapes, resources, isolation."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from graphql import build_client_schema, build_schema, get_introspection_query

from conftest import start_server
from server_support import KEY_A, KEY_B, TEST_PROCESSOR, Api

ROOT = Path(__file__).resolve().parent.parent
UNAUTHORIZED = {"errors": [{"errorType": "UnauthorizedException",
                            "message": "You are not authorized to make this call."}]}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("graphql-server"), "--processor", TEST_PROCESSOR,
                           api_key=f"{KEY_A},{KEY_B}")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server):
    return Api(server, KEY_A)


@pytest.fixture(scope="module")
def other(server):
    return Api(server, KEY_B)


@pytest.fixture(scope="module")
def video_file(api, sample_video):
    return api.upload(sample_video)


def test_prints_first_key_and_loopback_endpoint(server):
    assert server.api_key == KEY_A
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/ugc/graphql", server.endpoint)


def test_introspection_gives_back_the_schema_file(api):
    served = build_client_schema(api(get_introspection_query()))
    expected = build_schema((ROOT / "lib" / "schema.graphql").read_text())
    for type_name in ("Query", "Mutation", "Job", "File", "Take", "HumanVolume", "OutputType"):
        served_type, expected_type = served.type_map[type_name], expected.type_map[type_name]
        names = (lambda t: set(t.values) if hasattr(t, "values") else set(t.fields))
        assert names(served_type) == names(expected_type), type_name


@pytest.mark.parametrize("headers", [{}, {"Authorization": "wrong-key-0123456789"},
                                     {"Authorization": f"Bearer {KEY_A}"}])
def test_bad_or_missing_key_is_401_with_appsync_body(server, headers):
    response = requests.post(server.endpoint, json={"query": "{ client { id } }"}, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_unknown_ids_are_move_not_found(api):
    for query, field in [('{ getJob(jobId: "job-nope") { id } }', "getJob"),
                         ('{ getFile(fileId: "file-nope") { id } }', "getFile"),
                         ('{ getTake(takeId: "take-nope") { id } }', "getTake"),
                         ('{ getVolume(id: "volume-nope") { ... on HumanVolume { id } } }', "getVolume")]:
        body = api.post(query).json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["path"] == [field]
        assert error["errorType"] == "MoveNotFoundError"
        assert error["message"] == "Resource not found in move-ugc-api."


def test_invalid_query_and_invalid_body(api, server):
    (error,) = api.errors("{ client { id noSuchField } }")
    assert "noSuchField" in error["message"]
    response = requests.post(server.endpoint, data=b"{not json", headers={"Authorization": KEY_A}, timeout=10)
    assert response.status_code == 400
    assert response.json()["errors"][0]["errorType"] == "MalformedHttpRequestException"


def test_extra_variables_are_ignored_and_metadata_is_a_json_string(api):
    data = api("mutation($t: String!) { createFile(type: $t) { id type metadata created } }",
               t="mp4", somethingElse={"x": 1})
    created = data["createFile"]
    assert re.fullmatch(f"file-{UUID}", created["id"])
    assert created["type"] == "mp4"
    assert created["metadata"] == "{}"
    assert created["created"].endswith("Z")
    data = api('mutation($m: AWSJSON) { createFile(type: "mov", metadata: $m) { metadata } }',
               m=json.dumps({"a": [1, 2]}))
    assert json.loads(data["createFile"]["metadata"]) == {"a": [1, 2]}


def test_awsjson_that_is_not_json_is_refused(api):
    (error,) = api.errors('mutation($m: AWSJSON) { createFile(type: "mp4", metadata: $m) { id } }', m="{oops")
    assert "AWSJSON" in error["message"]


def test_bad_file_type_is_bad_request(api):
    (error,) = api.errors('mutation { createFile(type: "../../etc") { id } }')
    assert error["errorType"] == "BadRequestException"


def test_client_and_update_client(api):
    client = api('mutation { updateClient(metadata: "{\\"team\\": \\"qa\\"}") { id name metadata } }')["updateClient"]
    assert re.fullmatch(f"client-{UUID}", client["id"])
    assert json.loads(client["metadata"]) == {"team": "qa"}
    assert api("{ client { id metadata } }")["client"] == {"id": client["id"], "metadata": client["metadata"]}


def test_rigs_and_camera_settings(api):
    data = api("{ listRigs { items { name } } listCameraSettings { items { lens } } }")
    assert {"name": "move_mo"} in data["listRigs"]["items"]
    assert len(data["listCameraSettings"]["items"]) >= 3


def test_take_needs_an_uploaded_file(api):
    empty = api.create_file()
    (error,) = api.errors("""mutation($s: [SourceInput!]) { createSingleCamTake(sources: $s) { id } }""",
                          s=[{"deviceLabel": "cam01", "fileId": empty["id"], "format": "MP4"}])
    assert error["errorType"] == "BadRequestException"
    assert "PUT" in error["message"]


def test_take_and_job_shapes(api, video_file):
    take = api.create_take(video_file["id"])
    assert re.fullmatch(f"take-{UUID}", take["id"])
    assert take["takeType"] == "SINGLE_CAM" and take["videoFile"]["id"] == video_file["id"]
    job = api.create_job(take["id"], ["MAIN_FBX", "MAIN_BLEND"], metadata={"clientRequestId": "r-1"},
                         clipWindow={"startTime": 0.5, "endTime": 1.5}, options={"mocapModel": "S2"}, name="shape")
    assert re.fullmatch(f"job-{UUID}", job["id"])
    assert job["progress"]["state"] in ("NOT_STARTED", "RUNNING", "FINISHED")
    assert job["state"] in ("NOT STARTED", "RUNNING", "FINISHED")  # the deprecated field, spelt as seen live
    assert json.loads(job["metadata"]) == {"clientRequestId": "r-1"}
    assert job["inputs"]["clipWindow"] == {"startTime": 0.5, "endTime": 1.5}
    assert job["inputs"]["options"]["mocapModel"] == "S2"
    assert job["rig"] == {"name": "move_mo"} and job["take"] == {"id": take["id"]} and job["name"] == "shape"
    assert [j["id"] for j in api.jobs_of_take(take["id"])] == [job["id"]]


@pytest.mark.parametrize("variables, fragment", [
    ({"outputs": ["ALL_BVH"]}, "ALL_BVH"),
    ({"options": {"mocapModel": "M1"}}, "mocapModel"),
    ({"clipWindow": {"startTime": 2.0, "endTime": 1.0}}, "clipWindow"),
    ({"metadata": "[1, 2]"}, "JSON object"),
])
def test_job_arguments_are_checked_at_creation(api, video_file, variables, fragment):
    take = api.create_take(video_file["id"])
    variables = {"outputs": ["MAIN_FBX"], **variables}
    response = api.post("""mutation($t: String!, $outputs: [OutputType], $options: OptionsInput,
                                    $clipWindow: ClipWindowInput, $metadata: AWSJSON) {
        createSingleCamJob(takeId: $t, outputs: $outputs, options: $options, clipWindow: $clipWindow,
                           metadata: $metadata) { id } }""", {"t": take["id"], **variables})
    (error,) = response.json()["errors"]
    assert error["errorType"] == "BadRequestException" and fragment in error["message"]
    assert api.jobs_of_take(take["id"]) == []


def test_another_clients_objects_are_invisible(api, other, video_file):
    take = api.create_take(video_file["id"])
    job = api.create_job(take["id"])
    for query, variables in [("query($id: ID!) { getFile(fileId: $id) { id } }", {"id": video_file["id"]}),
                             ("query($id: ID!) { getTake(takeId: $id) { id } }", {"id": take["id"]}),
                             ("query($id: ID!) { getJob(jobId: $id) { id } }", {"id": job["id"]})]:
        (error,) = other.errors(query, **variables)
        assert error["errorType"] == "MoveNotFoundError"
    # nor can the other client build on them or find them in its lists
    (error,) = other.errors("mutation($s: [SourceInput!]) { createSingleCamTake(sources: $s) { id } }",
                            s=[{"deviceLabel": "cam01", "fileId": video_file["id"], "format": "MP4"}])
    assert error["errorType"] == "MoveNotFoundError"
    (error,) = other.errors('mutation($t: String!) { createSingleCamJob(takeId: $t, outputs: []) { id } }',
                            t=take["id"])
    assert error["errorType"] == "MoveNotFoundError"
    assert other('query($t: String) { listJobs(takeId: $t) { items { id } } }', t=take["id"])["listJobs"]["items"] == []
    listed = other("{ listTakes(first: 100) { items { id } } }")["listTakes"]["items"]
    assert take["id"] not in [t["id"] for t in listed]
    assert other("{ client { id } }")["client"]["id"] != api("{ client { id } }")["client"]["id"]


def test_list_takes_pages_with_cursors(other, sample_video):
    uploaded = other.upload(sample_video)
    made = [other.create_take(uploaded["id"])["id"] for _ in range(5)]
    seen, after = [], None
    while True:
        page = other("""query($after: AWSJSON) { listTakes(first: 2, after: $after, sortDirection: ASC) {
                         items { id } after first } }""", after=after)["listTakes"]
        assert page["first"] == 2 and len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        if page["after"] is None:
            break
        assert isinstance(page["after"], str)  # AWSJSON travels as a string
        after = page["after"]
    assert seen[-5:] == made
    newest_first = other("{ listTakes(first: 5) { items { id } } }")["listTakes"]["items"]
    assert [t["id"] for t in newest_first] == made[::-1]


def test_volume_multicam_take_and_job(api, sample_video):
    files = [api.upload(sample_video) for _ in range(2)]
    lens = api("{ listCameraSettings { items { lens } } }")["listCameraSettings"]["items"][0]["lens"]
    sources = [{"deviceLabel": f"cam0{i + 1}", "fileId": f["id"], "format": "MP4", "cameraSettings": {"lens": lens}}
               for i, f in enumerate(files)]
    volume = api("""mutation($s: [SourceInput!]) { createVolumeWithHuman(sources: $s, humanHeight: 1.8,
                      areaType: NORMAL, clipWindow: {startTime: 0, endTime: 1}) {
                      id state humanHeight areaType progress { state } } }""", s=sources)["createVolumeWithHuman"]
    assert re.fullmatch(f"volume-{UUID}", volume["id"]) and volume["humanHeight"] == 1.8
    (error,) = api.errors("""mutation($v: String!, $s: [SourceInput!]) {
                             createMultiCamTake(volumeId: $v, sources: $s) { id } }""", v=volume["id"], s=sources)
    assert "not calibrated yet" in error["message"]  # asked at once, before the volume finished
    query = 'query($id: ID!) { getVolume(id: $id) { ... on HumanVolume { id state progress { state percentageComplete } } } }'
    import time
    deadline = time.monotonic() + 10
    while api(query, id=volume["id"])["getVolume"]["state"] != "FINISHED":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    take = api("""mutation($v: String!, $s: [SourceInput!]) { createMultiCamTake(volumeId: $v, sources: $s,
                   syncMethod: {clapWindow: {startTime: 0, endTime: 1}}) { id takeType volume { ... on HumanVolume { id } }
                   syncMethod { clapWindow { startTime } } } }""", v=volume["id"], s=sources)["createMultiCamTake"]
    assert take["takeType"] == "MULTI_CAM" and take["volume"] == {"id": volume["id"]}
    job = api("""mutation($t: String!) { createMultiCamJob(takeId: $t, numberOfActors: 2, outputs: [MAIN_FBX],
                 options: {mocapModel: M1}) { id inputs { numberOfActors } rig { name } } }""",
              t=take["id"])["createMultiCamJob"]
    assert job["inputs"]["numberOfActors"] == 2 and job["rig"]["name"] == "move_mo"
    assert api.wait_job(job["id"])["progress"]["state"] == "FINISHED"
    (error,) = api.errors('mutation($t: String!) { createSingleCamJob(takeId: $t) { id } }', t=take["id"])
    assert "createMultiCamJob" in error["message"]


def test_updates_webhooks_and_share_codes(api, video_file):
    updated = api("""mutation($id: String!) { updateFile(id: $id, name: "clip.mp4", metadata: "{\\"k\\": 1}") {
                      name metadata } }""", id=video_file["id"])["updateFile"]
    assert updated == {"name": "clip.mp4", "metadata": '{"k": 1}'}
    hook = api("""mutation { upsertWebhookEndpoint(uid: "hook-1", url: "https://example.invalid/hook",
                  events: ["ugc.job.state.completed"]) { uid url events metadata } }""")["upsertWebhookEndpoint"]
    assert hook == {"uid": "hook-1", "url": "https://example.invalid/hook", "events": ["ugc.job.state.completed"],
                    "metadata": "{}"}
    share = api('mutation($f: String!) { generateShareCode(fileId: $f) { code url file { id } expires } }',
                f=video_file["id"])["generateShareCode"]
    assert share["code"] and share["file"]["id"] == video_file["id"]
    assert requests.get(share["url"], timeout=10).status_code == 200
