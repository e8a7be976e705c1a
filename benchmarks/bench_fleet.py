"""A fleet in one `kafkac compile`: N clusters of 3 to 9 brokers, each with 50 KafkaTopics and
20 KafkaUsers, as a platform team's repository holds them.

Each cluster is the production example's Kafka, its metrics ConfigMap and its three node pools
in a namespace of its own (`team-<i>`), the Kafka named `prod-<i>` and managing topics and users,
its two broker pools at 2 to 4 and 1 to 5 replicas (3 to 9 brokers, varying with i); its topics and users
are bench_topics.py's. Compiles the fleet in a fresh process for each size, without and with
verify, and prints a Markdown table (wall, CPU of kafkac and its tools, kafkac's peak memory) and
the time per cluster, so that linearity shows; the figures in benchmarks/README.md come from it.

    python benchmarks/bench_fleet.py [--clusters 25,50,100] [--verify]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
from pathlib import Path

import yaml

from bench_topics import CONFIGS, PRODUCTION, _user, measure

TOPICS, USERS = 50, 20


def write_fleet(folder: Path, clusters: int) -> None:
    for i in range(clusters):
        name, namespace = f"prod-{i:03}", f"team-{i:03}"
        brokers = (2 + i % 3, 1 + i % 5)  # the two broker pools': 3 to 9 brokers in all
        for source in sorted(PRODUCTION.glob("*.yaml")):
            if source.name == "topics.yaml":
                continue
            text = source.read_text()
            text = (text.replace("name: prod\n", f"name: {name}\n")
                    .replace("strimzi.io/cluster: prod\n", f"strimzi.io/cluster: {name}\n")
                    .replace("namespace: kafka\n", f"namespace: {namespace}\n")
                    .replace("    topicOperator: {}\n", "    topicOperator: {}\n    userOperator: {}\n"))
            if source.name == "node-pools.yaml":
                text = _broker_replicas(text, brokers)
            (folder / f"{i:03}-{source.name}").write_text(text)
        documents = [_topic(name, namespace, i, t) for t in range(TOPICS)]
        for u in range(USERS):
            user = _user(u)
            user["metadata"].update(namespace=namespace, labels={"strimzi.io/cluster": name})
            documents.append(user)
        (folder / f"{i:03}-topics-and-users.yaml").write_text(yaml.safe_dump_all(documents, sort_keys=False))


def _broker_replicas(text: str, replicas: tuple[int, ...]) -> str:
    """The node pools with the broker role at `replicas`, in their order (controllers stay 3)."""
    pools, counts = text.split("\n---\n"), iter(replicas)
    return "\n---\n".join(re.sub(r"\n  replicas: 3\n", f"\n  replicas: {next(counts)}\n", pool)
                          if "- broker" in pool else pool for pool in pools)


def _topic(cluster: str, namespace: str, i: int, t: int) -> dict:
    return {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
            "metadata": {"name": f"team-{t % 50:02d}.events.{t:03d}", "namespace": namespace,
                         "labels": {"strimzi.io/cluster": cluster}},
            "spec": {"partitions": (1, 3, 6, 12)[(i + t) % 4], "replicas": 3,
                     "config": CONFIGS[(i + t) % len(CONFIGS)]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", default="25,50,100", help="fleet sizes, comma-separated")
    parser.add_argument("--verify", action="store_true", help="also compile with verify (helm, kubeconform)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| clusters | verify | wall s | CPU s | kafkac peak MiB | wall s per cluster |")
    print("|---|---|---|---|---|---|")
    for count in (int(c) for c in args.clusters.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            specs, out = Path(folder) / "specs", Path(folder) / "out"
            specs.mkdir()
            out.mkdir()
            write_fleet(specs, count)
            for verify in (False, True) if args.verify else (False,):
                figures, _ = measure(specs, out, verify)
                print(f"| {count} | {'yes' if verify else 'no'} | {figures['process_seconds']:.1f} "
                      f"| {figures['cpu_seconds']:.1f} | {figures['python_kib'] / 1024:.0f} "
                      f"| {figures['process_seconds'] / count:.3f} |", flush=True)


if __name__ == "__main__":
    main()
