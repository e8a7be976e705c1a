"""spec.kafka.jmxOptions: JMX remote on every Kafka node's JVM, as Strimzi opens it.

Port 9999 (`jmx`) is in each node's container and on the headless brokers Service,
and open to everyone in the NetworkPolicy, as Strimzi's. kafka-run.sh starts the
JVM's JMX agent on it (the RMI registry and server on the one port, no SSL). With
password authentication the certificates Job creates the Secret <cluster>-kafka-jmx
(a random user name and password, kept once made), each node mounts it, and
kafka-run.sh writes the agent's password and access files from it.

Placed by templates/broker/ (ports, env, volume) and templates/certificates/ (the Secret).
"""

from __future__ import annotations

from ..model import Cluster
from .naming import cluster_names, common_labels
from .pods import metadata_of

JMX_PORT = 9999
_JMX_PORT_NAME = "jmx"
JMX_SECRET_DIR = "/opt/kafka/jmx"  # jmx-username and jmx-password
# Strimzi's keys of the JMX Secret.
JMX_USERNAME_KEY, JMX_PASSWORD_KEY = "jmx-username", "jmx-password"
_VOLUME = "jmx-secret"


def jmx_container_ports(cluster: Cluster) -> list[dict]:
    if cluster.jmx is None:
        return []
    return [{"name": _JMX_PORT_NAME, "containerPort": JMX_PORT, "protocol": "TCP"}]


def jmx_service_ports(cluster: Cluster) -> list[dict]:
    """The headless brokers Service's port, as Strimzi's: a JMX client names a node."""
    if cluster.jmx is None:
        return []
    return [{"name": _JMX_PORT_NAME, "port": JMX_PORT, "targetPort": JMX_PORT, "protocol": "TCP"}]


def jmx_env(cluster: Cluster) -> dict:
    """What kafka-run.sh reads to start the agent for the Kafka process only."""
    if cluster.jmx is None:
        return {}
    env = {"KAFKAC_JMX_PORT": str(JMX_PORT)}
    if cluster.jmx.password:
        env["KAFKAC_JMX_SECRET_DIR"] = JMX_SECRET_DIR
    return env


def jmx_volumes(cluster: Cluster) -> list[dict]:
    """The credentials, created by the certificates Job; the pod waits for them to exist."""
    if cluster.jmx is None or not cluster.jmx.password:
        return []
    return [{"name": _VOLUME, "secret": {
        "secretName": cluster_names(cluster).jmx_secret,
        "items": [{"key": key, "path": key} for key in (JMX_USERNAME_KEY, JMX_PASSWORD_KEY)]}}]


def jmx_volume_mounts(cluster: Cluster) -> list[dict]:
    if cluster.jmx is None or not cluster.jmx.password:
        return []
    return [{"name": _VOLUME, "mountPath": JMX_SECRET_DIR, "readOnly": True}]


def jmx_secret_values(cluster: Cluster) -> dict | None:
    """The Secret the certificates Job creates when absent (and never changes): its name, and
    Strimzi's labels with spec.kafka.template.jmxSecret's metadata; null without password
    authentication."""
    if cluster.jmx is None or not cluster.jmx.password:
        return None
    extra = metadata_of(cluster.jmx.secret_template)
    return {
        "secret": cluster_names(cluster).jmx_secret,
        "labels": {**extra["labels"], **common_labels(cluster), "strimzi.io/component-type": "kafka"},
        "annotations": extra["annotations"],
    }
