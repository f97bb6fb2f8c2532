# SPDX-License-Identifier: GPL-3.0-or-later
"""One transfer in a process of its own, so its peak memory is its own; prints one JSON line.

    MOVE_BENCH_KEY=<key> python -m benchmarks.transfer_child upload-ours ENDPOINT FILE
    ... upload-whole ENDPOINT FILE           # the file read whole, then PUT (what Move's add-on does)
    ... download-ours ENDPOINT URL DEST      # the client's streamed GET (lib.transfers.download_file)
    ... download-whole ENDPOINT URL DEST     # requests.get(url).content, then written out

The key comes from the environment so that it never shows in a process list.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import requests

from benchmarks.memory import PeakGrowth
from lib import MoveClient
from lib import transfers


def main(argv: list[str]) -> int:
    mode, endpoint, *rest = argv
    client = MoveClient(os.environ["MOVE_BENCH_KEY"], endpoint=endpoint)
    client.client_info.retrieve()  # connection and imports warmed, outside the measurement
    result: dict = {}
    with PeakGrowth() as growth:
        started = time.perf_counter()
        if mode == "upload-ours":
            file = client.files.upload(Path(rest[0]))
            result.update(file_id=file.id, url=file.presigned_url)
        elif mode == "upload-whole":
            file = client.files.create("mp4")
            data = Path(rest[0]).read_bytes()
            response = requests.put(file.presigned_url, data=data, timeout=600)
            response.raise_for_status()
            result.update(file_id=file.id, url=file.presigned_url)
        elif mode == "download-ours":
            url, dest = rest
            transfers.download_file(url, Path(dest), refresh_url=lambda: url, session=client.transport.session,
                                    policy=client.transport.policy)
        elif mode == "download-whole":
            url, dest = rest
            response = requests.get(url, timeout=600)
            response.raise_for_status()
            Path(dest).write_bytes(response.content)
        else:
            raise SystemExit(f"unknown mode {mode!r}")
        result["seconds"] = time.perf_counter() - started
    result.update(rss_growth_mib=growth.mib, exact_peak=growth.exact)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
