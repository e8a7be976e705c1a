"""The policies' input document of a KafkaConnect (policies/README.md, "The input document"):
the resource as written, and what kafkac knows about where it connects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Cluster

if TYPE_CHECKING:  # its module is loaded only for specs with Connect clusters
    from .model_connect import Connect

# What the durability rules ask of a cluster (durability.min-insync-replicas), assumed of a
# Kafka that is not among the inputs.
ASSUMED_MIN_INSYNC_REPLICAS = 2


def connect_input(connect: Connect, clusters: list[Cluster]) -> dict:
    cluster = next((c for c in clusters if c.name == connect.kafka_cluster), None)
    worker = _worker_path(connect)
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
            # Where the workers' connection is written: spec, or a MirrorMaker 2's target.
            "workerPath": list(worker),
            "mirror": _mirror_facts(connect) if connect.kind == "KafkaMirrorMaker2" else None,
        },
    }


# MirrorMaker 2's internal topics (each a connector option) and whether they live on the target.
_MIRROR_TOPIC_OPTIONS = (("offset-syncs.topic.replication.factor", None),
                         ("checkpoints.topic.replication.factor", True),
                         ("heartbeats.topic.replication.factor", True),
                         ("replication.factor", True))
_CONNECTOR_FIELDS = ("sourceConnector", "checkpointConnector", "heartbeatConnector")


def _worker_path(connect: Connect) -> tuple:
    """The object holding the workers' bootstrapServers, tls and authentication."""
    if connect.kind != "KafkaMirrorMaker2":
        return ("spec",)
    spec = connect.document.data.get("spec") or {}
    if "target" in spec:
        return ("spec", "target")
    index = next(i for i, c in enumerate(spec["clusters"]) if c["alias"] == spec["connectCluster"])
    return ("spec", "clusters", index)


def _mirror_facts(connect: Connect) -> dict:
    """A MirrorMaker 2's clusters (with where each is written), its mirrors' connectors and
    the replication factors written for MirrorMaker 2's own topics."""
    spec = connect.document.data.get("spec") or {}
    paths = {connect.target_alias: _worker_path(connect)}
    for i, mirror in enumerate(spec["mirrors"]):
        if "source" in mirror:
            paths[mirror["source"]["alias"]] = ("spec", "mirrors", i, "source")
    for i, raw in enumerate(spec.get("clusters") or ()):
        paths.setdefault(raw["alias"], ("spec", "clusters", i))
    mirrors, factors = [], []
    for i, mirror in enumerate(spec["mirrors"]):
        checkpoint = mirror.get("checkpointConnector")
        source = mirror.get("source", {}).get("alias") or mirror.get("sourceCluster")
        mirrors.append({
            "source": source, "path": ["spec", "mirrors", i],
            "sourceConnector": "sourceConnector" in mirror, "checkpointConnector": checkpoint is not None,
            "syncGroupOffsets": str(((checkpoint or {}).get("config") or {}).get("sync.group.offsets.enabled"))
            .lower() == "true"})
        for field_name in _CONNECTOR_FIELDS:
            config = (mirror.get(field_name) or {}).get("config") or {}
            on_target_offset_syncs = str(config.get("offset-syncs.topic.location", "source")) == "target"
            for option, on_target in _MIRROR_TOPIC_OPTIONS:
                if _is_int(config.get(option)):
                    factors.append({"path": ["spec", "mirrors", i, field_name, "config", option],
                                    "factor": int(config[option]),
                                    "onTarget": on_target if on_target is not None else on_target_offset_syncs})
    return {
        "clusters": [{"alias": c.alias, "target": c.alias == connect.target_alias, "tls": c.tls,
                      "authentication": c.authentication.type if c.authentication else None,
                      "remote": is_remote(c.bootstrap_servers), "path": list(paths[c.alias])}
                     for c in connect.clusters],
        "mirrors": mirrors,
        "topicReplicationFactors": factors,
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
