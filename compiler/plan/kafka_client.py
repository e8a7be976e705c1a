"""How the chart's Jobs reach Kafka: the client settings, key store and bootstrap addresses they
share, and the limits their Kafka tool runs keep to.

Placed by templates/_kafka-client.tpl, which every Job that talks to Kafka includes.
"""

from __future__ import annotations

from ..model import Cluster
from ..properties import properties_text
from .naming import REPLICATION, cluster_names, pod_name
from .pods import (CLUSTER_CA_CERT, CLUSTER_CA_CERTS_DIR, NODE_CERTS_DIR, NODE_KEYSTORE, ca_cert_volume,
                   node_certs_volume)

KAFKA_CLIENT_DIR = "/var/run/kafkac-client"  # the client properties, with the key store password
# How long a Job waits for the brokers to answer before it fails.
KAFKA_WAIT_SECONDS = 900
# Seconds one Kafka tool run takes at most on a busy node (a JVM start and one request),
# to size the Job's deadline: up to three runs a topic (create or raise, then alter).
TOOL_RUN_SECONDS = 4
TOOL_HEAP_OPTIONS = "-Xms16m -Xmx256m"


def kafka_client_values(cluster: Cluster) -> dict:
    """How every Job of the chart reaches the brokers: on the replication listener, as a node.

    The Jobs connect to each broker pod's own address, which the node certificate
    names; with TLS on the listener they present the node certificate and trust
    the cluster CA, as the brokers do with each other. `properties` holds every
    client setting except the key store password, which the Job's script reads
    from `keyStorePasswordFile` (a Secret) when it writes the client's file.
    """
    brokers_service = cluster_names(cluster).brokers_service
    listener = REPLICATION
    client = {
        "listener": listener.identifier,
        # Each host gets ".<namespace>.svc" and the port in the Job's environment.
        "bootstrapHosts": [f"{pod_name(cluster, pool, node_id)}.{brokers_service}"
                           for pool in cluster.brokers for node_id in pool.node_ids],
        "port": listener.port,
        "properties": "security.protocol=PLAINTEXT\n",
        "keyStorePasswordFile": "",
        "volumes": [],
        "volumeMounts": [],
    }
    if not listener.tls:
        return client
    props = [("security.protocol", "SSL"), ("ssl.keystore.type", "PKCS12"),
             ("ssl.keystore.location", NODE_KEYSTORE), ("ssl.truststore.type", "PEM"),
             ("ssl.truststore.location", CLUSTER_CA_CERT)]
    client.update({
        "properties": properties_text(props),
        "keyStorePasswordFile": f"{NODE_CERTS_DIR}/node.password",
        "volumes": [
            ca_cert_volume("kafka-client-cluster-ca", cluster_names(cluster).cluster_ca_cert_secret),
            node_certs_volume("kafka-client-node-certs", cluster),
        ],
        "volumeMounts": [
            {"name": "kafka-client-cluster-ca", "mountPath": CLUSTER_CA_CERTS_DIR, "readOnly": True},
            {"name": "kafka-client-node-certs", "mountPath": NODE_CERTS_DIR, "readOnly": True},
        ],
    })
    return client
