# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 10, the Python console: Move's own SDK names work on MoveClient, and the account's takes
and jobs can be listed one page at a time, newest first (what the Library panel's worker calls).
Real HTTP to the local server."""
from __future__ import annotations

import pytest

import lib
from test_client_helpers import FAST, client, make_client, uploaded_take  # noqa: F401


@pytest.fixture(scope="module")
def finished_job(local_server, uploaded_take):
    c = make_client(local_server)
    job = c.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX", "MOTION_DATA"], name="sdk names")
    return c.jobs.wait(job.id, interval=0.2, timeout=120)


def test_endpoint_url_is_movess_name_for_endpoint(local_server):
    client = lib.MoveClient(local_server.api_key, endpoint_url=local_server.endpoint, retry_policy=FAST)
    assert client.endpoint == client.endpoint_url == local_server.endpoint
    assert client.client.retrieve() == client.client_info.retrieve()  # Move's SDK: client.client.retrieve()
    with pytest.raises(lib.ConfigError, match="endpoint= and endpoint_url= differ"):
        lib.MoveClient(local_server.api_key, "https://api.move.ai/ugc/graphql", endpoint_url=local_server.endpoint)
    with pytest.raises(lib.ConfigError, match="No Move endpoint is set"):
        lib.MoveClient(local_server.api_key, endpoint_url="")


def test_files_retrieve_takes_id_by_name(client, sample_video):
    file = client.files.upload(sample_video)
    again = client.files.retrieve(id=file.id)
    assert again.id == file.id and again.presigned_url


@pytest.mark.parametrize("asked", ["MAIN_FBX", "main_fbx", "fbx", "FBX"])
def test_download_takes_output_type_names_as_well_as_keys(client, finished_job, tmp_path, asked):
    path = client.jobs.download(finished_job, asked, tmp_path)
    assert path.name == "sdk names_" + finished_job.id.split("-", 1)[1][:8] + "_fbx.fbx"
    assert path.read_bytes().startswith(b"Kaydara FBX Binary")
    assert finished_job.output(asked).key == "fbx"


def test_an_output_type_the_job_lacks_is_named_in_the_error(client, finished_job, tmp_path):
    with pytest.raises(lib.OutputMissing, match="has no 'MAIN_BLEND' output"):
        client.jobs.download(finished_job, "MAIN_BLEND", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_motion_data_by_its_output_type_name_is_a_zip(client, finished_job, tmp_path):
    path = client.jobs.download(finished_job, "MOTION_DATA", tmp_path)
    assert path.suffix == ".zip" and path.read_bytes()[:2] == b"PK"


def test_takes_and_jobs_page_by_page_newest_first(client, uploaded_take, finished_job):
    # The Library panel's worker asks one page at a time and keeps the cursor for "more".
    extra = [client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"], name=f"page {i}")
             for i in range(3)]
    first = client.jobs.page(first=2)
    second = client.jobs.page(first.after, first=2)
    assert first.after is not None and len(first.items) == len(second.items) == 2
    newest = [j.id for j in first.items + second.items]
    assert newest[:3] == [j.id for j in reversed(extra)]  # the newest job first
    assert newest == [j.id for j in client.jobs.list(limit=4)]
    created = [j.created for j in first.items + second.items]
    assert created == sorted(created, reverse=True)

    of_take = client.jobs.page(take_id=uploaded_take.id, first=1)
    assert [j.take_id for j in of_take.items] == [uploaded_take.id]

    source = uploaded_take.sources[0]
    made = [client.takes.create_singlecam(sources=[lib.Source("cam01", source.file_id, "MP4")],
                                          name=f"page take {i}") for i in range(2)]
    takes = client.takes.page(first=1)
    more = client.takes.page(takes.after, first=1)
    assert [t.id for t in takes.items + more.items] == [made[1].id, made[0].id]
