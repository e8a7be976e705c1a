"""The ZooKeeper ensemble of a Kafka 3.x cluster: its StatefulSet, Services, PodDisruptionBudget,
ServiceAccount, NetworkPolicy and configuration files.

Placed by templates/zookeeper/; run by files/zookeeper-run.sh, probed by
files/zookeeper-ready.sh. ZooKeeper runs from the Kafka image, whose 3.x
distribution carries it, as Strimzi's did. Clients (the brokers) and the quorum
talk TLS with the node certificate of the cluster CA, client certificates
required; a plain port on the pod's loopback serves the readiness probe only.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Cluster, ZooKeeper
from ..properties import config_text, property_line
from .broker_config import LOG4J_FILE, jvm_env, log4j_java_option, log4j_properties
from .metrics import METRICS_AGENT_JAR, METRICS_PORT, metrics_values
from .naming import (ZOOKEEPER_CLIENT_PORT, ZOOKEEPER_CLUSTERING_PORT, ZOOKEEPER_ELECTION_PORT, cluster_names,
                     kafka_pods_selector, zookeeper_labels, zookeeper_names, zookeeper_selector)
from .pods import (CLUSTER_CA_CERT, CONTAINER_SECURITY_CONTEXT, NODE_CERTS_DIR,
                   NODE_KEYSTORE, POD_SECURITY_CONTEXT, PROBE_DEFAULTS, SCRIPTS_DIR, ca_cert_volume, env_list, image,
                   metadata_of, node_certs_volume, node_volume_mounts, pod_spec)

# Where Strimzi kept ZooKeeper's data: the volume at /var/lib/zookeeper, the data in data/.
_DATA_MOUNT = "/var/lib/zookeeper"
_DATA_DIR = f"{_DATA_MOUNT}/data"
_WORK_DIR = "/tmp/zookeeper"
_CONFIG_DIR = "/opt/kafka/zookeeper-config"
# The plain client port, on the pod's loopback only: the readiness probe's four-letter words.
_LOCAL_PORT = 12181
_TMP_SIZE_LIMIT = "100Mi"
_METRICS_CONFIG_DIR = "/opt/kafka/metrics-config"
_METRICS_CONFIG_FILE = "metrics-config.yml"
_METRICS_AGENT_DIR = "/opt/kafka/metrics-agent"
# Strimzi's ZooKeeper defaults (ZookeeperConfiguration.DEFAULTS).
_DEFAULT_CONFIG = {"tickTime": "2000", "initLimit": "5", "syncLimit": "2", "autopurge.purgeInterval": "1",
                   "admin.enableServer": "false"}


def zookeeper_values(cluster: Cluster) -> dict | None:
    """Everything templates/zookeeper/ places; null for a KRaft cluster."""
    zk = cluster.zookeeper
    if zk is None:
        return None
    names = zookeeper_names(cluster)
    pod = zk.template.get("pod", {})
    return {
        "name": names.zookeeper,
        "replicas": zk.replicas,
        "image": image(zk.image),
        "labels": zookeeper_labels(cluster),
        "selectorLabels": zookeeper_selector(cluster),
        "statefulSetMetadata": metadata_of(zk.template.get("podSet", {})),
        "podMetadata": metadata_of(pod),
        "configMapName": names.config_map,
        "scriptsConfigMapName": names.scripts_config_map,
        "properties": zookeeper_properties(zk),
        "logging": {"fileName": LOG4J_FILE, "content": log4j_properties(
            zk.logging, "ZooKeeper logs to stdout, one event per line (a stack trace on the lines after it).",
            ("zookeeper.root.logger",), {})},
        "env": _env(cluster, zk),
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in _ports(zk)],
        "probePort": ZOOKEEPER_CLIENT_PORT,
        "readinessProbe": {**PROBE_DEFAULTS, **zk.readiness_probe},
        "livenessProbe": {**PROBE_DEFAULTS, **zk.liveness_probe},
        "resources": zk.resources,
        "podSpec": pod_spec(pod, names.zookeeper, False, POD_SECURITY_CONTEXT),
        "containerSecurityContext": zk.template.get("zookeeperContainer", {}).get(
            "securityContext", CONTAINER_SECURITY_CONTEXT),
        "volumes": _volumes(cluster, zk),
        "volumeMounts": _volume_mounts(zk),
        "volumeClaimTemplates": _claim_templates(cluster, zk),
        "persistentVolumeClaimRetentionPolicy": _claim_retention_policy(zk),
        "services": _services(cluster, zk),
        "podDisruptionBudget": {
            "name": names.zookeeper,
            "maxUnavailable": zk.template.get("podDisruptionBudget", {}).get("maxUnavailable", 1),
            "selector": zookeeper_selector(cluster),
            **metadata_of(zk.template.get("podDisruptionBudget", {})),
        },
        "serviceAccount": {"name": names.zookeeper, **metadata_of(zk.template.get("serviceAccount", {}))},
        "networkPolicy": _network_policy(cluster, zk),
        "metrics": _metrics(cluster, zk),
    }


def zookeeper_properties(zk: ZooKeeper) -> str:
    """The static part of zookeeper.properties; zookeeper-run.sh adds the key store passwords
    and the servers of the ensemble."""
    props = [
        ("dataDir", _DATA_DIR),
        # Every member is known from the spec: no dynamic reconfiguration, no standalone mode.
        ("standaloneEnabled", "false"),
        ("reconfigEnabled", "false"),
        ("quorumListenOnAllIPs", "true"),
        ("4lw.commands.whitelist", "srvr,mntr,ruok"),
        ("clientPort", str(_LOCAL_PORT)),
        ("clientPortAddress", "127.0.0.1"),
        ("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory"),
        ("secureClientPort", str(ZOOKEEPER_CLIENT_PORT)),
        ("sslQuorum", "true"),
        ("ssl.clientAuth", "need"),
        ("ssl.quorum.clientAuth", "need"),
        ("ssl.keyStore.type", "PKCS12"),
        ("ssl.keyStore.location", NODE_KEYSTORE),
        ("ssl.quorum.keyStore.type", "PKCS12"),
        ("ssl.quorum.keyStore.location", NODE_KEYSTORE),
        ("ssl.trustStore.type", "PEM"),
        ("ssl.trustStore.location", CLUSTER_CA_CERT),
        ("ssl.quorum.trustStore.type", "PEM"),
        ("ssl.quorum.trustStore.location", CLUSTER_CA_CERT),
        # A ZooKeeper server checks a peer's certificate against the name its address resolves
        # back to, which a pod address does not; client certificates of the cluster CA are
        # required instead. The brokers check ZooKeeper's name (zookeeper.ssl.*).
        ("ssl.hostnameVerification", "false"),
        ("ssl.quorum.hostnameVerification", "false"),
    ]
    config = {**_DEFAULT_CONFIG, **{k: config_text(v) for k, v in zk.config.items()}}
    # The host name checks are kafkac's to set and the user's to turn on (Strimzi's exceptions).
    props = [(k, config.pop(k, v)) for k, v in props]
    props += list(config.items())
    lines = ["# ZooKeeper node of a kafkac chart; the key store passwords and the servers",
             "# of the ensemble are appended at start-up."]
    lines.extend(property_line(k, v) for k, v in props)
    return "\n".join(lines) + "\n"


def _ports(zk: ZooKeeper) -> list[tuple[str, int]]:
    ports = [("tcp-clients", ZOOKEEPER_CLIENT_PORT), ("tcp-clustering", ZOOKEEPER_CLUSTERING_PORT),
             ("tcp-election", ZOOKEEPER_ELECTION_PORT)]
    if zk.metrics is not None:
        ports.append(("tcp-prometheus", METRICS_PORT))
    return ports


def _env(cluster: Cluster, zk: ZooKeeper) -> list[dict]:
    names = zookeeper_names(cluster)
    env = {
        "KAFKAC_ZOOKEEPER_REPLICAS": str(zk.replicas),
        "KAFKAC_ZOOKEEPER_NODES_SERVICE": names.nodes_service,
        "KAFKAC_ZOOKEEPER_DATA_DIR": _DATA_DIR,
        "KAFKAC_ZOOKEEPER_CONFIG_DIR": _CONFIG_DIR,
        "KAFKAC_ZOOKEEPER_LOCAL_PORT": str(_LOCAL_PORT),
        "KAFKAC_ZOOKEEPER_CLUSTERING_PORT": str(ZOOKEEPER_CLUSTERING_PORT),
        "KAFKAC_ZOOKEEPER_ELECTION_PORT": str(ZOOKEEPER_ELECTION_PORT),
        "KAFKAC_NODE_CERTS_DIR": NODE_CERTS_DIR,
        "KAFKAC_WORK_DIR": _WORK_DIR,
        "KAFKA_LOG4J_OPTS": log4j_java_option(LOG4J_FILE, SCRIPTS_DIR),
        "LOG_DIR": f"{_WORK_DIR}/logs",
        # zookeeper-server-start.sh adds -loggc by default; GC logging is off unless asked for.
        "EXTRA_ARGS": "-name zookeeper",
    }
    env.update(jvm_env(zk.jvm_options, zk.resources))
    if zk.metrics is not None:
        agent = f"{_METRICS_AGENT_DIR}/{METRICS_AGENT_JAR}"
        env["KAFKAC_METRICS_AGENT_OPTS"] = \
            f"-javaagent:{agent}={METRICS_PORT}:{_METRICS_CONFIG_DIR}/{_METRICS_CONFIG_FILE}"
    user_env = zk.template.get("zookeeperContainer", {}).get("env", [])
    return env_list(env) + list(user_env)


def _volumes(cluster: Cluster, zk: ZooKeeper) -> list[dict]:
    names = zookeeper_names(cluster)
    pod = zk.template.get("pod", {})
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": str(pod.get("tmpDirSizeLimit", _TMP_SIZE_LIMIT))}},
        {"name": "zookeeper-config", "configMap": {"name": names.config_map}},
        {"name": "kafkac-scripts", "configMap": {"name": names.scripts_config_map}},
        ca_cert_volume("cluster-ca-cert", cluster_names(cluster).cluster_ca_cert_secret),
        node_certs_volume("node-certs", cluster),
    ]
    if zk.volume.type == "ephemeral":
        volumes.append({"name": "data", "emptyDir": {"sizeLimit": zk.volume.size_limit}
                        if zk.volume.size_limit else {}})
    if zk.metrics is not None:
        volumes += [{"name": "metrics-config", "configMap": {"name": names.metrics_config_map}},
                    {"name": "metrics-agent", "emptyDir": {"sizeLimit": "16Mi"}}]
    volumes.extend(pod.get("volumes", []))
    return volumes


def _volume_mounts(zk: ZooKeeper) -> list[dict]:
    mounts = node_volume_mounts("zookeeper-config", _CONFIG_DIR) + [{"name": "data", "mountPath": _DATA_MOUNT}]
    if zk.metrics is not None:
        mounts += [{"name": "metrics-config", "mountPath": _METRICS_CONFIG_DIR, "readOnly": True},
                   {"name": "metrics-agent", "mountPath": _METRICS_AGENT_DIR, "readOnly": True}]
    mounts.extend(zk.template.get("zookeeperContainer", {}).get("volumeMounts", []))
    return mounts


def _claim_templates(cluster: Cluster, zk: ZooKeeper) -> list[dict]:
    """Strimzi's claim of a ZooKeeper node: data-<cluster>-zookeeper-<n>."""
    volume = zk.volume
    if volume.type != "persistent-claim":
        return []
    spec: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": volume.size}}}
    if volume.storage_class is not None:
        spec["storageClassName"] = volume.storage_class
    if volume.selector:
        spec["selector"] = {"matchLabels": volume.selector}
    extra = metadata_of(zk.template.get("persistentVolumeClaim", {}))
    metadata = {"name": "data", "labels": {**extra["labels"], **zookeeper_selector(cluster)}}
    if extra["annotations"]:
        metadata["annotations"] = extra["annotations"]
    return [{"metadata": metadata, "spec": spec}]


def _claim_retention_policy(zk: ZooKeeper) -> dict | None:
    if zk.volume.type != "persistent-claim":
        return None
    return {"whenDeleted": "Delete" if zk.volume.delete_claim else "Retain", "whenScaled": "Retain"}


def _services(cluster: Cluster, zk: ZooKeeper) -> dict:
    names = zookeeper_names(cluster)

    def port(name: str, number: int) -> dict:
        return {"name": name, "port": number, "targetPort": number, "protocol": "TCP"}

    def service(name: str, section: str, ports: list[dict]) -> dict:
        template = zk.template.get(section, {})
        return {"name": name, "ports": ports, "selector": zookeeper_selector(cluster), **metadata_of(template),
                **{key: template[key] for key in ("ipFamilyPolicy", "ipFamilies") if key in template}}

    client = port("tcp-clients", ZOOKEEPER_CLIENT_PORT)
    return {
        "client": service(names.client_service, "clientService", [client]),
        "nodes": service(names.nodes_service, "nodesService", [
            client, port("tcp-clustering", ZOOKEEPER_CLUSTERING_PORT),
            port("tcp-election", ZOOKEEPER_ELECTION_PORT)]),
    }


def _network_policy(cluster: Cluster, zk: ZooKeeper) -> dict:
    """Strimzi's ZooKeeper NetworkPolicy: the client port open to the Kafka nodes and to the
    other ZooKeeper nodes, the quorum ports to the ZooKeeper nodes, metrics to everyone."""
    zookeeper_pods = {"podSelector": {"matchLabels": zookeeper_selector(cluster)}}
    kafka_pods = {"podSelector": {"matchLabels": kafka_pods_selector(cluster)}}

    def rule(port: int, peers: list[dict]) -> dict:
        return {"ports": [{"port": port, "protocol": "TCP"}], **({"from": peers} if peers else {})}

    rules = [rule(ZOOKEEPER_CLIENT_PORT, [kafka_pods, zookeeper_pods]),
             rule(ZOOKEEPER_CLUSTERING_PORT, [zookeeper_pods]),
             rule(ZOOKEEPER_ELECTION_PORT, [zookeeper_pods])]
    if zk.metrics is not None:
        rules.append(rule(METRICS_PORT, []))
    return {"name": zookeeper_names(cluster).network_policy, "spec": {
        "podSelector": zookeeper_pods["podSelector"], "policyTypes": ["Ingress"], "ingress": rules}}


def _metrics(cluster: Cluster, zk: ZooKeeper) -> dict | None:
    """ZooKeeper's JMX exporter rules ConfigMap and the init container that brings the agent."""
    if zk.metrics is None:
        return None
    agent = metrics_values(_with_metrics(cluster, zk))["agent"]
    return {"configMapName": zookeeper_names(cluster).metrics_config_map, "fileName": _METRICS_CONFIG_FILE,
            "content": zk.metrics.exporter_config, "agent": agent}


def _with_metrics(cluster: Cluster, zk: ZooKeeper) -> Cluster:
    return replace(cluster, metrics=zk.metrics)
