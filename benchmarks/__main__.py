# SPDX-License-Identifier: GPL-3.0-or-later
"""Run every benchmark, print each figure beside its baseline, write benchmarks/results.json.

    .venv/bin/python -m benchmarks                      # all, full sizes (about 3 minutes)
    .venv/bin/python -m benchmarks --only transfer poll --size-mib 64 --output /tmp/r.json

The mocap accuracy benchmark is separate: python -m benchmarks.mocap.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks.figures import Figure, print_table, write_json

HERE = Path(__file__).resolve().parent
SUITES = ("transfer", "poll", "tick", "import", "auth")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=SUITES, default=list(SUITES), help="run only these")
    p.add_argument("--size-mib", type=int, default=1024, help="upload/download file size (default 1024)")
    p.add_argument("--repeats", type=int, default=3, help="transfer runs per side, the best counts (default 3)")
    p.add_argument("--jobs", type=int, default=20, help="jobs watched at once by the poll and tick benchmarks")
    p.add_argument("--job-seconds", type=float, default=3.0, help="length of each poll-benchmark job")
    p.add_argument("--tick-video-seconds", type=float, default=4.0, help="clip captured by the tick benchmark")
    p.add_argument("--tick-captures", type=int, default=3, help="captures timed tick by tick")
    p.add_argument("--import-video-seconds", type=float, default=10.0, help="clip whose outputs are imported")
    p.add_argument("--import-repeats", type=int, default=5, help="imports per side, the median counts")
    p.add_argument("--output", type=Path, default=HERE / "results.json", help="where results.json goes")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    from benchmarks import auth_bench, import_bench, poll_bench, tick_bench, transfer_bench

    suites = {
        "transfer": lambda: transfer_bench.run(size_mib=args.size_mib, repeats=args.repeats),
        "poll": lambda: poll_bench.run(jobs=args.jobs, job_seconds=args.job_seconds),
        "tick": lambda: tick_bench.run(seconds=args.tick_video_seconds, captures=args.tick_captures,
                                      jobs=args.jobs),
        "import": lambda: import_bench.run(seconds=args.import_video_seconds, repeats=args.import_repeats),
        "auth": lambda: auth_bench.run(),
    }
    figures: list[Figure] = []
    for name in SUITES:
        if name not in args.only:
            continue
        print(f"{name} ...", flush=True)
        started = time.monotonic()
        figures += suites[name]()
        print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    print()
    print_table(figures)
    write_json(figures, args.output)
    missed = [f.name for f in figures if f.met() is False]
    print(f"\nwrote {args.output}" + (f"; targets missed: {', '.join(missed)}" if missed else "; every target met"))
    return 0  # a missed target is a finding to report, not a crash


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
