# SPDX-License-Identifier: GPL-3.0-or-later
"""Upload and download of a large file through the client against curl on the same presigned URL,
and the peak memory each side needs (ours streamed, the baseline reading the file whole)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.figures import Figure
from benchmarks.servers import ROOT, local_server

BEST_OF = "best of {n}"


def need_curl() -> str:
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed for the transfer baselines: sudo apt-get install -y curl")
    return curl


def child(server, *args: str) -> dict:
    """Run one transfer in a fresh Python process (its peak RSS is the transfer's alone)."""
    env = dict(os.environ, MOVE_BENCH_KEY=server.api_key, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "benchmarks.transfer_child", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"transfer child {args[0]} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def curl(*args: str) -> float:
    """curl's own total time (seconds) for one transfer; fails loudly on an HTTP error."""
    done = subprocess.run([need_curl(), "-sS", "-f", "-w", "%{time_total}", *args], capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"curl failed ({done.returncode}): {done.stderr.strip()}")
    return float(done.stdout.strip().splitlines()[-1])


def sparse_video(folder: Path, size_mib: int) -> Path:
    """A file of `size_mib` MiB that takes no disk (reads as zeros); named .mp4 so the client takes it."""
    path = folder / "large.mp4"
    with open(path, "wb") as f:
        f.truncate(size_mib * 1024 * 1024)
    return path


def run(size_mib: int = 1024, repeats: int = 3, log=print) -> list[Figure]:
    need_curl()
    size = size_mib * 1024 * 1024
    work = Path(tempfile.mkdtemp(prefix="move-bench-transfer-"))
    try:
        with local_server(work / "server", "--processor", "reference") as server:
            source = sparse_video(work, size_mib)
            up_ours, up_curl, down_ours, down_curl = [], [], [], []
            up_rss, down_rss = [], []
            url = get_url = None
            for i in range(repeats):  # alternate, so a busy moment of the machine hits both sides
                got = child(server, "upload-ours", server.endpoint, str(source))
                up_ours.append(size / got["seconds"])
                up_rss.append(got["rss_growth_mib"])
                if url is not None:
                    _forget_upload(server, got["file_id"])  # keep the server's disk use to one copy
                else:
                    url, file_id = got["url"], got["file_id"]
                up_curl.append(size / curl("-T", str(source), "-o", os.devnull, url))
                log(f"  upload {i + 1}/{repeats}: ours {up_ours[-1] / 2**20:.0f} MiB/s, "
                    f"curl -T {up_curl[-1] / 2**20:.0f} MiB/s, ours peak RSS +{up_rss[-1]:.1f} MiB")
            get_url = _download_url(server, file_id)
            for i in range(repeats):
                dest = work / "down.bin"
                got = child(server, "download-ours", server.endpoint, get_url, str(dest))
                assert dest.stat().st_size == size, "the client's download is incomplete"
                dest.unlink()
                down_ours.append(size / got["seconds"])
                down_rss.append(got["rss_growth_mib"])
                down_curl.append(size / curl("-o", str(dest), get_url))
                assert dest.stat().st_size == size, "curl's download is incomplete"
                dest.unlink()
                log(f"  download {i + 1}/{repeats}: ours {down_ours[-1] / 2**20:.0f} MiB/s, "
                    f"curl -o {down_curl[-1] / 2**20:.0f} MiB/s, ours peak RSS +{down_rss[-1]:.1f} MiB")
            whole_up = child(server, "upload-whole", server.endpoint, str(source))
            _forget_upload(server, whole_up["file_id"])
            dest = work / "down.bin"
            whole_down = child(server, "download-whole", server.endpoint, get_url, str(dest))
            dest.unlink()
            log(f"  read-whole baselines: upload peak RSS +{whole_up['rss_growth_mib']:.0f} MiB, "
                f"download +{whole_down['rss_growth_mib']:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mib = 2 ** 20
    n = BEST_OF.format(n=repeats)
    return [
        Figure("upload rss growth", max(up_rss), "MiB", whole_up["rss_growth_mib"],
               f"file read whole, as Move's add-on does; {size_mib} MiB file", "< 32 MiB",
               lambda v, r: v < 32),
        Figure("upload throughput", max(up_ours) / mib, "MiB/s", max(up_curl) / mib,
               f"curl -T to the same presigned URL, {n}", ">= 0.9x curl", lambda v, r: r >= 0.9),
        Figure("download throughput", max(down_ours) / mib, "MiB/s", max(down_curl) / mib,
               f"curl -o from the same presigned URL, {n}", ">= 0.9x curl", lambda v, r: r >= 0.9),
        Figure("download rss growth", max(down_rss), "MiB", whole_down["rss_growth_mib"],
               "requests .content, read whole", "flat (< 32 MiB)", lambda v, r: v < 32),
    ]


def _download_url(server, file_id: str) -> str:
    from lib import MoveClient
    return MoveClient(server.api_key, endpoint=server.endpoint).files.retrieve(file_id).presigned_url


def _forget_upload(server, file_id: str) -> None:
    """Delete the stored bytes of an upload no one will read again (1 GiB each)."""
    for path in (server.data_dir).rglob(f"*{file_id}*"):
        if path.is_file() and path.stat().st_size > 1024 * 1024:
            path.unlink()
