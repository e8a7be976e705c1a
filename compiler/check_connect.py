"""The policies' input document of a KafkaConnect (policies/README.md, "The input document"):
the resource as written, and what kafkac knows about where it connects."""

from __future__ import annotations

from .model import Cluster
from .model_connect import Connect

# What the durability rules ask of a cluster (durability.min-insync-replicas), assumed of a
# Kafka that is not among the inputs.
ASSUMED_MIN_INSYNC_REPLICAS = 2


def connect_input(connect: Connect, clusters: list[Cluster]) -> dict:
    cluster = next((c for c in clusters if c.name == connect.kafka_cluster), None)
    return {
        "name": connect.name,
        "namespace": connect.namespace,
        "connect": connect.document.data,
        "facts": {
            "tls": connect.tls,
            "authentication": connect.authentication.type if connect.authentication else None,
            "remote": is_remote(connect.bootstrap_servers),
            "kafkaCluster": connect.kafka_cluster,
            "minInsyncReplicas": _broker_number(cluster, "min.insync.replicas", 1)
            if cluster else ASSUMED_MIN_INSYNC_REPLICAS,
            "defaultReplicationFactor": _broker_number(cluster, "default.replication.factor", 1)
            if cluster else None,
            "replicationFactors": {option: int(connect.config[option]) for option in (
                "config.storage.replication.factor", "offset.storage.replication.factor",
                "status.storage.replication.factor") if _is_int(connect.config.get(option))},
        },
    }


def is_remote(bootstrap_servers: str) -> bool:
    """Whether an address is outside the Kubernetes cluster: a host name with dots that is not a
    Service's (`<service>.<namespace>.svc[.<domain>]`); a bare name is a Service of the namespace."""
    for server in bootstrap_servers.split(","):
        host = server.rsplit(":", 1)[0]
        if "." in host and not (host.endswith(".svc") or ".svc." in host):
            return True
    return False


def _broker_number(cluster: Cluster, option: str, kafka_default: int) -> int:
    value = cluster.config.get(option)
    return int(value) if _is_int(value) else kafka_default


def _is_int(value) -> bool:
    try:
        int(str(value))
    except ValueError:
        return False
    return not isinstance(value, bool)
