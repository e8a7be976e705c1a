"""Strimzi's names and selectors, each spelled once: every plan module takes them from here.

A chart made by kafkac names its objects as Strimzi's operator does, so that
what was written for a Strimzi-run cluster (clients' bootstrap addresses,
Secrets, label selectors, dashboards) keeps working. Names depend on the
cluster, a node pool, a node id or a listener only.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from dataclasses import dataclass

from ..document import Document
from ..model import Cluster, Listener, NodePool

# The internal listeners are TLS with client authentication, as in Strimzi: every
# node presents the node certificate and trusts only the cluster CA.
CONTROL_PLANE = Listener(name="controlplane", port=9090, type="internal", tls=True)
REPLICATION = Listener(name="replication", port=9091, type="internal", tls=True)
# ZooKeeper's ports, as in Strimzi: clients (TLS), followers to the leader, leader election.
ZOOKEEPER_CLIENT_PORT, ZOOKEEPER_CLUSTERING_PORT, ZOOKEEPER_ELECTION_PORT = 2181, 2888, 3888

_MAX_JOB_NAME = 63  # a Job's name is a label value on its pods

_CLUSTER = "strimzi.io/cluster"
_KIND = "strimzi.io/kind"
_NAME = "strimzi.io/name"
_POOL = "strimzi.io/pool-name"


# --- names --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClusterNames:
    """The names of a cluster's objects that depend on the cluster alone."""

    kafka: str  # the nodes' ServiceAccount and PodDisruptionBudget, strimzi.io/name, the node certificate's CN
    bootstrap_service: str  # in front of every broker: where clients bootstrap
    brokers_service: str  # headless: every node's own DNS name
    scripts_config_map: str
    metrics_config_map: str
    cluster_ca_cert_secret: str
    cluster_ca_secret: str
    clients_ca_cert_secret: str
    clients_ca_secret: str
    node_cert_secret: str
    kafka_exporter: str
    kafka_exporter_cert_secret: str
    network_policy: str
    jmx_secret: str  # the JMX user name and password (jmxOptions.authentication)


def cluster_names(cluster: Cluster) -> ClusterNames:
    kafka = f"{cluster.name}-kafka"
    return ClusterNames(
        kafka=kafka, bootstrap_service=f"{kafka}-bootstrap", brokers_service=f"{kafka}-brokers",
        scripts_config_map=f"{kafka}-scripts", metrics_config_map=f"{kafka}-metrics",
        cluster_ca_cert_secret=f"{cluster.name}-cluster-ca-cert", cluster_ca_secret=f"{cluster.name}-cluster-ca",
        clients_ca_cert_secret=f"{cluster.name}-clients-ca-cert", clients_ca_secret=f"{cluster.name}-clients-ca",
        node_cert_secret=f"{kafka}-node-certs", kafka_exporter=f"{kafka}-exporter",
        kafka_exporter_cert_secret=f"{kafka}-exporter-certs", network_policy=f"{cluster.name}-network-policy-kafka",
        jmx_secret=f"{kafka}-jmx")


@dataclass(frozen=True)
class ZooKeeperNames:
    """The names of a cluster's ZooKeeper objects, as Strimzi gave them."""

    zookeeper: str  # the StatefulSet, ServiceAccount and PodDisruptionBudget; pods <zookeeper>-<n>
    client_service: str
    nodes_service: str  # headless: every node's own DNS name
    config_map: str
    scripts_config_map: str
    metrics_config_map: str
    network_policy: str


def zookeeper_names(cluster: Cluster) -> ZooKeeperNames:
    zookeeper = f"{cluster.name}-zookeeper"
    return ZooKeeperNames(
        zookeeper=zookeeper, client_service=f"{zookeeper}-client", nodes_service=f"{zookeeper}-nodes",
        config_map=f"{zookeeper}-config", scripts_config_map=f"{zookeeper}-scripts",
        metrics_config_map=f"{zookeeper}-metrics", network_policy=f"{cluster.name}-network-policy-zookeeper")


def statefulset_name(cluster: Cluster, pool: NodePool) -> str:
    return f"{cluster.name}-{pool.name}"


def pod_name(cluster: Cluster, pool: NodePool, node_id: int) -> str:
    return f"{statefulset_name(cluster, pool)}-{node_id}"


def pool_config_map_name(cluster: Cluster, pool: NodePool) -> str:
    return f"{statefulset_name(cluster, pool)}-config"


def listener_bootstrap_name(cluster: Cluster, listener: Listener) -> str:
    """Strimzi's name of a listener's bootstrap Service, Route and Ingress."""
    return f"{cluster.name}-kafka-{listener.name}-bootstrap"


def listener_broker_name(cluster: Cluster, listener: Listener, pool: NodePool, node_id: int) -> str:
    """Strimzi's name of a broker's own Service, Route and Ingress: `<cluster>-<pool>-<listener>-<id>`."""
    return f"{cluster.name}-{pool.name}-{listener.name}-{node_id}"


def job_name(cluster: Cluster, purpose: str) -> str:
    """`<cluster>-kafka-<purpose>`, shortened with a digest when longer than a Job name may be."""
    name = f"{cluster.name}-kafka-{purpose}"
    if len(name) <= _MAX_JOB_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:_MAX_JOB_NAME - 9].rstrip('-')}-{digest}"


def port_name(listener: Listener) -> str:
    """Strimzi's port names: `tcp-ctrlplane`, `tcp-replication`, `tcp-<listener>`."""
    if listener is CONTROL_PLANE:
        return "tcp-ctrlplane"
    return f"tcp-{listener.name}"


def cluster_id(cluster: Cluster) -> str:
    """A KRaft cluster id derived from the cluster's namespace and name.

    Stable across compiles, so re-rendering never changes it; 22 characters of
    URL-safe base64 over 16 bytes, the form Kafka's `Uuid` uses. Like Kafka's
    own `Uuid.randomUuid()`, never one that starts with "-": `kafka-storage
    format --cluster-id -…` would read it as an option.
    """
    seed = f"kafkac/cluster-id/{cluster.namespace or ''}/{cluster.name}"
    for attempt in itertools.count():
        # The first attempt hashes the plain seed, so ids kafkac gave before stay the same.
        text = seed if attempt == 0 else f"{seed}/{attempt}"
        digest = hashlib.sha256(text.encode()).digest()[:16]
        candidate = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


# --- labels and selectors -----------------------------------------------------------------

def _cluster_selector(cluster: Cluster) -> dict:
    """Every object of the cluster Strimzi labels, pods and volume claims alike."""
    return {_CLUSTER: cluster.name}


def kafka_kind_selector(cluster: Cluster) -> dict:
    """The pods of the Kafka resource: its nodes (and, in Strimzi, its operators' pods)."""
    return {**_cluster_selector(cluster), _KIND: "Kafka"}


def kafka_pods_selector(cluster: Cluster) -> dict:
    """The Kafka nodes, every pool's."""
    return {**kafka_kind_selector(cluster), _NAME: cluster_names(cluster).kafka}


def pool_selector(cluster: Cluster, pool: NodePool) -> dict:
    """The nodes of one pool: its StatefulSet's selector."""
    return {**kafka_pods_selector(cluster), _POOL: pool.name}


def brokers_selector(cluster: Cluster) -> dict:
    """Every broker, of any pool: a listener's bootstrap Service."""
    return {**kafka_kind_selector(cluster), "strimzi.io/broker-role": "true"}


def broker_pod_selector(cluster: Cluster, pool: NodePool, node_id: int) -> dict:
    """One broker: its own Service on a listener."""
    return {**_cluster_selector(cluster), "statefulset.kubernetes.io/pod-name": pod_name(cluster, pool, node_id)}


def zookeeper_selector(cluster: Cluster) -> dict:
    """The ZooKeeper nodes: their StatefulSet's, Services' and PodDisruptionBudget's selector."""
    return {**kafka_kind_selector(cluster), _NAME: zookeeper_names(cluster).zookeeper}


def zookeeper_labels(cluster: Cluster) -> dict:
    """Every ZooKeeper object's labels; without the Kafka nodes' strimzi.io/name, so that
    no Kafka Service or PodDisruptionBudget selects a ZooKeeper pod."""
    return {**_app_labels(cluster), "app.kubernetes.io/version": cluster.kafka_version,
            **zookeeper_selector(cluster), "strimzi.io/component-type": "zookeeper"}


def claim_labels(cluster: Cluster, pool: NodePool) -> dict:
    return {**_cluster_selector(cluster), _POOL: pool.name}


# Strimzi's default STRIMZI_LABELS_EXCLUSION_PATTERN: a custom resource's labels it
# does not copy to the objects it makes. Its own strimzi.io/ labels are never copied:
# the objects get theirs.
_NOT_COPIED = re.compile(r"app\.kubernetes\.io/(?!part-of).*|kustomize\.toolkit\.fluxcd\.io.*|strimzi\.io/.*")
# Labels a template section or a listener may not add: Strimzi drops app.kubernetes.io/ ones
# but part-of, and the strimzi.io/ ones are the chart's own (selectors use them).
_NOT_ADDED = re.compile(r"app\.kubernetes\.io/(?!part-of).*|strimzi\.io/.*")


def _copied_labels(document: Document) -> dict:
    """The resource's labels that Strimzi copies to what it makes from it."""
    return {key: value for key, value in document.labels.items()
            if isinstance(value, str) and not _NOT_COPIED.fullmatch(key)}


def added_labels(labels: dict) -> dict:
    """The labels a template section or a listener adds to an object, as Strimzi adds them."""
    return {key: value for key, value in labels.items() if not _NOT_ADDED.fullmatch(key)}


def _app_labels(cluster: Cluster) -> dict:
    return {"app.kubernetes.io/name": "kafka", "app.kubernetes.io/instance": cluster.name}


def common_labels(cluster: Cluster) -> dict:
    """Every object's labels: the Kafka's own that Strimzi copies, then kafkac's."""
    return {**_copied_labels(cluster.document), **_app_labels(cluster), "app.kubernetes.io/version": cluster.kafka_version,
            **kafka_pods_selector(cluster)}


def secret_labels(cluster: Cluster) -> dict:
    """Labels of the CA and node certificate Secrets."""
    return {**_app_labels(cluster), **kafka_kind_selector(cluster)}


def pool_labels(cluster: Cluster, pool: NodePool) -> dict:
    """A pool's objects carry these beside common_labels: the KafkaNodePool's own labels that
    Strimzi copies (a key the Kafka's labels set too keeps the Kafka's value, since the two
    sets are written side by side), then kafkac's."""
    cluster_wide = _copied_labels(cluster.document)
    return {
        **{key: value for key, value in _copied_labels(pool.document).items() if key not in cluster_wide},
        _POOL: pool.name,
        "strimzi.io/broker-role": str(pool.is_broker).lower(),
        "strimzi.io/controller-role": str(pool.is_controller).lower(),
        "strimzi.io/component-type": "kafka",
    }


def user_secret_labels(cluster: Cluster, user_name: str) -> dict:
    """Strimzi's labels of a KafkaUser's Secret."""
    return {"app.kubernetes.io/instance": user_name, "app.kubernetes.io/managed-by": "kafkac",
            **_cluster_selector(cluster), _KIND: "KafkaUser"}


def hook_pod_labels(cluster: Cluster, component: str) -> dict:
    """Labels of a hook Job's pod: without strimzi.io/kind and strimzi.io/name, so that
    the Kafka Services and the PodDisruptionBudget never select it."""
    return {**_app_labels(cluster), "app.kubernetes.io/component": component, **_cluster_selector(cluster)}


# --- Kafka Connect ------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectNames:
    """The names of a Connect cluster's objects, as Strimzi's KafkaConnectResources spells them."""

    connect: str  # the StatefulSet (pods <name>-connect-<n>), headless Service, ServiceAccount, PDB
    api_service: str  # the REST API on 8083
    config_map: str  # worker properties and log4j2
    scripts_config_map: str
    metrics_config_map: str
    network_policy: str
    build: str  # the build context ConfigMap, the BuildConfig
    connectors_config_map: str
    connectors_job: str


# The resource kinds that run as a Connect cluster -> the suffix of their objects' names and
# their app.kubernetes.io/name and strimzi.io/component-type, as Strimzi's
# KafkaConnectResources and KafkaMirrorMaker2Resources spell them.
_CONNECT_KINDS = {"KafkaConnect": ("connect", "kafka-connect"),
                  "KafkaMirrorMaker2": ("mirrormaker2", "kafka-mirror-maker-2")}


def connect_names(name: str, kind: str = "KafkaConnect") -> ConnectNames:
    connect = f"{name}-{_CONNECT_KINDS[kind][0]}"
    return ConnectNames(connect=connect, api_service=f"{connect}-api", config_map=f"{connect}-config",
                        scripts_config_map=f"{connect}-scripts", metrics_config_map=f"{connect}-metrics",
                        network_policy=connect, build=f"{connect}-build",
                        connectors_config_map=f"{connect}-connectors",
                        connectors_job=_short_job_name(f"{connect}-connectors"))


def _short_job_name(name: str) -> str:
    if len(name) <= _MAX_JOB_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:_MAX_JOB_NAME - 9].rstrip('-')}-{digest}"


def connect_selector(name: str, kind: str = "KafkaConnect") -> dict:
    """The workers of a Connect: its StatefulSet's and Services' selector."""
    return {_CLUSTER: name, _KIND: kind, _NAME: connect_names(name, kind).connect}


def connect_common_labels(name: str, version: str, kind: str = "KafkaConnect") -> dict:
    app = _CONNECT_KINDS[kind][1]
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name,
            "app.kubernetes.io/version": version, **connect_selector(name, kind),
            "strimzi.io/component-type": app}


def connect_hook_pod_labels(name: str, component: str, kind: str = "KafkaConnect") -> dict:
    """A hook Job's pod: without strimzi.io/name, so the Services and the PDB never select it."""
    return {"app.kubernetes.io/name": _CONNECT_KINDS[kind][1], "app.kubernetes.io/instance": name,
            "app.kubernetes.io/component": component, _CLUSTER: name, _KIND: kind}
