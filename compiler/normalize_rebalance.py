"""Cruise Control's place: `spec.cruiseControl` on a Kafka and KafkaRebalance resources.

Part of the normalize stage. kafkac runs no Cruise Control: the chart's rebalance Job moves
partitions with Kafka's own partition reassignment. It drains the brokers a scale-down removes
before their pods go, spreads replicas and leaders onto the brokers a scale-up adds, and runs the
approved KafkaRebalances. So `spec.cruiseControl` is accepted with a warning that says so, names the
settings that have no effect, and names the goals the Job does not honour; a KafkaRebalance joins
its Kafka by its `strimzi.io/cluster` label (cluster_members) and becomes a `model.Rebalance`.

Strimzi's approval (`strimzi.io/rebalance: approve`, or `strimzi.io/rebalance-auto-approval:
"true"`) becomes the rebalance's `approved`, an explicit value of the chart; without it the Job
prints the proposal and moves nothing. A KafkaRebalance with `strimzi.io/rebalance-template:
"true"` configures Cruise Control's auto-rebalancing, which the chart does by itself on every
scale change: it is skipped with a note.
"""

from __future__ import annotations

import dataclasses
import re

from .cluster_members import member_of, namespace_of
from .findings import FieldPath, Finding, dotted, error, info, warning
from .document import Document, Documents
from .model import Cluster, Rebalance

REBALANCE_ANNOTATION = "strimzi.io/rebalance"
AUTO_APPROVAL_ANNOTATION = "strimzi.io/rebalance-auto-approval"
TEMPLATE_ANNOTATION = "strimzi.io/rebalance-template"
MODES_WITH_BROKERS = ("add-brokers", "remove-brokers")

# Cruise Control goals the rebalance Job's planner keeps, by their class's simple name: replicas of a
# partition on distinct brokers and, where racks are set, distinct racks; replica and leader counts
# even across brokers; each partition's leader its preferred replica after the move.
HONOURED_GOALS = ("RackAwareGoal", "RackAwareDistributionGoal", "ReplicaDistributionGoal",
                  "LeaderReplicaDistributionGoal", "PreferredLeaderElectionGoal")
GOAL_OPTIONS = ("goals", "default.goals", "hard.goals", "anomaly.detection.goals",
                "self.healing.goals", "intra.broker.goals")
# What the Job does instead of Cruise Control, said once in every warning.
INSTEAD = ("the chart's rebalance Job moves partitions with Kafka's own partition reassignment "
           "instead: it drains the brokers a scale-down removes before their pods go, spreads replicas "
           "and leaders onto the brokers a scale-up adds, and runs approved KafkaRebalances")
# KafkaRebalance options the Job reads; the others are Cruise Control's alone.
USED_OPTIONS = ("mode", "brokers", "goals", "replicationThrottle", "excludedTopics", "moveReplicasOffVolumes")
_GOAL_SEPARATOR = re.compile(r"[\s,]+")


def attach_rebalances(documents: Documents, clusters: list[Cluster]) -> tuple[list[Cluster], list[Finding]]:
    """The clusters with their KafkaRebalances, and the findings about them and about
    every Kafka's spec.cruiseControl."""
    findings: list[Finding] = []
    for cluster in clusters:
        findings.extend(cruise_control_findings(cluster.document))
    kafkas = [(namespace_of(d), d.name) for d in documents.documents if d.kind == "Kafka"]
    by_key: dict[tuple[str | None, str], list[Document]] = {}
    for doc in documents.documents:
        if doc.kind != "KafkaRebalance":
            continue
        if _is_template(doc):
            path = ("metadata", "annotations", TEMPLATE_ANNOTATION)
            findings.append(info(
                "rebalance.template", f"KafkaRebalance {doc.name} is a template for Cruise Control's "
                f"auto-rebalancing, so it is skipped: {INSTEAD}", doc.span_of(path), path,
                "a KafkaRebalance without this annotation to ask for a rebalance", doc.describe()))
            continue
        key, problem = member_of(doc, kafkas, "rebalance", skip_others=True)
        if problem is not None:
            findings.append(problem)
            continue
        by_key.setdefault(key, []).append(doc)
    result = []
    for cluster in clusters:
        docs = by_key.get((cluster.namespace, cluster.name), [])
        rebalances = tuple(r for r in (rebalance(cluster, doc, findings) for doc in docs) if r is not None)
        result.append(dataclasses.replace(cluster, rebalances=rebalances) if rebalances else cluster)
    return result, findings


def _is_template(doc: Document) -> bool:
    return str(doc.annotations.get(TEMPLATE_ANNOTATION, "")).lower() == "true"


def is_approved(doc: Document) -> bool:
    """Strimzi's approval: `strimzi.io/rebalance: approve`, or auto-approval asked for."""
    return (str(doc.annotations.get(REBALANCE_ANNOTATION, "")).lower() == "approve"
            or str(doc.annotations.get(AUTO_APPROVAL_ANNOTATION, "")).lower() == "true")


def goal_names(value) -> list[str]:
    """The simple class names of a goal list: a YAML list, or Cruise Control's comma-separated text."""
    items = value if isinstance(value, list) else _GOAL_SEPARATOR.split(str(value))
    return [str(item).strip().rsplit(".", 1)[-1] for item in items if str(item).strip()]


def unhonoured_goals(value) -> list[str]:
    return [goal for goal in goal_names(value) if goal not in HONOURED_GOALS]


def _goals_warning(doc: Document, path: FieldPath, value) -> list[Finding]:
    unhonoured = unhonoured_goals(value)
    if not unhonoured:
        return []
    return [warning(
        "rebalance.goals", f"{dotted(path)}: Kafka's partition reassignment cannot honour "
        f"{', '.join(unhonoured)}; the rebalance Job keeps only {', '.join(HONOURED_GOALS)}",
        doc.span_of(path, key=True), path, f"goals among {', '.join(HONOURED_GOALS)}", doc.describe())]


def cruise_control_findings(doc: Document) -> list[Finding]:
    """The warnings for a Kafka's spec.cruiseControl: what kafkac does instead, what has no effect."""
    path: FieldPath = ("spec", "cruiseControl")
    section = doc.get(*path)
    if not isinstance(section, dict):
        return []
    ignored = sorted(section)
    effect = f"; no effect: {', '.join(ignored)}" if ignored else ""
    findings = [warning(
        "cruise-control.not-run", f"{dotted(path)}: kafkac runs no Cruise Control; {INSTEAD}{effect}",
        doc.span_of(path, key=True), path, "remove spec.cruiseControl", doc.describe())]
    config = section.get("config")
    for option in GOAL_OPTIONS:
        if isinstance(config, dict) and option in config:
            findings.extend(_goals_warning(doc, path + ("config", option), config[option]))
    return findings


def rebalance(cluster: Cluster, doc: Document, findings: list[Finding]) -> Rebalance | None:
    """The KafkaRebalance as the Job runs it, or None (with an error in `findings`) when it cannot run."""
    spec = doc.get("spec") or {}
    mode = spec.get("mode", "full")
    brokers = tuple(spec.get("brokers") or ())
    ok = True
    if mode == "remove-disks":
        findings.append(_remove_disks_refusal(cluster, doc))
        return None
    if mode in MODES_WITH_BROKERS and not brokers:
        path = ("spec", "brokers") if "brokers" in spec else ("spec", "mode")
        findings.append(error(
            "rebalance.brokers", f"KafkaRebalance {doc.name}: mode {mode} needs the brokers to "
            f"{'fill' if mode == 'add-brokers' else 'empty'}", doc.span_of(path), path,
            "spec.brokers: a list of broker node ids", doc.describe()))
        ok = False
    if mode == "full" and brokers:
        path = ("spec", "brokers")
        findings.append(warning(
            "rebalance.no-effect", f"{dotted(path)}: a full rebalance spreads over every broker, so the "
            "list has no effect", doc.span_of(path, key=True), path,
            "mode add-brokers or remove-brokers with brokers", doc.describe()))
    cluster_brokers = sorted(node for pool in cluster.brokers for node in pool.node_ids)
    for index, broker in enumerate(brokers):
        if broker not in cluster_brokers:
            path = ("spec", "brokers", index)
            findings.append(error(
                "rebalance.brokers", f"KafkaRebalance {doc.name}: {broker} is not a broker of Kafka "
                f"{cluster.name}", doc.span_of(path), path,
                f"node ids of its brokers: {', '.join(map(str, cluster_brokers))}", doc.describe()))
            ok = False
    if mode == "remove-brokers" and ok:
        ok = _check_remaining(cluster, doc, set(cluster_brokers) - set(brokers), findings)
    if "goals" in spec:
        findings.extend(_goals_warning(doc, ("spec", "goals"), spec["goals"]))
    for option in sorted(set(spec) - set(USED_OPTIONS)):
        path = ("spec", option)
        findings.append(warning(
            "rebalance.no-effect", f"{dotted(path)}: a Cruise Control option, so it has no effect on "
            "the rebalance Job", doc.span_of(path, key=True), path,
            f"the options the Job reads: {', '.join(USED_OPTIONS)}", doc.describe()))
    if not ok:
        return None
    return Rebalance(name=doc.name, mode=mode, brokers=brokers if mode in MODES_WITH_BROKERS else (),
                     approved=is_approved(doc), throttle=spec.get("replicationThrottle") or None,
                     excluded_topics=spec.get("excludedTopics"), document=doc)


def _check_remaining(cluster: Cluster, doc: Document, remaining: set[int], findings: list[Finding]) -> bool:
    """Removing brokers must leave as many brokers as the largest replication factor of the
    cluster's KafkaTopics (the Job checks every topic again, live)."""
    too_large = sorted(t.name for t in cluster.topics if t.replicas > len(remaining))
    if not too_large:
        return True
    path = ("spec", "brokers")
    findings.append(error(
        "rebalance.replication-factor", f"KafkaRebalance {doc.name}: {len(remaining)} brokers would remain, "
        f"fewer than the replicas of {', '.join(too_large)}", doc.span_of(path), path,
        "brokers to remove that leave at least as many brokers as each topic has replicas", doc.describe()))
    return False


def _remove_disks_refusal(cluster: Cluster, doc: Document) -> Finding:
    """remove-disks moves replicas between the volumes of one broker; the chart's pools give every
    broker the same volumes for good, so there is no volume the Job could empty for removal."""
    path: FieldPath = ("spec", "mode")
    jbod = [p.name for p in cluster.brokers if p.storage_type == "jbod" and len(p.volumes) > 1]
    why = ("its brokers have one volume each, so a volume cannot be emptied onto another" if not jbod else
           "kafkac keeps every volume of a pool for good (a pool's volumes are its StatefulSet's claim "
           "templates), so it does not move replicas off volumes")
    return error("rebalance.remove-disks", f"KafkaRebalance {doc.name}: mode remove-disks cannot run on "
                 f"Kafka {cluster.name}: {why}", doc.span_of(path), path,
                 "mode full, add-brokers or remove-brokers", doc.describe())
