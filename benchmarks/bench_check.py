"""`kafkac check` on many clusters in one run: one OPA server, one bulk query.

Writes N copies of examples/production (each its own Kafka, ConfigMap and
three node pools, in its own namespace) and a base version of them, then
measures, in one process, each phase of a check and the whole command in a
fresh process. Prints a Markdown table; the figures in benchmarks/README.md
come from it.

    python benchmarks/bench_check.py [--clusters 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import policy, tools  # noqa: E402
from compiler.check import CheckOptions, check, cluster_input  # noqa: E402
from compiler.pipeline import read_specs  # noqa: E402

PRODUCTION = ROOT / "examples" / "production"


def write_clusters(folder: Path, count: int, change: str = "") -> None:
    """`count` copies of the production example, cluster `prod-<i>` in namespace `team-<i>`."""
    for i in range(count):
        for source in sorted(PRODUCTION.glob("*.yaml")):
            text = source.read_text()
            text = (text.replace("name: prod\n", f"name: prod-{i:03}\n")
                    .replace("strimzi.io/cluster: prod\n", f"strimzi.io/cluster: prod-{i:03}\n")
                    .replace("namespace: kafka\n", f"namespace: team-{i:03}\n"))
            if change:
                text = text.replace(*change.split("=>"))
            (folder / f"{i:03}-{source.name}").write_text(text)


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def one_run(head: Path, base: Path) -> dict:
    figures: dict[str, float] = {}
    figures["load, validate, normalize (head and base)"], (model, base_model) = timed(
        lambda: (read_specs([head])[0], read_specs([base])[0]))
    assert model is not None and base_model is not None
    figures["start OPA alone"], _ = timed(_start_and_stop)
    start = time.perf_counter()
    with policy.engine() as engine:
        figures["start OPA and load the library"] = time.perf_counter() - start
        figures["check, no base (1 request)"], findings = timed(
            lambda: check(model, None, CheckOptions(), engine))
        figures["check with --base (1 request)"], upgraded = timed(
            lambda: check(model, base_model, CheckOptions(), engine))
        inputs = [{"profile": "prod", "clusters": [cluster_input(c, model.documents)], "base": None}
                  for c in model.clusters]
        package = policy.ENTRY_PACKAGE.replace(".", "/")
        figures["evaluation only: data.kafkac.main.bulk, the inputs as one JSON input"], _ = timed(
            lambda: engine.client.post(f"/v1/data/{package}/{policy.BULK_RULE}", {"input": {"inputs": inputs}}))
        figures["evaluation only: data.kafkac.main.findings, one request per cluster"], _ = timed(
            lambda: [engine.client.post(f"/v1/data/{package}/{policy.ENTRY_RULE}", {"input": i}) for i in inputs])
    assert len(model.clusters) == len(base_model.clusters)
    # The base moved every listener: the upgrade rules find that, on top of what check finds.
    assert {f.rule for f in upgraded} == {f.rule for f in findings} | {"policy.upgrade.listener-port"}
    figures["findings"] = len(upgraded)
    return figures


def _start_and_stop() -> None:
    with tools.opa_server():
        pass


def whole_command(head: Path, base: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "compiler", "check", str(head), "--base", str(base)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        head, base = Path(folder) / "head", Path(folder) / "base"
        head.mkdir()
        base.mkdir()
        write_clusters(head, args.clusters)
        # The base: every cluster's listener on another port, so the upgrade rules have work.
        write_clusters(base, args.clusters, change="port: 9093\n=>port: 9094\n")
        runs = [one_run(head, base) for _ in range(args.runs)]
        process = [whole_command(head, base) for _ in range(args.runs)]
    opa_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    own_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{args.clusters} clusters, {args.runs} runs, findings with --base: {runs[0]['findings']}\n")
    print("| phase | median s | min s |")
    print("|---|---|---|")
    for phase in runs[0]:
        if phase == "findings":
            continue
        values = [r[phase] for r in runs]
        print(f"| {phase} | {statistics.median(values):.3f} | {min(values):.3f} |")
    print(f"| whole `kafkac check HEAD --base BASE`, fresh process | {statistics.median(process):.3f} "
          f"| {min(process):.3f} |")
    print(f"\npeak RSS: this process {own_kib / 1024:.0f} MiB, largest child (OPA or kafkac) "
          f"{opa_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
