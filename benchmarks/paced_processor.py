# SPDX-License-Identifier: GPL-3.0-or-later
"""A benchmark processor for the local server: each job takes a fixed time, reports progress, writes
small labelled outputs, and notes the wall-clock moment it finished (to measure how soon a poller
sees it). Not a mocap processor: the poll benchmark needs jobs of known length, not motion.

    python -m local_server --processor benchmarks.paced_processor:PacedProcessor
    (BENCH_JOB_SECONDS sets each job's length, default 2)
"""
from __future__ import annotations

import os
import time
from pathlib import Path

FINISH_LOG = "paced-finish.log"


class PacedProcessor:
    name = "paced-benchmark"
    supported_outputs = ["MAIN_FBX", "MAIN_BLEND", "RENDER_OVERLAY_VIDEO"]

    def process(self, job, out_dir: Path, progress):
        from local_server.output_types import OUTPUTS
        from local_server.processors.base import ProcessorResult

        seconds = float(os.environ.get("BENCH_JOB_SECONDS", "2"))
        for step in range(1, 11):
            time.sleep(seconds / 10)
            progress(step * 10)
        files = {}
        for output_type in job.outputs:
            path = Path(out_dir) / f"{output_type.lower()}{OUTPUTS[output_type][1]}"
            path.write_text(f"{output_type} of {job.job_id} (benchmark placeholder)\n", encoding="utf-8")
            files[output_type] = path
        with open(Path(out_dir).parent / FINISH_LOG, "a", encoding="utf-8") as log:
            log.write(f"{job.job_id} {time.time():.6f}\n")
        return ProcessorResult(files=files, metadata={"processor": self.name})
