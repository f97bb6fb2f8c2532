# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's pure parts: models, names, the retry rule, key and endpoint checks, the upload body."""
from __future__ import annotations

import hashlib
import random
import threading

import pytest
import requests
import urllib3.exceptions as u3

import lib
from lib import retry
from lib.credentials import check_endpoint, clean_api_key
from lib.filenames import output_filename, safe_extension, safe_stem
from lib.metadata import REQUEST_ID_KEY, find_by_request_id, to_awsjson, with_request_id
from lib.models import Job, normalise_state, parse_awsjson
from lib.paging import iterate_pages, next_cursor
from lib.sources import clip_window_input, options_input, source_input
from lib.transfers import BLOCK_SIZE, UploadBody, _content_range, _etag_matches


def job_answer(**over):
    data = {
        "id": "job-1", "name": "walk", "created": "2025-01-01T00:00:00Z", "state": "NOT STARTED",
        "metadata": '{"failureReason": "no person found", "mine": 1}',
        "progress": {"state": None, "percentageComplete": 40}, "take": {"id": "take-1"},
        "rig": {"name": "move_mo"},
        "inputs": {"clipWindow": {"startTime": 0.5, "endTime": 1.5}, "numberOfActors": 1,
                   "options": {"mocapModel": "S2", "trackFingers": True, "trackBall": None}},
        "outputs": [
            {"key": "render_overlay_mp4", "format": "render_overlay_mp4",
             "file": {"id": "f1", "type": ".mp4", "presignedUrl": "http://x/1"}},
            {"key": "FBX", "format": "fbx", "file": {"id": "f2", "type": ".fbx", "presignedUrl": None}},
            {"key": "mp4", "format": "mp4", "file": {"id": "f3", "type": ".mp4", "presignedUrl": "http://x/3"}},
        ],
    }
    data.update(over)
    return data


# -- models -------------------------------------------------------------------------------------

def test_job_parses_every_field_and_normalises_the_old_state_spelling():
    job = Job.from_api(job_answer())
    assert job.state == "NOT_STARTED" and not job.is_terminal
    assert job.percentage == 40 and job.take_id == "take-1" and job.name == "walk" and job.rig == "move_mo"
    assert job.failure_reason == "no person found" and job.metadata["mine"] == 1
    assert job.clip_window == (0.5, 1.5)
    assert job.options == {"mocapModel": "S2", "trackFingers": True}


def test_progress_state_wins_over_the_deprecated_state():
    job = Job.from_api(job_answer(state="RUNNING", progress={"state": "FINISHED", "percentageComplete": 100}))
    assert job.state == "FINISHED" and job.is_terminal and job.is_finished


@pytest.mark.parametrize("raw,expected", [("NOT STARTED", "NOT_STARTED"), ("not_started", "NOT_STARTED"),
                                          (" running ", "RUNNING"), ("Failed", "FAILED"), (None, "")])
def test_state_spellings(raw, expected):
    assert normalise_state(raw) == expected


def test_outputs_are_chosen_by_key_or_format_never_by_position():
    job = Job.from_api(job_answer())
    assert job.output("fbx").file.id == "f2"            # key "FBX", case-insensitive
    assert job.output("mp4").file.id == "f3"            # exact key wins over the overlay's .mp4 type
    assert job.output("RENDER_OVERLAY_MP4").file.id == "f1"
    assert job.output("usdz") is None
    reordered = Job.from_api(job_answer(outputs=list(reversed(job_answer()["outputs"]))))
    assert reordered.output("mp4").file.id == "f3" and reordered.output("fbx").file.id == "f2"


def test_outputs_ready_needs_finished_and_every_url():
    finished = {"state": "FINISHED", "percentageComplete": 100}
    assert not Job.from_api(job_answer(progress=finished)).outputs_ready()  # fbx URL still null
    outputs = job_answer()["outputs"]
    outputs[1]["file"]["presignedUrl"] = "http://x/2"
    assert Job.from_api(job_answer(progress=finished, outputs=outputs)).outputs_ready()
    assert not Job.from_api(job_answer(outputs=outputs)).outputs_ready()  # not finished
    assert not Job.from_api(job_answer(progress=finished, outputs=[])).outputs_ready()


def test_metadata_tolerates_null_bad_json_and_non_objects():
    assert parse_awsjson(None) == {} and parse_awsjson("") == {} and parse_awsjson("{oops") == {}
    assert parse_awsjson("[1, 2]") == {} and parse_awsjson('{"a": 1}') == {"a": 1}
    assert Job.from_api(job_answer(metadata=None)).failure_reason is None


def test_file_repr_hides_the_presigned_url():
    file = lib.File.from_api({"id": "file-1", "type": "mp4", "presignedUrl": "http://h/p?Signature=SECRET"})
    assert "SECRET" not in repr(file) and file.presigned_url.endswith("SECRET")


# -- names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("evil", ["../../etc/passwd", "a/b\\c", "..", "x\x00y\x1b[31m", "\u202etxt.exe",
                                  "CON", " . ", "a" * 400, "名前/../動き"])
def test_output_names_never_escape_or_carry_control_characters(evil):
    name = output_filename("job-" + evil, evil, evil, evil)
    assert "/" not in name and "\\" not in name and ".." not in name
    assert all(ch.isprintable() for ch in name) and "\u202e" not in name
    assert len(name.encode()) <= 160 and name.split(".")[0].upper() not in {"CON"}
    assert not name.startswith(".")


def test_output_name_is_made_of_job_key_and_file_type():
    assert output_filename("job-3f2a1b4c-aaaa", None, "fbx", ".fbx") == "job-3f2a1b4c-aaaa_fbx.fbx"
    assert output_filename("job-3f2a1b4c-aaaa", "my walk", "render_overlay_mp4", ".mp4") == \
        "my walk_3f2a1b4c_render_overlay_mp4.mp4"
    assert safe_extension(None, "blend") == ".blend" and safe_extension("../x", "weird/") == ".bin"
    assert safe_stem("") == "output"


# -- key and endpoint -----------------------------------------------------------------------------

def test_key_is_stripped_and_bad_keys_refused_without_quoting_them():
    assert clean_api_key("  abc-DEF_123456 \n") == "abc-DEF_123456"
    for bad in ["", "   ", "abc def-1234567", "abc\ndef-12345", "abc\tdef", "clé-1234567890", None]:
        with pytest.raises(lib.ConfigError) as caught:
            lib.MoveClient(bad, "https://api.move.ai/ugc/graphql")
        if bad and bad.strip():
            assert bad.strip() not in str(caught.value)
        assert "preferences" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/ugc/graphql", "http://localhost/ugc/graphql",
                                 "http://[::1]:9/ugc/graphql", "http://127.5.6.7/x",
                                 "https://api.move.ai/ugc/graphql", " https://api-test.move.ai/ugc/graphql "])
def test_accepted_endpoints(url):
    assert check_endpoint(url) == url.strip()


@pytest.mark.parametrize("url,why", [("http://api.move.ai/ugc/graphql", "https"),
                                     ("http://192.168.1.5:8765/ugc/graphql", "https"),
                                     ("http://localhost.evil.com/x", "https"),
                                     ("http://a.localhost/x", "https"), ("http://128.0.0.1/x", "https"),
                                     ("ftp://api.move.ai/x", "http(s)"), ("api.move.ai/ugc/graphql", "http(s)"),
                                     ("https://user:pw@api.move.ai/x", "password"), ("", "No Move endpoint"),
                                     ("https://:99999/x", "")])
def test_refused_endpoints(url, why):
    with pytest.raises(lib.ConfigError, match=None) as caught:
        check_endpoint(url)
    assert why in str(caught.value)


# -- the retry rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("status,outcome", [(429, "refused"), (502, "refused"), (503, "refused"),
                                            (504, "refused"), (500, "unknown"), (501, "unknown"),
                                            (400, "final"), (401, "final"), (404, "final")])
def test_status_outcomes(status, outcome):
    assert retry.outcome_of_status(status) == outcome


def test_exception_outcomes():
    refused = requests.exceptions.ConnectionError(u3.MaxRetryError(None, "/", u3.NewConnectionError(None, "x")))
    assert retry.outcome_of_exception(refused) == retry.REFUSED
    assert retry.outcome_of_exception(requests.exceptions.ConnectTimeout()) == retry.REFUSED
    reset = requests.exceptions.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError()))
    assert retry.outcome_of_exception(reset) == retry.UNKNOWN
    assert retry.outcome_of_exception(requests.exceptions.ReadTimeout()) == retry.UNKNOWN
    assert retry.outcome_of_exception(requests.exceptions.InvalidURL()) == retry.FINAL
    assert retry.outcome_of_exception(requests.exceptions.SSLError()) == retry.FINAL


def test_who_may_repeat_what():
    for kind in (retry.QUERY, retry.REPEATABLE, retry.MUTATION, retry.TRANSFER):
        assert retry.may_repeat(kind, retry.REFUSED)
        assert not retry.may_repeat(kind, retry.FINAL)
    assert retry.may_repeat(retry.QUERY, retry.UNKNOWN) and retry.may_repeat(retry.TRANSFER, retry.UNKNOWN)
    assert retry.may_repeat(retry.REPEATABLE, retry.UNKNOWN)
    assert not retry.may_repeat(retry.MUTATION, retry.UNKNOWN)


def test_backoff_grows_is_capped_jittered_and_honours_retry_after():
    policy = lib.RetryPolicy(attempts=10, base_delay=1.0, max_delay=8.0, jitter=0.5, max_retry_after=20)
    rng = random.Random(1)
    delays = [policy.delay(n, rng=rng) for n in range(1, 8)]
    assert all(0.5 * min(8, 2 ** (n - 1)) <= d <= min(8, 2 ** (n - 1)) for n, d in enumerate(delays, 1))
    assert max(delays) <= 8.0 and len(set(delays)) == len(delays)
    assert policy.delay(1, retry_after=5.0) == 5.0
    assert policy.delay(1, retry_after=500.0) == 20.0
    assert retry.parse_retry_after("3") == 3.0 and retry.parse_retry_after("soon") is None
    assert retry.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_sleep_is_cancellable():
    cancel = threading.Event()
    threading.Timer(0.05, cancel.set).start()
    with pytest.raises(lib.Cancelled):
        retry.sleep(30, cancel)


# -- inputs ---------------------------------------------------------------------------------------

def test_sources_options_and_windows_take_either_key_style():
    assert source_input({"device_label": "cam01", "file_id": "file-1", "format": "mov"}) == \
        {"deviceLabel": "cam01", "fileId": "file-1", "format": "MOV"}
    assert source_input(lib.File(id="file-2", type="mp4"), 1) == \
        {"deviceLabel": "cam02", "fileId": "file-2", "format": "MP4"}
    assert options_input({"mocap_model": "s2", "trackFingers": 1}) == {"mocapModel": "S2", "trackFingers": True}
    assert clip_window_input((1, 2.5)) == {"startTime": 1.0, "endTime": 2.5}
    for bad in [lambda: source_input({"fileId": "f", "format": "MKV"}), lambda: options_input({"speed": 1}),
                lambda: options_input({"mocapModel": "X9"}), lambda: clip_window_input((2, 1))]:
        with pytest.raises(ValueError):
            bad()


def test_request_id_is_added_to_the_callers_metadata_and_found_again():
    text, request_id = with_request_id({"scene": "walk"})
    assert parse_awsjson(text) == {"scene": "walk", REQUEST_ID_KEY: request_id}
    assert with_request_id(None)[1] != request_id
    items = [{"id": "a", "metadata": "{}"}, {"id": "b", "metadata": text}, None]
    assert find_by_request_id(items, request_id)["id"] == "b"
    assert find_by_request_id(items, "other") is None
    assert to_awsjson('{"a": 1}') == '{"a":1}'
    with pytest.raises(ValueError):
        to_awsjson("[1]")


def test_paging_follows_the_cursor_and_stops_on_end_or_repeat():
    assert next_cursor(None) is None and next_cursor("null") is None and next_cursor("{}") is None
    assert next_cursor('{"seq": 3}') == '{"seq": 3}' and next_cursor({"seq": 3}) == '{"seq": 3}'
    cursors = {None: ("a", [1, 2]), "a": ("b", [3]), "b": (None, [4])}
    pages = list(iterate_pages(lambda after: lib.Page(cursors[after][1], cursors[after][0])))
    assert [i for p in pages for i in p.items] == [1, 2, 3, 4]
    looping = list(iterate_pages(lambda after: lib.Page([after], "same")))
    assert len(looping) == 2  # a server repeating its cursor cannot make us loop forever


# -- the upload body ------------------------------------------------------------------------------

def test_upload_body_streams_in_blocks_with_length_md5_and_progress(tmp_path):
    data = random.Random(7).randbytes(2 * BLOCK_SIZE + 123)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    seen = []
    with UploadBody(path, progress=lambda sent, total: seen.append((sent, total))) as body:
        assert len(body) == len(data)
        blocks = list(body)
    assert [len(b) for b in blocks] == [BLOCK_SIZE, BLOCK_SIZE, 123]
    assert seen == [(BLOCK_SIZE, len(data)), (2 * BLOCK_SIZE, len(data)), (len(data), len(data))]
    assert body.md5.hexdigest() == hashlib.md5(data).hexdigest()
    # requests sees a length, so it sends Content-Length instead of a chunked body
    prepared = requests.Request("PUT", "http://127.0.0.1/x", data=UploadBody(path)).prepare()
    assert prepared.headers["Content-Length"] == str(len(data))
    assert "Transfer-Encoding" not in prepared.headers


def test_upload_body_stops_when_cancelled(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"x" * (3 * BLOCK_SIZE))
    cancel = threading.Event()
    with UploadBody(path, progress=lambda sent, total: cancel.set(), cancel=cancel) as body:
        body.read()
        with pytest.raises(lib.Cancelled):
            body.read()
    assert body.sent == BLOCK_SIZE


def test_etag_and_content_range_parsing():
    md5 = hashlib.md5(b"abc").hexdigest()
    assert _etag_matches(f'"{md5}"', md5) is True
    assert _etag_matches('"' + "0" * 32 + '"', md5) is False
    assert _etag_matches('"abc-3"', md5) is None and _etag_matches(None, md5) is None
    assert _content_range("bytes 100-199/200") == (100, 200) and _content_range("bytes 0-1/*") == (0, None)
    assert _content_range("nonsense") is None


def test_lib_imports_as_a_subpackage_without_bpy(tmp_path):
    """Inside Blender the package is bl_ext.user_default.move_ai.lib: relative imports and
    documents loaded by path must work there, and nothing may import bpy."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    package = tmp_path / "bl_ext" / "user_default" / "move_ai"
    shutil.copytree(root / "lib", package / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in (tmp_path / "bl_ext", tmp_path / "bl_ext" / "user_default", package):
        (folder / "__init__.py").write_text("")
    script = (
        "import sys; sys.modules['bpy'] = None\n"  # any `import bpy` now fails
        "from bl_ext.user_default.move_ai.lib import MoveClient, documents\n"
        "assert all(documents.load(n) for n in documents.names())\n"
        "c = MoveClient('k-0123456789ab', 'http://127.0.0.1:9/ugc/graphql')\n"
        "assert 'lib' not in sys.modules, 'imported the top-level lib'\n"
        "print('ok', len(documents.names()))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", str(len(list((root / "lib" / "documents").glob("*.graphql"))))]
