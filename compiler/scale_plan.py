"""The data a change of a cluster's brokers moves, for `kafkac check --base --bootstrap`.

Reads the live cluster with kafka-python's admin client (the brokers that answer,
every partition's replicas, internal topics too, and each replica's size from
DescribeLogDirs), writes them as the Kafka tools the rebalance Jobs run print
them, and plans with the Jobs' own planner, charts/kafka/files/rebalance-plan.awk,
through the system's awk, with the inputs rebalance-run.sh gives it: the drain
before the upgrade (mode drain), then the spread after it (mode grow) on the
cluster the drain leaves, where the brokers the change adds answer and the ones
it removes are gone.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import tools
from .cluster_members import matching_keys
from .model import Cluster, Model
from .plan.rebalance import drained_node_ids
from .project_files import CHARTS
from .topics_live import Connection, admin_client

PLANNER = CHARTS / "kafka" / "files" / "rebalance-plan.awk"


class PlanError(Exception):
    """The planner failed on what the cluster answered."""


@dataclass(frozen=True)
class BrokerChange:
    """A KRaft cluster whose broker node ids differ between the base and the spec."""

    cluster: str
    before: tuple[int, ...]
    after: tuple[int, ...]
    skip: tuple[int, ...]  # kafkac.io/drained-node-ids: left out of the drain

    @property
    def removed(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.before) - set(self.after)))

    @property
    def added(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.after) - set(self.before)))


@dataclass(frozen=True)
class LiveCluster:
    brokers: dict[int, str | None]  # the brokers that answer: node id -> rack
    assignment: dict[tuple[str, int], tuple[int, ...]]  # (topic, partition) -> replicas, preferred leader first
    sizes: dict[str, int]  # "<topic>-<partition>" -> its largest replica's bytes
    sizes_unknown: str = ""  # why the sizes could not be read (the Jobs then plan without them)


@dataclass(frozen=True)
class Phase:
    """What one of the Jobs would do."""

    name: str
    lines: tuple[str, ...]  # the Job's proposal lines: "<topic>-<n>: 0,1,2 -> 3,1,2 (<bytes> bytes)"
    moves: int
    bytes: int
    refused: tuple[tuple[str, str], ...]  # (topic, why): the Job refuses and changes nothing


@dataclass(frozen=True)
class ScalePlan:
    change: BrokerChange
    phases: tuple[Phase, ...]
    sizes_unknown: str = ""

    @property
    def refused(self) -> bool:
        return any(phase.refused for phase in self.phases)


def broker_changes(model: Model, base: Model | None) -> list[BrokerChange]:
    """The KRaft clusters of `model` whose brokers differ from the same cluster's in `base`
    (the facts upgrade.broker-drain and upgrade.broker-spread report)."""
    if base is None:
        return []
    by_key = {(c.namespace, c.name): c for c in base.clusters}
    changes = []
    for cluster in model.clusters:
        found = matching_keys(by_key, cluster.namespace, cluster.name)
        if len(found) != 1 or cluster.brokers_in_zookeeper:
            continue
        before, after = _broker_ids(by_key[found[0]]), _broker_ids(cluster)
        if before != after:
            changes.append(BrokerChange(cluster.name, before, after, tuple(drained_node_ids(cluster))))
    return changes


def _broker_ids(cluster: Cluster) -> tuple[int, ...]:
    return tuple(sorted(i for pool in cluster.brokers for i in pool.node_ids))


# --- the live cluster -----------------------------------------------------------------------

def read_cluster(connection: Connection) -> LiveCluster:
    """The brokers that answer, every partition's replicas and each partition's size."""
    with admin_client(connection, "partitions") as admin:
        from kafka.errors import KafkaError

        brokers = parse_brokers(admin.describe_cluster())
        assignment = parse_topics(admin.describe_topics())
        try:
            sizes, unknown = parse_log_dirs(admin.describe_log_dirs(brokers=sorted(brokers))), ""
        except (KafkaError, OSError) as exc:
            # As the Jobs do when kafka-log-dirs.sh fails: plan the same moves, without their bytes.
            sizes, unknown = {}, f"DescribeLogDirs failed: {exc}"
    return LiveCluster(brokers, assignment, sizes, unknown)


def parse_brokers(answer: dict) -> dict[int, str | None]:
    """DescribeCluster's brokers (fenced ones do not count: the Jobs' tools do not list them)."""
    return {int(b["broker_id"]): b.get("rack") or None for b in answer.get("brokers", [])
            if not b.get("is_fenced")}


def parse_topics(answer: list[dict]) -> dict[tuple[str, int], tuple[int, ...]]:
    """Metadata's topics: each partition's replicas in Kafka's order (the first is the preferred leader)."""
    return {(topic["name"], int(p["partition_index"])): tuple(int(r) for r in p["replica_nodes"])
            for topic in answer if topic.get("error_code", 0) == 0
            for p in topic["partitions"]}


def parse_log_dirs(answer: list[dict]) -> dict[str, int]:
    """DescribeLogDirs, per broker and log directory: the largest copy of each partition (as
    kafka-log-dirs.sh's answer is read by the planner); a directory with an error has none."""
    sizes: dict[str, int] = {}
    for broker in answer:
        for log_dir in broker.get("log_dirs", []):
            if log_dir.get("error_code", 0) != 0:
                continue
            for topic in log_dir.get("topics", []):
                for p in topic.get("partitions", []):
                    name = f"{topic['name']}-{int(p['partition_index'])}"
                    sizes[name] = max(sizes.get(name, 0), int(p["partition_size"]))
    return sizes


# --- the planner's inputs, as the Jobs' tools print them -------------------------------------

def brokers_text(brokers: dict[int, str | None]) -> str:
    """As kafka-broker-api-versions.sh prints the brokers that answer (the API lines left out)."""
    return "".join(f"broker-{b} (id: {b} rack: {rack or 'null'} isFenced: false) -> (\n)\n"
                   for b, rack in sorted(brokers.items()))


def describe_text(assignment: dict[tuple[str, int], tuple[int, ...]]) -> str:
    """As kafka-topics.sh --describe prints the partitions: topics by name, partitions by number."""
    return "".join(f"\tTopic: {topic}\tPartition: {partition}\tReplicas: {','.join(map(str, replicas))}\n"
                   for (topic, partition), replicas in sorted(assignment.items()))


def sizes_text(sizes: dict[str, int]) -> str:
    """As kafka-log-dirs.sh --describe answers, one replica a partition: its largest."""
    items = ",".join(f'{{"partition":{json.dumps(name)},"size":{size}}}' for name, size in sorted(sizes.items()))
    return f'{{"brokers":[{{"broker":-1,"logDirs":[{{"partitions":[{items}]}}]}}]}}\n'


# --- planning ---------------------------------------------------------------------------------

def plan_change(change: BrokerChange, live: LiveCluster) -> ScalePlan:
    """What the drain Job (before the upgrade) and the rebalance Job (after it) would move."""
    keep = " ".join(map(str, change.after))
    drain, after_drain = _run_planner("drain", live, keep, " ".join(map(str, change.skip)))
    if drain.refused:
        return ScalePlan(change, (drain,), live.sizes_unknown)
    # After the upgrade: the brokers the change removed are gone, the ones it adds answer
    # (their racks are not known before they run).
    upgraded = {b: rack for b, rack in live.brokers.items() if b in change.after}
    upgraded.update({b: None for b in change.added if b not in upgraded})
    grow, _ = _run_planner("grow", LiveCluster(upgraded, after_drain, live.sizes, live.sizes_unknown), keep, "")
    return ScalePlan(change, (drain, grow), live.sizes_unknown)


def _run_planner(mode: str, live: LiveCluster, keep: str, skip: str
                 ) -> tuple[Phase, dict[tuple[str, int], tuple[int, ...]]]:
    with tempfile.TemporaryDirectory(prefix="kafkac-scale-") as folder:
        work = Path(folder)
        inputs = {"brokers": brokers_text(live.brokers), "describe": describe_text(live.assignment)}
        if not live.sizes_unknown:
            inputs["sizes"] = sizes_text(live.sizes)
        for kind, text in inputs.items():
            (work / f"{kind}.out").write_text(text)
        try:
            tools.awk("-f", str(PLANNER), f"mode={mode}", "brokers=", f"keep={keep}", f"skip={skip}",
                      f"work={work}", *(arg for kind in inputs for arg in (f"kind={kind}", str(work / f"{kind}.out"))))
        except tools.ToolError as exc:
            raise PlanError(f"the rebalance planner failed: {exc.stderr.strip() or exc}") from None
        summary = dict(item.split("=", 1) for item in (work / "summary").read_text().split())
        lines = tuple((work / "proposal.txt").read_text().splitlines())
        refused = tuple(tuple(line.split("\t", 1)) for line in (work / "impossible.txt").read_text().splitlines())
        moved = {(m["topic"], int(m["partition"])): tuple(m["replicas"])
                 for m in json.loads((work / "reassignment.json").read_text())["partitions"]}
    return (Phase(mode, lines, int(summary["moves"]), int(summary["bytes"]), refused),  # type: ignore[arg-type]
            {**live.assignment, **moved})


# --- the report -------------------------------------------------------------------------------

_WHEN = {"drain": "before the upgrade, the drain Job", "grow": "after the upgrade, the rebalance Job"}


def report_lines(plan: ScalePlan, bootstrap: str) -> list[str]:
    change = plan.change
    what = []
    if change.removed:
        what.append(f"removes brokers {','.join(map(str, change.removed))}")
    if change.added:
        what.append(f"adds brokers {','.join(map(str, change.added))}")
    lines = [f"Kafka {change.cluster}: the change {' and '.join(what)}; read from {bootstrap}:"]
    if plan.sizes_unknown:
        lines.append(f"  the partitions' sizes are unknown ({plan.sizes_unknown}); "
                     "the Jobs then plan the same moves without them")
    size_of = (lambda count: "") if plan.sizes_unknown else (lambda count: f", {count} bytes")
    for phase in plan.phases:
        if phase.refused:
            lines.append(f"  {_WHEN[phase.name]} refuses, and the upgrade changes nothing:")
            lines += [f"    topic {topic} cannot move: {why}" for topic, why in phase.refused]
        elif phase.moves:
            lines.append(f"  {_WHEN[phase.name]} moves {phase.moves} partitions{size_of(phase.bytes)}:")
            lines += [f"    {line}" for line in phase.lines]
        else:
            lines.append(f"  {_WHEN[phase.name]} moves nothing")
    if not plan.refused:
        moves = sum(phase.moves for phase in plan.phases)
        size = sum(phase.bytes for phase in plan.phases)
        lines.append(f"  total: {moves} partition moves{size_of(size)}")
    return lines
