"""Wall time, CPU time and peak memory of `kafkac compile`, with and without verify.

Each run is a fresh process, as in CI. CPU time is the process's and its
tools' (helm, kubeconform, promtool, opa), user plus system. The baseline row
of each example, measured in the same run, is what a chart costs without
kafkac: one `helm template` of the chart kafkac wrote, piped to one
`kubeconform -strict` for the newest Kubernetes version, with the same
schemas; the last column is each row's CPU time over that baseline's. Each
process runs without PYTHONDONTWRITEBYTECODE, after one run that is not
counted (Python's bytecode caches, as an installed kafkac has them). Prints a
Markdown table with the load average, since the machine may be shared; the
figures in benchmarks/README.md come from it.

    python benchmarks/bench_compile.py [--runs 5] [--examples production]
"""

from __future__ import annotations

import argparse
import json
import os
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
cpu = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
          for field in ("ru_utime", "ru_stime"))
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "python_kib": own, "tools_kib": tools}),
      file=sys.stderr)
"""

# One helm template | kubeconform -strict of a chart, for the newest Kubernetes version, as a user
# runs them: with Go's default garbage collector (kafkac's tools run with GOGC=400).
BASELINE = """
import json, os, resource, subprocess, sys, time
os.environ.setdefault("GOGC", "100")
from compiler import kube_schemas, tools
chart, version = sys.argv[1], tools.DEFAULT_KUBE_VERSIONS[-1]
start = time.perf_counter()
rendered = tools.run("helm", "template", "bench", chart, "--namespace", "kafka", "--kube-version", version).stdout
tools.run("kubeconform", "-strict", "-summary", "-ignore-missing-schemas", "-kubernetes-version", version,
          "-schema-location", kube_schemas.kubeconform_schema_location(version),
          "-schema-location", kube_schemas.openshift_schema_location(),
          "-schema-location", kube_schemas.crd_schema_location(), "-", input=rendered)
elapsed = time.perf_counter() - start
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": elapsed, "cpu_seconds": children.ru_utime + children.ru_stime,
                  "python_kib": 0, "tools_kib": children.ru_maxrss}), file=sys.stderr)
"""


def _run(program: str, *args: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", program, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    process_seconds = time.perf_counter() - start
    return {**json.loads(proc.stderr.strip().splitlines()[-1]), "process_seconds": process_seconds}


def measure(example: str, verify: bool) -> dict:
    with tempfile.TemporaryDirectory() as out:
        args = ["compile", str(ROOT / "examples" / example), "-o", out]
        if not verify:
            args.append("--no-verify")
        return _run(MEASURE, *args)


def measure_baseline(example: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        _run(MEASURE, "compile", str(ROOT / "examples" / example), "-o", out, "--no-verify")
        (chart,) = Path(out).iterdir()
        return _run(BASELINE, str(chart))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--examples", nargs="+", default=list(EXAMPLES), metavar="EXAMPLE")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}, "
          f"Python {platform.python_version()}, runs: {args.runs}\n")
    print("| example | what | compile median s | compile min s | whole process median s "
          "| CPU median s | peak RSS kafkac MiB | peak RSS tools MiB | load average | CPU / baseline |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for example in args.examples:
        measure(example, False)  # not counted: writes the bytecode caches
        rows = []
        for what, measured in (("baseline: helm template + kubeconform", lambda: measure_baseline(example)),
                               ("compile --no-verify", lambda: measure(example, False)),
                               ("compile (verified)", lambda: measure(example, True))):
            load = os.getloadavg()[0]
            runs = [measured() for _ in range(args.runs)]
            rows.append((what, runs, load))
        baseline_cpu = statistics.median(r["cpu_seconds"] for r in rows[0][1])
        for what, runs, load in rows:
            seconds = [r["seconds"] for r in runs]
            process = statistics.median(r["process_seconds"] for r in runs)
            cpu = statistics.median(r["cpu_seconds"] for r in runs)
            print(f"| {example} | {what} | {statistics.median(seconds):.3f} "
                  f"| {min(seconds):.3f} | {process:.3f} | {cpu:.3f} "
                  f"| {max(r['python_kib'] for r in runs) / 1024:.0f} "
                  f"| {max(r['tools_kib'] for r in runs) / 1024:.0f} | {load:.1f} | {cpu / baseline_cpu:.2f} |")


if __name__ == "__main__":
    main()
