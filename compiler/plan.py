"""Stage 5: compute everything the chart's templates place, as plain data.

The result of `plan` is exactly what goes into each chart's `values.yaml`.
Templates only place these values; no decision is left to them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from .model import Cluster, Listener, NodePool, Volume

CONTROL_PLANE = Listener(name="controlplane", port=9090, type="internal", tls=False)
REPLICATION = Listener(name="replication", port=9091, type="internal", tls=False)

KAFKA_UID = 1000  # the apache/kafka image runs as appuser, uid and gid 1000
CONFIG_DIR = "/opt/kafka/custom-config"
SCRIPTS_DIR = "/opt/kafka/kafkac"
CERTIFICATES_DIR = "/opt/kafka/certificates"
WORK_DIR = "/tmp/kafka"
HEAP_SHARE_OF_MEMORY = 0.5
HEAP_MAX_BYTES = 5 * 1024 ** 3
TMP_SIZE_LIMIT = "100Mi"

_QUANTITY = re.compile(r"^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$")
_QUANTITY_FACTORS = {
    "": 1, "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18,
    "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
    "m": 10 ** -3,
}


@dataclass(frozen=True)
class ChartPlan:
    """One chart to emit: its name, Chart.yaml metadata and values."""

    name: str
    kafka_version: str
    values: dict


def plan(clusters: list[Cluster]) -> list[ChartPlan]:
    return [ChartPlan(c.name, c.kafka_version, cluster_values(c)) for c in clusters]


def cluster_values(cluster: Cluster) -> dict:
    headless = f"{cluster.name}-kafka-brokers"
    return {
        "cluster": {
            "name": cluster.name,
            "clusterId": cluster_id(cluster),
            "kafkaVersion": cluster.kafka_version,
            "metadataVersion": cluster.metadata_version or "",
        },
        "image": {"name": cluster.image, "pullPolicy": "IfNotPresent"},
        "commonLabels": common_labels(cluster),
        "services": {
            "bootstrap": {
                "name": f"{cluster.name}-kafka-bootstrap",
                "ports": [service_port(listener) for listener in cluster.listeners],
            },
            "brokers": {
                "name": headless,
                "ports": [service_port(listener)
                          for listener in (CONTROL_PLANE, REPLICATION, *cluster.listeners)],
            },
        },
        "podDisruptionBudget": {"name": f"{cluster.name}-kafka", "maxUnavailable": 1},
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": KAFKA_UID,
            "runAsGroup": KAFKA_UID,
            "fsGroup": KAFKA_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "nodePools": [pool_values(cluster, pool) for pool in cluster.pools],
    }


def cluster_id(cluster: Cluster) -> str:
    """A KRaft cluster id derived from the cluster's namespace and name.

    Stable across compiles, so re-rendering never changes it; 22 characters of
    URL-safe base64 over 16 bytes, the form Kafka's `Uuid` uses.
    """
    seed = f"kafkac/cluster-id/{cluster.namespace or ''}/{cluster.name}".encode()
    digest = hashlib.sha256(seed).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def common_labels(cluster: Cluster) -> dict:
    return {
        "app.kubernetes.io/name": "kafka",
        "app.kubernetes.io/instance": cluster.name,
        "app.kubernetes.io/version": cluster.kafka_version,
        "strimzi.io/cluster": cluster.name,
        "strimzi.io/kind": "Kafka",
        "strimzi.io/name": f"{cluster.name}-kafka",
    }


def service_port(listener: Listener) -> dict:
    return {"name": port_name(listener), "port": listener.port, "targetPort": listener.port,
            "protocol": "TCP"}


def port_name(listener: Listener) -> str:
    """Strimzi's port names: `tcp-ctrlplane`, `tcp-replication`, `tcp-<listener>`."""
    if listener is CONTROL_PLANE:
        return "tcp-ctrlplane"
    return f"tcp-{listener.name}"


def pool_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    listeners = []
    if pool.is_controller:
        listeners.append(CONTROL_PLANE)
    if pool.is_broker:
        listeners.append(REPLICATION)
        listeners.extend(cluster.listeners)
    return listeners


def pool_values(cluster: Cluster, pool: NodePool) -> dict:
    listeners = pool_listeners(cluster, pool)
    probe_port = REPLICATION.port if pool.is_broker else CONTROL_PLANE.port
    return {
        "name": pool.name,
        "statefulSetName": f"{cluster.name}-{pool.name}",
        "configMapName": f"{cluster.name}-{pool.name}-config",
        "replicas": pool.replicas,
        "firstNodeId": pool.first_node_id,
        "roles": list(pool.roles),
        "labels": pool_labels(pool),
        "selectorLabels": {
            "strimzi.io/cluster": cluster.name,
            "strimzi.io/kind": "Kafka",
            "strimzi.io/name": f"{cluster.name}-kafka",
            "strimzi.io/pool-name": pool.name,
        },
        "serverProperties": server_properties(cluster, pool, listeners),
        "env": pool_env(cluster, pool, listeners),
        "ports": [{"name": port_name(listener), "containerPort": listener.port, "protocol": "TCP"}
                  for listener in listeners],
        "probePort": probe_port,
        "resources": pool.resources,
        "volumes": pool_volumes(cluster, pool),
        "volumeMounts": pool_volume_mounts(cluster, pool),
        "volumeClaimTemplates": volume_claim_templates(cluster, pool),
        "persistentVolumeClaimRetentionPolicy": claim_retention_policy(pool),
    }


def pool_labels(pool: NodePool) -> dict:
    return {
        "strimzi.io/pool-name": pool.name,
        "strimzi.io/broker-role": str(pool.is_broker).lower(),
        "strimzi.io/controller-role": str(pool.is_controller).lower(),
        "strimzi.io/component-type": "kafka",
    }


def server_properties(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> str:
    """The static part of the node's server.properties.

    kafka-run.sh appends what depends on the pod's identity: node.id,
    log.dirs, metadata.log.dir, controller.quorum.voters, advertised.listeners.
    """
    lines = [
        f"# Node pool {pool.name} of Kafka cluster {cluster.name}.",
        "# node.id, log.dirs, metadata.log.dir, controller.quorum.voters and",
        "# advertised.listeners are appended at start-up from the pod's identity.",
    ]
    props: list[tuple[str, str]] = [
        ("process.roles", ",".join(pool.roles)),
        ("controller.listener.names", CONTROL_PLANE.identifier),
        ("listeners", ",".join(f"{l.identifier}://0.0.0.0:{l.port}" for l in listeners)),
        ("listener.security.protocol.map", ",".join(
            f"{l.identifier}:{'SSL' if l.tls else 'PLAINTEXT'}"
            for l in (CONTROL_PLANE, REPLICATION, *cluster.listeners))),
    ]
    if pool.is_broker:
        props.append(("inter.broker.listener.name", REPLICATION.identifier))
        for listener in cluster.listeners:
            if listener.tls:
                prefix = f"listener.name.{listener.identifier.lower()}"
                props.append((f"{prefix}.ssl.keystore.type", "PEM"))
                props.append((f"{prefix}.ssl.keystore.location",
                              f"{WORK_DIR}/{listener.identifier.lower()}.pem"))
    lines.extend(f"{escape_key(k)}={escape_value(v)}" for k, v in props)
    if cluster.config:
        lines.append("# spec.kafka.config")
        lines.extend(f"{escape_key(k)}={escape_value(config_text(v))}"
                     for k, v in cluster.config.items())
    return "\n".join(lines) + "\n"


def config_text(value) -> str:
    """A config value as Kafka reads it: booleans in lower case, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return getattr(value, "text", repr(value))
    return str(value)


def escape_key(key: str) -> str:
    return re.sub(r"([\\:= #!])", r"\\\1", key)


def escape_value(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    if escaped.startswith(" "):
        escaped = "\\" + escaped
    return escaped


def pool_env(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> list[dict]:
    """Plain environment for kafka-run.sh; the pod's own name and namespace come from the API."""
    voters = [f"{node_id}@{cluster.name}-{voter.name}-{node_id}:{CONTROL_PLANE.port}"
              for voter in cluster.controllers for node_id in voter.node_ids]
    advertised = [f"{l.identifier}:{l.port}:{'svc.cluster.local' if l.use_service_dns_domain else 'svc'}"
                  for l in listeners]
    data_dirs = [v.mount_path for v in pool.volumes]
    metadata_dir = next((v.mount_path for v in pool.volumes if v.kraft_metadata), "")
    tls_listeners = [l.identifier.lower() for l in listeners if l.tls]
    env = {
        "KAFKAC_CLUSTER_ID": cluster_id(cluster),
        "KAFKAC_METADATA_VERSION": cluster.metadata_version or "",
        "KAFKAC_HEADLESS_SERVICE": f"{cluster.name}-kafka-brokers",
        "KAFKAC_CONTROLLER_VOTERS": " ".join(voters),
        "KAFKAC_ADVERTISED_LISTENERS": " ".join(advertised),
        "KAFKAC_LOG_DIRS": " ".join(data_dirs),
        "KAFKAC_METADATA_LOG_DIR": metadata_dir,
        "KAFKAC_TLS_LISTENERS": " ".join(tls_listeners),
        "KAFKAC_CONFIG_DIR": CONFIG_DIR,
        "KAFKAC_CERTIFICATES_DIR": CERTIFICATES_DIR,
        "KAFKAC_WORK_DIR": WORK_DIR,
        "KAFKA_LOG4J_OPTS": f"-Dlog4j2.configurationFile={SCRIPTS_DIR}/log4j2.yaml",
        "LOG_DIR": f"{WORK_DIR}/logs",
        # kafka-server-start.sh adds -loggc by default: GC logs of up to 1 GB in
        # the small scratch volume. GC logging is off unless asked for, as in Strimzi.
        "EXTRA_ARGS": "-name kafkaServer",
    }
    heap = heap_options(pool.resources)
    if heap:
        env["KAFKA_HEAP_OPTS"] = heap
    return [{"name": name, "value": value} for name, value in env.items()]


def heap_options(resources: dict) -> str:
    """Half the container's memory, at most 5 GiB, as Strimzi sizes the heap.

    Without a memory limit or request the heap is left to Kafka's start script.
    """
    memory = (resources.get("limits") or {}).get("memory") or (resources.get("requests") or {}).get("memory")
    if memory is None:
        return ""
    heap_bytes = min(int(quantity_bytes(memory) * HEAP_SHARE_OF_MEMORY), HEAP_MAX_BYTES)
    heap_mib = max(heap_bytes // 2 ** 20, 64)
    return f"-Xms{heap_mib}m -Xmx{heap_mib}m"


def quantity_bytes(quantity) -> float:
    match = _QUANTITY.match(str(quantity))
    if not match or match.group(2) not in _QUANTITY_FACTORS:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    return float(match.group(1)) * _QUANTITY_FACTORS[match.group(2)]


def pool_volumes(cluster: Cluster, pool: NodePool) -> list[dict]:
    volumes: list[dict] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE_LIMIT}},
        {"name": "kafka-config", "configMap": {"name": f"{cluster.name}-{pool.name}-config"}},
        {"name": "kafkac-scripts", "configMap": {"name": f"{cluster.name}-kafka-scripts"}},
    ]
    for volume in pool.volumes:
        if volume.type == "ephemeral":
            empty_dir = {"sizeLimit": volume.size_limit} if volume.size_limit else {}
            volumes.append({"name": volume.name, "emptyDir": empty_dir})
    if pool.is_broker:
        for listener in cluster.listeners:
            if listener.cert_secret:
                volumes.append({"name": f"cert-{listener.identifier.lower()}", "secret": {
                    "secretName": listener.cert_secret.secret_name,
                    "items": [{"key": listener.cert_secret.certificate, "path": "tls.crt"},
                              {"key": listener.cert_secret.key, "path": "tls.key"}],
                }})
    return volumes


def pool_volume_mounts(cluster: Cluster, pool: NodePool) -> list[dict]:
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "kafka-config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "kafkac-scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
    ]
    mounts.extend({"name": v.name, "mountPath": v.mount_path} for v in pool.volumes)
    if pool.is_broker:
        mounts.extend({"name": f"cert-{l.identifier.lower()}",
                       "mountPath": f"{CERTIFICATES_DIR}/{l.identifier.lower()}", "readOnly": True}
                      for l in cluster.listeners if l.cert_secret)
    return mounts


def volume_claim_templates(cluster: Cluster, pool: NodePool) -> list[dict]:
    return [claim_template(cluster, pool, v) for v in pool.volumes if v.type == "persistent-claim"]


def claim_template(cluster: Cluster, pool: NodePool, volume: Volume) -> dict:
    spec: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": volume.size}}}
    if volume.storage_class is not None:
        spec["storageClassName"] = volume.storage_class
    if volume.selector:
        spec["selector"] = {"matchLabels": volume.selector}
    return {
        "metadata": {"name": volume.name, "labels": {
            "strimzi.io/cluster": cluster.name, "strimzi.io/pool-name": pool.name}},
        "spec": spec,
    }


def claim_retention_policy(pool: NodePool) -> dict | None:
    """PVCs are deleted with the StatefulSet only when every volume says deleteClaim: true."""
    claims = [v for v in pool.volumes if v.type == "persistent-claim"]
    if not claims:
        return None
    deleted = "Delete" if all(v.delete_claim for v in claims) else "Retain"
    return {"whenDeleted": deleted, "whenScaled": "Retain"}
