"""Compile time and topics Job plan size for a cluster with many KafkaTopics and KafkaUsers.

Writes the production example's Kafka and node pools plus N generated
KafkaTopics (varied partitions, replicas and configs, 1,000 to a file) and M
KafkaUsers (TLS, with ACLs on their team's topics and their group, 1,000 to a
file; the Kafka then manages users too) into a temporary directory, compiles it in a fresh process, with and
without verification, and reports the time, the CPU time of kafkac and its
tools, kafkac's peak memory and the sizes of what the chart carries for the
topics Job. Prints a Markdown table; the figures in benchmarks/README.md come
from it.

    python benchmarks/bench_topics.py [--topics 10000] [--users 2000] [--runs 3]
    python benchmarks/bench_topics.py --write-specs /tmp/specs   # only the specs, to profile
"""

from __future__ import annotations

import argparse
import base64
import os
import gzip
import json
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ROOT / "examples" / "production"
TOPICS_PER_FILE = 1000

# One compile in this process; reports its time and peak RSS.
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
cpu = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
          for field in ("ru_utime", "ru_stime"))
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "python_kib": own}), file=sys.stderr)
"""

CONFIGS = [
    {"retention.ms": 604800000},
    {"retention.ms": 86400000, "compression.type": "lz4"},
    {"cleanup.policy": "compact", "min.compaction.lag.ms": 3600000},
    {"cleanup.policy": "compact,delete", "retention.ms": 1209600000, "segment.bytes": 268435456},
    {"retention.bytes": 10737418240, "min.insync.replicas": 2},
    {"max.message.bytes": 2097152, "message.timestamp.type": "LogAppendTime"},
    {},
]


def write_specs(folder: Path, count: int, users: int = 0) -> None:
    for source in PRODUCTION.glob("*.yaml"):
        if source.name != "topics.yaml":
            text = source.read_text()
            if users:  # the chart manages the users too
                text = text.replace("    topicOperator: {}\n", "    topicOperator: {}\n    userOperator: {}\n")
            (folder / source.name).write_text(text)
    rng = random.Random(42)
    for first in range(0, count, TOPICS_PER_FILE):
        docs = []
        for i in range(first, min(first + TOPICS_PER_FILE, count)):
            docs.append({
                "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                "metadata": {"name": f"team-{i % 50:02d}.events.{i:05d}", "namespace": "kafka",
                             "labels": {"strimzi.io/cluster": "prod"}},
                "spec": {"partitions": rng.choice([1, 3, 6, 12, 24, 48]), "replicas": 3,
                         "config": rng.choice(CONFIGS)},
            })
        (folder / f"topics-{first // TOPICS_PER_FILE:02d}.yaml").write_text(
            yaml.safe_dump_all(docs, sort_keys=False))
    for first in range(0, users, TOPICS_PER_FILE):
        docs = [_user(i) for i in range(first, min(first + TOPICS_PER_FILE, users))]
        (folder / f"users-{first // TOPICS_PER_FILE:02d}.yaml").write_text(
            yaml.safe_dump_all(docs, sort_keys=False))


def _user(i: int) -> dict:
    """A team's application, authenticated by TLS (the production example's listener), reading and
    writing its team's topics, in its own group."""
    team = f"team-{i % 50:02d}"
    return {
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
        "metadata": {"name": f"{team}-app-{i:04d}", "namespace": "kafka",
                     "labels": {"strimzi.io/cluster": "prod"}},
        "spec": {
            "authentication": {"type": "tls"},
            "authorization": {"type": "simple", "acls": [
                {"resource": {"type": "topic", "name": f"{team}.", "patternType": "prefix"},
                 "operations": ["Describe", "Read", "Write"]},
                {"resource": {"type": "group", "name": f"{team}-app-{i:04d}"}, "operations": ["Read"]},
            ]},
        },
    }


def measure(specs: Path, out: Path, verify: bool) -> tuple[dict, Path]:
    """One compile in a fresh process, with the figures MEASURE reports and the process's wall time."""
    shutil.rmtree(out / "charts", ignore_errors=True)
    args = ["compile", str(specs), "-o", str(out / "charts")]
    if not verify:
        args.append("--no-verify")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"compile failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    figures = json.loads(proc.stderr.strip().splitlines()[-1])
    figures["process_seconds"] = time.perf_counter() - start
    return figures, out / "charts" / "prod"


def sizes(chart: Path) -> dict:
    """What the chart carries for the topics Job, and what Helm would store for the release."""
    from compiler import tools
    from compiler.verify import render

    values = yaml.safe_load((chart / "values.yaml").read_text())
    topics = values["topics"]
    shards = [len(s["content"].encode()) for s in topics["spec"]]
    manifest = render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], "prod", "kafka")
    files = {str(p.relative_to(chart)): p.read_text() for p in sorted(chart.rglob("*")) if p.is_file()}
    # Helm keeps a release as gzip'd JSON (chart, values, rendered manifest), base64 in a Secret.
    release = json.dumps({"chart": files, "manifest": manifest}).encode()
    stored = len(base64.b64encode(gzip.compress(release)))
    return {"topics": topics["topicCount"], "spec_bytes": sum(shards), "config_maps": len(shards),
            "largest_config_map": max(shards), "values_bytes": (chart / "values.yaml").stat().st_size,
            "manifest_bytes": len(manifest.encode()), "release_secret_bytes": stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=10000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-specs", type=Path, metavar="DIR",
                        help="only write the specs into DIR (e.g. to profile a compile of them)")
    args = parser.parse_args()
    if args.write_specs:
        args.write_specs.mkdir(parents=True, exist_ok=True)
        write_specs(args.write_specs, args.topics, args.users)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"runs: {args.runs}, load average at start: {os.getloadavg()[0]:.1f}\n")
    with tempfile.TemporaryDirectory() as folder:
        specs, out = Path(folder) / "specs", Path(folder) / "out"
        specs.mkdir()
        write_specs(specs, args.topics, args.users)
        print("| topics | users | verify | compile median s | compile min s | whole process median s "
              "| CPU median s | peak RSS kafkac MiB |")
        print("|---|---|---|---|---|---|---|---|")
        chart = None
        for verify in (False, True):
            runs = []
            for _ in range(args.runs):
                figures, chart = measure(specs, out, verify)
                runs.append(figures)
            seconds = [r["seconds"] for r in runs]
            print(f"| {args.topics} | {args.users} | {'yes' if verify else 'no'} | {statistics.median(seconds):.2f} "
                  f"| {min(seconds):.2f} | {statistics.median(r['process_seconds'] for r in runs):.2f} "
                  f"| {statistics.median(r['cpu_seconds'] for r in runs):.2f} "
                  f"| {max(r['python_kib'] for r in runs) / 1024:.0f} |")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
        found = sizes(chart)
        print("\n| topics | topics.jsonl total KiB | spec ConfigMaps | largest KiB | values.yaml KiB "
              "| rendered manifests KiB | Helm release Secret KiB |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {found['topics']} | {found['spec_bytes'] / 1024:.0f} | {found['config_maps']} "
              f"| {found['largest_config_map'] / 1024:.0f} | {found['values_bytes'] / 1024:.0f} "
              f"| {found['manifest_bytes'] / 1024:.0f} | {found['release_secret_bytes'] / 1024:.0f} |")


if __name__ == "__main__":
    main()
