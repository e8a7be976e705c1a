"""The rebalance Jobs: the drain before a scale-down (pre-upgrade), the spread after a scale-up and the
KafkaRebalances (post-upgrade), both with Kafka's own partition reassignment.

Placed by templates/rebalance/; the script is files/rebalance-run.sh, its planner
files/rebalance-plan.awk. The Jobs need no Kubernetes API: what they read and change is in Kafka.
"""

from __future__ import annotations

import json

from ..model import Cluster, Rebalance
from .kafka_client import KAFKA_CLIENT_DIR, KAFKA_WAIT_SECONDS, TOOL_HEAP_OPTIONS
from .naming import hook_pod_labels, job_name
from .pods import CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, env_list

# The Kafka annotation that lists node ids whose replicas are not moved before they go
# (a broker that is gone for good, its data with it): the Job does not wait for them.
DRAINED_NODE_IDS_ANNOTATION = "kafkac.io/drained-node-ids"
# Replication of moving partitions, per broker, unless a KafkaRebalance or the values say otherwise.
DEFAULT_THROTTLE_BYTES_PER_SECOND = 50 * 1024 * 1024
# A move of a large cluster takes hours; Helm waits for a hook as long as `helm upgrade --timeout`.
_DEADLINE_SECONDS = 6 * 3600
_REBALANCE_DIR = "/opt/kafkac/rebalance"
_WORK_DIR = "/var/run/kafkac-rebalance"
SCRIPTS = ("rebalance-run.sh", "rebalance-plan.awk", "kafka-tools.sh", "log.sh", "tools-log4j2.properties")


def rebalance_values(cluster: Cluster) -> dict | None:
    """The rebalance Jobs of a KRaft cluster; null for a ZooKeeper-based one, whose brokers kafkac
    does not move partitions between."""
    if cluster.brokers_in_zookeeper:
        return None
    name = job_name(cluster, "rebalance")
    scripts_dir = f"{_REBALANCE_DIR}/scripts"
    requests_dir = f"{_REBALANCE_DIR}/requests"
    keep = " ".join(str(node) for pool in cluster.brokers for node in pool.node_ids)
    return {
        "drainJobName": job_name(cluster, "drain"),
        "jobName": name,
        "scriptsConfigMapName": f"{name}-scripts",
        "requestsConfigMapName": f"{name}-requests",
        "throttleBytesPerSecond": DEFAULT_THROTTLE_BYTES_PER_SECOND,
        "requests": {r.name: request_values(r) for r in cluster.rebalances},
        "podLabels": hook_pod_labels(cluster, "rebalance"),
        "job": {
            "activeDeadlineSeconds": _DEADLINE_SECONDS,
            "backoffLimit": 6,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "command": ["/bin/sh", f"{scripts_dir}/rebalance-run.sh"],
            "env": env_list({
                "KAFKAC_WORK_DIR": _WORK_DIR,
                "KAFKAC_CLIENT_DIR": KAFKA_CLIENT_DIR,
                "KAFKAC_REBALANCE_DIR": requests_dir,
                "KAFKAC_REBALANCE_KEEP": keep,
                "KAFKAC_REBALANCE_SKIP": " ".join(map(str, drained_node_ids(cluster))),
                "KAFKAC_WAIT_SECONDS": str(KAFKA_WAIT_SECONDS),
                "KAFKAC_TOOL_HEAP_OPTS": TOOL_HEAP_OPTIONS,
                **_controller_quorum_env(cluster),
            }),
            # One Kafka tool run (a JVM of about 100 MiB) at a time.
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
            "volumes": [
                {"name": "scripts", "configMap": {"name": f"{name}-scripts"}},
                {"name": "requests", "configMap": {"name": f"{name}-requests", "optional": True}},
                {"name": "work", "emptyDir": {"sizeLimit": "1Gi"}},
                # The client's settings hold the key store password: memory only.
                {"name": "client", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            ],
            "volumeMounts": [
                {"name": "scripts", "mountPath": scripts_dir, "readOnly": True},
                {"name": "requests", "mountPath": requests_dir, "readOnly": True},
                {"name": "work", "mountPath": _WORK_DIR},
                {"name": "client", "mountPath": KAFKA_CLIENT_DIR},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        },
    }


def _controller_quorum_env(cluster: Cluster) -> dict:
    """In a dynamic quorum the post-upgrade Job removes the voters that are not the chart's
    controllers (new ones join by themselves)."""
    if cluster.controller_quorum != "dynamic":
        return {}
    return {"KAFKAC_CONTROLLER_QUORUM": "dynamic",
            "KAFKAC_CONTROLLER_IDS": " ".join(str(node) for pool in cluster.controllers for node in pool.node_ids)}


def request_values(rebalance: Rebalance) -> dict:
    """A KafkaRebalance as the Job reads it; `approved` is the opt-in a values file may change."""
    return {
        "mode": rebalance.mode,
        "brokers": list(rebalance.brokers),
        "approved": rebalance.approved,
        "throttleBytesPerSecond": rebalance.throttle,
        "excludedTopics": rebalance.excluded_topics or "",
    }


def drained_node_ids(cluster: Cluster) -> list[int]:
    """The node ids the Kafka's kafkac.io/drained-node-ids annotation lists (a JSON list); the
    upgrade policy reports an annotation that is not one."""
    try:
        ids = json.loads(cluster.annotations.get(DRAINED_NODE_IDS_ANNOTATION, "[]"))
    except ValueError:
        return []
    return sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool)}) if isinstance(ids, list) else []
