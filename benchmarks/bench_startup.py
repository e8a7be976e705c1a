"""Whole-process time of the short commands: `kafkac --help`, `validate` and `check` of an example.

Each run is a fresh `python -m compiler ...` process, as a user or CI starts
it; its wall time, and its CPU time with the tools it starts (OPA for check),
come from wait4(2). One run of each command first, not counted, writes
Python's bytecode caches (as installing kafkac does), so the environment's
PYTHONDONTWRITEBYTECODE is left out. Prints a Markdown table with the load
average, since the machine may be shared; the figures in
benchmarks/README.md come from it.

    python benchmarks/bench_startup.py [--runs 10] [--example production]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one `python -m compiler <args>` run."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "compiler", *args], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    said = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"kafkac {' '.join(args)} failed:\n{said[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--example", default="production")
    args = parser.parse_args()
    example = str(ROOT / "examples" / args.example)
    commands = {"kafkac --help": ["--help"], f"kafkac validate examples/{args.example}": ["validate", example],
                f"kafkac check examples/{args.example}": ["check", example]}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"runs: {args.runs}\n")
    print("| command | wall median s | wall min s | CPU median s | CPU min s | load average |")
    print("|---|---|---|---|---|---|")
    for label, command in commands.items():
        run(command)  # writes the bytecode caches
        load = os.getloadavg()[0]
        walls, cpus = zip(*(run(command) for _ in range(args.runs)))
        print(f"| `{label}` | {statistics.median(walls):.3f} | {min(walls):.3f} "
              f"| {statistics.median(cpus):.3f} | {min(cpus):.3f} | {load:.1f} |")


if __name__ == "__main__":
    main()
