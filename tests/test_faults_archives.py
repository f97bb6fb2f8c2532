# SPDX-License-Identifier: GPL-3.0-or-later
"""Motion-data zips unpacked safely: hostile zips (made here with zipfile) refused with nothing
written, and a reference-processor job's real motion data downloaded, unpacked and parsed."""
from __future__ import annotations

import json
import stat
import struct
import zipfile

import pytest

import lib
from lib.archives import UnsafeArchive, extract_zip
from test_client_helpers import client, make_client, no_faults, uploaded_take  # noqa: F401


def make_zip(path, members: dict, compression=zipfile.ZIP_DEFLATED):
    """A zip of {name or ZipInfo: bytes}."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode bits below are read
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def declare_size(path, new_size: int) -> None:
    """Rewrite every header's uncompressed size of a one-member zip: a header that lies."""
    data = bytearray(path.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, new_size)
    struct.pack_into("<I", data, central + 24, new_size)
    path.write_bytes(bytes(data))


@pytest.fixture
def dest(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def assert_nothing_written(dest, tmp_path):
    assert list(dest.iterdir()) == [], "a refused archive must leave nothing behind"
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


ACTOR = json.dumps({"fps": 24.0, "start_time": 0.0, "mocap_data": []}).encode()


@pytest.mark.parametrize("name, why", [
    ("../evil.txt", "'..' component"),
    ("actors/../../evil.txt", "'..' component"),
    ("..\\..\\evil.txt", "'..' component"),  # made on Windows
    ("/tmp/evil.txt", "absolute path"),
    ("\\evil.txt", "absolute path"),
    ("C:/evil.txt", "drive letter"),
    ("c:evil.txt", "drive letter"),
    ("actor\n.json", "control characters"),  # (zipfile itself cuts names at NUL)
])
def test_a_member_escaping_the_folder_is_refused(tmp_path, dest, name, why):
    archive = make_zip(tmp_path / "take_motion_data.zip", {"actor_1.json": ACTOR, name: b"pwned"})
    with pytest.raises(UnsafeArchive) as caught:
        extract_zip(archive, dest)
    assert why in str(caught.value) and "Nothing was extracted" in str(caught.value)
    assert str(caught.value).startswith("Refused to unpack take_motion_data.zip: member ")
    assert_nothing_written(dest, tmp_path)


def test_a_symlink_member_is_refused(tmp_path, dest):
    archive = make_zip(tmp_path / "links.zip", {"actor_1.json": ACTOR, symlink_member("actor_2.json"): b"/etc/passwd"})
    with pytest.raises(UnsafeArchive, match="member 'actor_2.json' is a symbolic link"):
        extract_zip(archive, dest)
    assert_nothing_written(dest, tmp_path)


def test_a_member_whose_header_lies_about_its_size_is_refused(tmp_path, dest):
    # 8 MiB of zeros deflate to a few KiB; the headers claim 100 bytes, well under the bound.
    archive = make_zip(tmp_path / "bomb.zip", {"actor_1.json": b"\0" * (8 * 1024 * 1024)})
    declare_size(archive, 100)
    with pytest.raises(UnsafeArchive, match="Nothing was extracted") as caught:
        extract_zip(archive, dest, max_total_bytes=1024 * 1024)
    assert "bomb.zip" in str(caught.value)
    assert_nothing_written(dest, tmp_path)


def test_declared_sizes_over_the_bound_are_refused_before_writing(tmp_path, dest):
    archive = make_zip(tmp_path / "big.zip", {"actor_1.json": b"x" * 3000, "actor_2.json": b"y" * 3000})
    with pytest.raises(UnsafeArchive, match="would unpack to 6000 bytes, more than the 5000 allowed"):
        extract_zip(archive, dest, max_total_bytes=5000)
    assert_nothing_written(dest, tmp_path)


def test_too_many_members_are_refused_at_the_default_bound(tmp_path, dest):
    archive = make_zip(tmp_path / "many.zip", {f"actor_{i}.json": b"{}" for i in range(10_001)},
                       compression=zipfile.ZIP_STORED)
    with pytest.raises(UnsafeArchive, match="it has 10001 members, more than the 10000 allowed"):
        extract_zip(archive, dest)
    assert_nothing_written(dest, tmp_path)


def test_a_damaged_zip_is_refused(tmp_path, dest):
    archive = make_zip(tmp_path / "cut.zip", {"actor_1.json": ACTOR * 50})
    archive.write_bytes(archive.read_bytes()[:-30])  # the end of the central directory is gone
    with pytest.raises(UnsafeArchive, match="Could not unpack cut.zip: it is damaged or not a zip"):
        extract_zip(archive, dest)
    assert_nothing_written(dest, tmp_path)


def test_a_refused_archive_keeps_the_previous_extraction(tmp_path, dest):
    good = make_zip(tmp_path / "take.zip", {"actor_1.json": ACTOR, "extra/notes.txt": b"hi"})
    folder = extract_zip(good, dest)
    assert folder == dest / "take" and (folder / "extra" / "notes.txt").read_bytes() == b"hi"
    make_zip(tmp_path / "take.zip", {"actor_1.json": b"new", "../evil.txt": b"pwned"})
    with pytest.raises(UnsafeArchive):
        extract_zip(tmp_path / "take.zip", dest)
    assert sorted(p.name for p in dest.iterdir()) == ["take"]
    assert (dest / "take" / "actor_1.json").read_bytes() == ACTOR
    make_zip(tmp_path / "take.zip", {"actor_1.json": b"{\"fps\": 30}"})
    extract_zip(tmp_path / "take.zip", dest)  # a good archive replaces the folder whole
    assert sorted(p.name for p in (dest / "take").iterdir()) == ["actor_1.json"]
    assert sorted(p.name for p in dest.iterdir()) == ["take"]


# -- the real thing: a reference-processor job through the local server --------------------------

def test_motion_data_of_a_real_job_is_downloaded_unpacked_and_parsed(local_server, client, uploaded_take, tmp_path):
    job = client.jobs.create_singlecam(uploaded_take.id, outputs=["MOTION_DATA"], clip_window=(0.5, 1.5),
                                       name="motion data")
    job = client.jobs.wait(job.id, interval=0.2, timeout=120)
    assert job.state == "FINISHED", job.failure_reason
    paths = client.jobs.download_motion_data(job, tmp_path / "dl")
    zip_path = next((tmp_path / "dl").glob("*.zip"))
    assert [p.relative_to(tmp_path / "dl").as_posix() for p in paths] == [f"{zip_path.stem}/actor_1.json"]
    actor = json.loads(paths[0].read_text())
    assert actor["fps"] == pytest.approx(24.0) and actor["start_time"] == pytest.approx(0.5, abs=0.05)
    assert 23 <= len(actor["mocap_data"]) <= 25  # one sample per frame of the 1 s window
    first = actor["mocap_data"][0]
    assert first["timestamp"] == "0.0"
    root = first["joint_data"]["Root"]
    assert root["type"] == "euler_xyz" and len(root["position"]) == 3 and len(root["rotations"]) == 3
    assert {"Left_knee", "Right_wrist", "Neck"} <= set(first["joint_data"])
    # a refused bound on the same download: nothing new unpacked, the earlier folder intact
    with pytest.raises(UnsafeArchive, match="more than the 10 allowed"):
        make_client(local_server).jobs.download_motion_data(job, tmp_path / "dl", max_total_bytes=10)
    assert json.loads(paths[0].read_text()) == actor
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == sorted([zip_path.name, zip_path.stem])
    assert isinstance(UnsafeArchive("x"), lib.MoveError)
