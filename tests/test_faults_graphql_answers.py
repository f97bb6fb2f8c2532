# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP 200 answers without data (AppSync's resolver errors, `data: null`, null fields) against the
client: queries retried, a job or take never made twice, and a message naming the operation when the
answers persist. Real HTTP to the local server's fault injection."""
from __future__ import annotations

import pytest

import lib
from test_client_helpers import (active_faults, add_fault, clear_faults, client, no_faults,  # noqa: F401
                                 server_jobs_of_take, server_takes_named, uploaded_take)

pytestmark = pytest.mark.usefixtures("no_faults")

NO_DATA = [{"data_null": True}, {"data_null": "fields"}]
SERVER_SIDE_ERRORS = [{"errors": "Resolver failed (injected)"},
                      {"errors": "Execution timed out.", "errorType": "ExecutionTimeout"}]


def job_ids(server, take_id: str) -> set[str]:
    return {j["id"] for j in server_jobs_of_take(server, take_id)}


# -- queries ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", NO_DATA + SERVER_SIDE_ERRORS)
def test_a_query_is_retried_through_answers_without_data(local_server, client, uploaded_take, rule):
    add_fault(local_server, {"route": "graphql", "operation": "getTake", "count": 2, **rule})
    assert client.takes.retrieve(uploaded_take.id).id == uploaded_take.id
    assert active_faults(local_server) == []  # both injected answers were met and retried


@pytest.mark.parametrize("rule", NO_DATA)
def test_a_query_without_data_for_good_names_the_operation(local_server, client, uploaded_take, rule):
    add_fault(local_server, {"route": "graphql", "operation": "getTake", **rule})
    with pytest.raises(lib.ServerError) as caught:
        client.takes.retrieve(uploaded_take.id)
    assert str(caught.value) == "Move answered HTTP 200 to GetTake without data. Try again. (tried 4 times)"
    assert caught.value.operation == "GetTake"


def test_a_query_with_a_server_side_error_for_good_shows_moves_message(local_server, client, uploaded_take):
    add_fault(local_server, {"route": "graphql", "operation": "getTake", "errors": "Resolver failed (injected)"})
    with pytest.raises(lib.GraphQLError) as caught:
        client.takes.retrieve(uploaded_take.id)
    error = caught.value
    assert str(error) == ("Move failed on GetTake: Resolver failed (injected) (InternalFailure). Try again "
                          "in a few minutes. (tried 4 times)")
    assert (error.operation, error.error_type, error.path) == ("GetTake", "InternalFailure", ["getTake"])


def test_an_error_about_the_request_is_not_retried(local_server, client, uploaded_take):
    add_fault(local_server, {"route": "graphql", "operation": "getTake", "errors": "Bad input",
                             "errorType": "BadRequestException", "count": 3})
    with pytest.raises(lib.GraphQLError, match="^Move refused GetTake: Bad input$"):
        client.takes.retrieve(uploaded_take.id)
    assert active_faults(local_server)[0]["count"] == 2  # sent once: the answer would be the same


# -- job creation: never a second job --------------------------------------------------------------

@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("rule", NO_DATA + SERVER_SIDE_ERRORS[:1])
def test_a_job_answered_without_data_is_made_once(local_server, client, uploaded_take, rule, when):
    before = job_ids(local_server, uploaded_take.id)
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "when": when,
                             "count": 1, **rule})
    job = client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"], name=f"no data {when}")
    # before: the lookup finds nothing and the job is made; after: the lookup finds the one made
    assert job_ids(local_server, uploaded_take.id) - before == {job.id}
    assert job.name == f"no data {when}" and active_faults(local_server) == []


@pytest.mark.parametrize("rule", NO_DATA + SERVER_SIDE_ERRORS[:1])
def test_a_job_refused_without_data_for_good_is_not_made_and_named(local_server, client, uploaded_take, rule):
    before = job_ids(local_server, uploaded_take.id)
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", **rule})
    with pytest.raises(lib.MoveError) as caught:
        client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    assert caught.value.operation == "CreateSingleCamJob"
    assert str(caught.value).startswith(("Move answered HTTP 200 to CreateSingleCamJob without data.",
                                         "Move failed on CreateSingleCamJob: Resolver failed (injected)"))
    assert str(caught.value).endswith("(tried 4 times)")
    assert job_ids(local_server, uploaded_take.id) == before  # each attempt was looked up first: none made


@pytest.mark.parametrize("rule", NO_DATA + SERVER_SIDE_ERRORS[:1])
def test_a_job_made_but_always_answered_without_data_is_found_once(local_server, client, uploaded_take, rule):
    before = job_ids(local_server, uploaded_take.id)
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "when": "after", **rule})
    job = client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    assert job_ids(local_server, uploaded_take.id) - before == {job.id}  # found by the lookup, not remade
    assert active_faults(local_server)[0]["operation"] == "createSingleCamJob"  # the rule is still on


def test_a_lookup_answered_with_null_fields_does_not_count_as_not_found(local_server, client, uploaded_take):
    # The job is made but its answer is lost; the lookup (listJobs) then answers a null page. Reading
    # that as "no such job" would create a second one.
    before = job_ids(local_server, uploaded_take.id)
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamJob", "status": 500, "count": 1})
    add_fault(local_server, {"route": "graphql", "operation": "listJobs", "data_null": "fields"})
    with pytest.raises(lib.MoveError, match="CreateSingleCamJob may or may not have run"):
        client.jobs.create_singlecam(uploaded_take.id, outputs=["MAIN_FBX"])
    clear_faults(local_server)
    assert len(job_ids(local_server, uploaded_take.id) - before) == 1


@pytest.mark.parametrize("rule", [NO_DATA[0], SERVER_SIDE_ERRORS[0]])
def test_a_take_answered_without_data_after_it_was_made_is_found(local_server, client, sample_video, rule):
    file = client.files.upload(sample_video)
    name = f"take without data {sorted(rule)}"
    add_fault(local_server, {"route": "graphql", "operation": "createSingleCamTake", "when": "after",
                             "count": 1, **rule})
    take = client.takes.create_singlecam(sources=[lib.Source("cam01", file.id, "MP4")], name=name)
    assert [t["id"] for t in server_takes_named(local_server, name)] == [take.id]


def test_create_file_answered_with_an_error_is_simply_asked_again(local_server, client, sample_video):
    add_fault(local_server, {"route": "graphql", "operation": "createFile", "errors": "Resolver failed",
                             "when": "after", "count": 1})
    file = client.files.upload(sample_video)  # a second file is made; the unused first costs nothing
    assert client.files.retrieve(file.id).presigned_url and active_faults(local_server) == []
