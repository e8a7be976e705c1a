"""Wall time and peak memory of `kafkac compile`, with and without verify.

Each run is a fresh process, as in CI. Prints a Markdown table; the figures in
benchmarks/README.md come from it.

    python benchmarks/bench_compile.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("quickstart", "kraft-3x3", "production")

# Runs one compile in this process and reports its own and its tools' peak RSS.
MEASURE = """
import json, resource, sys, time
from compiler.cli import cli
start = time.perf_counter()
try:
    cli.main(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    if exc.code:
        raise
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tools = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "python_kib": own, "tools_kib": tools}), file=sys.stderr)
"""


def measure(example: str, verify: bool) -> dict:
    with tempfile.TemporaryDirectory() as out:
        args = ["compile", str(ROOT / "examples" / example), "-o", out]
        if not verify:
            args.append("--no-verify")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        process_seconds = time.perf_counter() - start
    return {**json.loads(proc.stderr.strip().splitlines()[-1]), "process_seconds": process_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
          f"Python {platform.python_version()}, runs: {args.runs}\n")
    print("| example | verify | compile median s | compile min s | whole process median s "
          "| peak RSS kafkac MiB | peak RSS tools MiB |")
    print("|---|---|---|---|---|---|---|")
    for example in EXAMPLES:
        for verify in (False, True):
            runs = [measure(example, verify) for _ in range(args.runs)]
            seconds = [r["seconds"] for r in runs]
            process = statistics.median(r["process_seconds"] for r in runs)
            print(f"| {example} | {'yes' if verify else 'no'} | {statistics.median(seconds):.3f} "
                  f"| {min(seconds):.3f} | {process:.3f} | {max(r['python_kib'] for r in runs) / 1024:.0f} "
                  f"| {max(r['tools_kib'] for r in runs) / 1024:.0f} |")


if __name__ == "__main__":
    main()
