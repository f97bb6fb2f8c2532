# SPDX-License-Identifier: GPL-3.0-or-later
"""Each fault rule of the local server against the client: the exception a user would expect, or a
retry that completes, and the server's state with nothing duplicated and nothing lost."""
from __future__ import annotations

import logging
import threading

import pytest
import requests

import lib
from lib import transfers
from test_client_helpers import (active_faults, add_fault, client, make_client, md5_of,  # noqa: F401
                                 no_faults, random_file, server_jobs_of_take, server_log_lines,
                                 server_takes_named, uploaded_take)

pytestmark = pytest.mark.usefixtures("no_faults")

MIB = 1024 * 1024


# -- GraphQL: queries are retried on anything transient ------------------------------------------

@pytest.mark.parametrize("rule", [{"status": 503, "count": 3}, {"status": 502, "count": 1},
                                  {"status": 504, "count": 1}, {"status": 500, "count": 2},
                                  {"status": 429, "count": 3}, {"malformed": True, "count": 2},
                                  {"drop": True, "count": 2}])
def test_a_query_is_retried_through_transient_faults(local_server, client, rule):
    add_fault(local_server, {"route": "graphql", **rule})
    assert client.client_info.retrieve().id.startswith("client-")
    assert active_faults(local_server) == []  # every injected failure was met and retried


def test_a_query_gives_up_with_rate_limited_when_429_persists(local_server, client):
    add_fault(local_server, {"route": "graphql", "status": 429, "count": 10})
    with pytest.raises(lib.RateLimited, match="tried 4 times"):
        client.client_info.retrieve()
    assert active_faults(local_server)[0]["count"] == 6  # exactly the 4 attempts of the budget


def test_a_query_gives_up_with_server_error_when_5xx_persists(local_server, client):
    add_fault(local_server, {"route": "graphql", "status": 503, "count": 10})
    with pytest.raises(lib.ServerError) as caught:
        client.client_info.retrieve()
    assert caught.value.status == 503 and "Try again" in str(caught.value)


def test_a_slow_answer_times_out_and_is_retried(local_server):
    slow = make_client(local_server, timeout=(5.0, 0.3))
    add_fault(local_server, {"route": "graphql", "latency_ms": 800, "count": 1})
    assert slow.client_info.retrieve().id.startswith("client-")


def test_retrying_can_be_cancelled(local_server, client):
    add_fault(local_server, {"route": "graphql", "status": 503})
    patient = make_client(local_server, policy=lib.RetryPolicy(attempts=50, base_delay=0.5, jitter=0))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(lib.Cancelled):
        patient.client_info.retrieve(cancel=cancel)


# -- GraphQL: mutations ---------------------------------------------------------------------------

@pytest.mark.parametrize("rule", [{"status": 503, "count": 2}, {"status": 429, "count": 1},
                                  {"status": 502, "count": 1}, {"status": 504, "count": 1}])
def test_a_refused_job_creation_is_sent_again_and_makes_one_job(local_server, client, uploaded_take, rule):
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", **rule})
    job = client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    mine = [j for j in server_jobs_of_take(local_server, uploaded_take.id)
            if lib.models.parse_awsjson(j["metadata"]).get("clientRequestId") == job.metadata["clientRequestId"]]
    assert [j["id"] for j in mine] == [job.id]


@pytest.mark.parametrize("rule", [{"status": 500, "count": 1}, {"malformed": True, "count": 1},
                                  {"drop": True, "count": 1}])
def test_a_job_whose_answer_was_lost_is_found_not_made_twice(local_server, client, uploaded_take, rule):
    before = {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)}
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", **rule})
    job = client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"], name="lost answer")
    after = {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)}
    assert after - before == {job.id}  # exactly one new job, and it is the one the client returned
    assert job.name == "lost answer" and job.take_id == uploaded_take.id


def test_a_job_whose_answer_timed_out_is_found_not_made_twice(local_server, uploaded_take):
    # The lookup must come after the server finished: the default read timeout (60 s) outlasts
    # Move's own 30 s request limit; here 0.3 s against 0.6 s of latency, and a 1 s pause.
    slow = make_client(local_server, timeout=(5.0, 0.3),
                       policy=lib.RetryPolicy(attempts=3, base_delay=1.0, jitter=0))
    before = {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)}
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "latency_ms": 600,
                             "count": 1})
    job = slow.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    assert {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)} - before == {job.id}


def test_a_job_never_created_is_created_after_the_lookup_finds_nothing(local_server, client, uploaded_take):
    before = {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)}
    # 500 *before* running: the client cannot know that, looks, finds nothing, and creates it once.
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "status": 500,
                             "when": "before", "count": 1})
    job = client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    assert {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)} - before == {job.id}


def test_a_job_creation_is_not_repeated_when_the_lookup_fails(local_server, client, uploaded_take):
    before = {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)}
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "status": 500, "count": 1})
    add_fault(local_server, {"route": "graphql", "operation": "listJobs", "status": 404, "count": 1})
    with pytest.raises(lib.MoveError, match="may or may not have run"):
        client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    assert len({j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)} - before) == 1


def test_a_multicam_job_whose_answer_was_lost_is_found(local_server, client, tmp_path, sample_video):
    lens = client.volumes.camera_settings()[0]
    calib = [client.files.upload(sample_video) for _ in range(2)]
    volume = client.volumes.create_with_human(
        [lib.Source(f"cam0{i + 1}", f.id, "MP4", lens=lens) for i, f in enumerate(calib)],
        human_height=1.8, clip_window=(0.0, 1.0))
    volume = client.volumes.wait(volume.id, interval=0.2, timeout=120)
    assert volume.state == "FINISHED", volume
    shots = [client.files.upload(sample_video) for _ in range(2)]
    take = client.takes.create_multicam(volume.id, [lib.Source(f"cam0{i + 1}", f.id, "MP4", lens=lens)
                                                    for i, f in enumerate(shots)],
                                        sync_method={"clap_window": (0.0, 0.5)})
    assert take.take_type == "MULTI_CAM" and take.volume_id == volume.id
    add_fault(local_server, {"route": "graphql", "operation": "createMultiCamJob", "status": 500, "count": 1})
    job = client.jobs.create_multicam(take.id, number_of_actors=1, outputs=["MAIN_FBX"])
    assert [j["id"] for j in server_jobs_of_take(local_server, take.id)] == [job.id]
    assert job.number_of_actors == 1 and job.rig == "move_mo"


@pytest.mark.parametrize("rule", [{"status": 500, "count": 1}, {"drop": True, "count": 1},
                                  {"malformed": True, "count": 1}])
def test_a_take_whose_answer_was_lost_is_found_not_made_twice(local_server, client, sample_video, rule):
    file = client.files.upload(sample_video)
    name = f"lost take {rule}"
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamTake", **rule})
    take = client.takes.create_singlecam(sources=[lib.Source("cam01", file.id, "MP4")], name=name)
    assert [t["id"] for t in server_takes_named(local_server, name)] == [take.id]


def test_create_file_whose_answer_was_lost_is_simply_asked_again(local_server, client, sample_video):
    add_fault(local_server, {"route": "graphql", "operation": "createFile", "status": 500, "count": 1})
    file = client.files.upload(sample_video)
    assert client.files.retrieve(file.id).presigned_url  # the second file got the video
    take = client.takes.create_singlecam(sources=[lib.Source("cam01", file.id, "MP4")])
    assert take.sources[0].file_id == file.id


def test_a_refused_mutation_error_is_final(local_server, client, uploaded_take):
    before = len(server_jobs_of_take(local_server, uploaded_take.id))
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "status": 400, "count": 3})
    with pytest.raises(lib.MoveError):
        client.jobs.create_singlecam(uploaded_take.id)
    assert active_faults(local_server)[0]["count"] == 2  # sent once: a 400 is not retried
    assert len(server_jobs_of_take(local_server, uploaded_take.id)) == before


# -- uploads ---------------------------------------------------------------------------------------

def fetch(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.content


@pytest.mark.parametrize("rule", [{"drop": True, "count": 1}, {"status": 500, "count": 2},
                                  {"status": 503, "count": 1}, {"status": 429, "count": 1},
                                  {"status": 503, "count": 3}])  # 3 of the budget's 4 attempts
def test_an_upload_is_retried_from_the_start(local_server, client, tmp_path, rule):
    video = random_file(tmp_path / "big.mp4", 3 * MIB + 5, seed=len(str(rule)))
    add_fault(local_server, {"route": "upload", **rule})
    sent = []
    file = client.files.upload(video, progress=lambda done, total: sent.append(done))
    assert active_faults(local_server) == []
    assert fetch(client.files.retrieve(file.id).presigned_url) == video.read_bytes()
    assert sent[-1] == video.stat().st_size
    assert any(later < earlier for earlier, later in zip(sent, sent[1:]))  # it started over from byte 0


def test_an_expired_upload_link_is_renewed_with_get_file(local_server, client, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="lib.transfers")
    video = random_file(tmp_path / "clip.mp4", MIB + 1)
    add_fault(local_server, {"route": "upload", "expired": True, "count": 1})
    file = client.files.upload(video)
    assert any("fresh one" in r.getMessage() for r in caplog.records)
    assert fetch(client.files.retrieve(file.id).presigned_url) == video.read_bytes()


def test_an_upload_link_that_stays_refused_is_a_server_error(local_server, client, tmp_path):
    video = random_file(tmp_path / "clip.mp4", 1000)
    add_fault(local_server, {"route": "upload", "expired": True, "count": 10})
    with pytest.raises(lib.ServerError, match="even after it was renewed"):
        client.files.upload(video)


def test_an_upload_that_keeps_failing_gives_up(local_server, client, tmp_path):
    video = random_file(tmp_path / "clip.mp4", 1000)
    add_fault(local_server, {"route": "upload", "status": 503, "count": 10})
    with pytest.raises(lib.ServerError, match="tried 4 times"):
        client.files.upload(video)


def test_an_upload_can_be_cancelled_midway(local_server, client, tmp_path):
    video = random_file(tmp_path / "big.mp4", 4 * MIB)
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done >= MIB:
            cancel.set()

    with pytest.raises(lib.Cancelled):
        client.files.upload(video, progress=progress, cancel=cancel)
    assert seen == [MIB]  # stopped at the next block: the rest was never read


# -- downloads -------------------------------------------------------------------------------------

@pytest.fixture
def stored_file(local_server, client, tmp_path):
    """A 3 MiB file on the server and a function giving a fresh download URL for it."""
    source = random_file(tmp_path / "source.mp4", 3 * MIB + 17, seed=9)
    file = client.files.upload(source)
    return source, file, lambda: client.files.retrieve(file.id).presigned_url


def download(local_server, client, url, refresh, dest, **kw):
    return transfers.download_file(url, dest, refresh_url=refresh, session=client.transport.session,
                                   policy=client.transport.policy, **kw)


@pytest.mark.parametrize("rule", [{"status": 500, "count": 2}, {"status": 503, "count": 1},
                                  {"status": 429, "count": 1}])
def test_a_download_is_retried(local_server, client, stored_file, tmp_path, rule):
    source, file, fresh = stored_file
    add_fault(local_server, {"route": "download", **rule})
    path = download(local_server, client, fresh(), fresh, tmp_path / "out.mp4")
    assert md5_of(path) == md5_of(source) and not (tmp_path / "out.mp4.part").exists()


def test_a_cut_download_resumes_with_range(local_server, client, stored_file, tmp_path):
    source, file, fresh = stored_file
    add_fault(local_server, {"route": "download", "drop": True, "count": 1})
    path = download(local_server, client, fresh(), fresh, tmp_path / "out.mp4")
    assert md5_of(path) == md5_of(source)
    assert [line for line in server_log_lines(local_server, file.id) if line.startswith("GET") and " 206 " in line]


def test_an_expired_download_link_is_renewed(local_server, client, stored_file, tmp_path):
    source, file, fresh = stored_file
    add_fault(local_server, {"route": "download", "expired": True, "count": 2})
    path = download(local_server, client, fresh(), fresh, tmp_path / "out.mp4")
    assert md5_of(path) == md5_of(source)


def test_a_download_that_keeps_failing_leaves_no_final_file(local_server, client, stored_file, tmp_path):
    source, file, fresh = stored_file
    add_fault(local_server, {"route": "download", "status": 503, "count": 10})
    with pytest.raises(lib.ServerError):
        download(local_server, client, fresh(), fresh, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_a_cancelled_download_keeps_its_part_and_resumes(local_server, client, stored_file, tmp_path):
    source, file, fresh = stored_file
    cancel = threading.Event()

    def progress(done, total):
        if done >= MIB:
            cancel.set()

    with pytest.raises(lib.Cancelled):
        download(local_server, client, fresh(), fresh, tmp_path / "out.mp4", progress=progress, cancel=cancel)
    part = tmp_path / "out.mp4.part"
    assert not (tmp_path / "out.mp4").exists() and part.stat().st_size == MIB
    seen = []
    path = download(local_server, client, fresh(), fresh, tmp_path / "out.mp4",
                    progress=lambda done, total: seen.append((done, total)))
    assert md5_of(path) == md5_of(source) and not part.exists()
    assert seen[0][0] > MIB and seen[-1] == (source.stat().st_size, source.stat().st_size)  # resumed


def test_a_stale_part_that_does_not_fit_is_replaced(local_server, client, stored_file, tmp_path):
    source, file, fresh = stored_file
    (tmp_path / "out.mp4.part").write_bytes(b"x" * (source.stat().st_size + 10))  # longer than the file
    path = download(local_server, client, fresh(), fresh, tmp_path / "out.mp4")
    assert md5_of(path) == md5_of(source)


def test_a_lost_job_answer_is_looked_up_even_without_retries_left(local_server, uploaded_take):
    single = make_client(local_server, policy=lib.RetryPolicy(attempts=1, base_delay=0.02))
    before = {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)}
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "status": 500, "count": 1})
    job = single.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    assert {j["id"] for j in server_jobs_of_take(local_server, uploaded_take.id)} - before == {job.id}


def test_an_upload_whose_answer_was_lost_after_storing_completes(local_server, client, tmp_path):
    video = random_file(tmp_path / "clip.mp4", MIB + 3)
    add_fault(local_server, {"route": "upload", "status": 500, "when": "after", "count": 1})
    file = client.files.upload(video)
    assert fetch(client.files.retrieve(file.id).presigned_url) == video.read_bytes()
