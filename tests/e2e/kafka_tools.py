"""Kafka's command-line tools run inside a pod of the cluster under test, as `kubectl exec` runs them."""

from __future__ import annotations

import os

from .conftest import NAMESPACE

# A tool's JVM: a small heap, and no log4j file (its warnings go to stderr).
TOOL_ENV = {"KAFKA_HEAP_OPTS": "-Xmx256m", "KAFKA_LOG4J_OPTS": ""}
NODE_CLIENT_CONFIG = "/tmp/kafkac-e2e-client.properties"
REPLICATION = 9091


def run(cluster, pod, *command: str, timeout: float = 120) -> str:
    """`command` inside `pod`; its standard output (the test fails on any other exit code than 0)."""
    done = cluster.exec(pod, list(command), timeout=timeout, env=TOOL_ENV)
    assert done.returncode == 0, f"{' '.join(command)} in {pod.name}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def on_plain_listener(cluster, pod, port: int, tool: str, *args: str) -> str:
    """A tool of /opt/kafka/bin inside `pod`, against its own plain listener on `port`."""
    return run(cluster, pod, f"/opt/kafka/bin/{tool}", "--bootstrap-server", f"localhost:{port}", *args)


def node_client_config(cluster, pod, node_secret: str) -> str:
    """A TLS client configuration inside `pod`: its node certificate (a super user), trusting the
    cluster CA, checking host names (Kafka's default), as an operator would write it."""
    password = cluster.secrets[node_secret]["node.password"].decode()
    path = cluster.host_path(pod, NODE_CLIENT_CONFIG)
    path.write_text("security.protocol=SSL\n"
                    "ssl.keystore.type=PKCS12\n"
                    "ssl.keystore.location=/opt/kafka/node-certs/node.p12\n"
                    f"ssl.keystore.password={password}\n"
                    "ssl.truststore.type=PEM\n"
                    "ssl.truststore.location=/opt/kafka/cluster-ca-certs/ca.crt\n")
    os.chmod(path, 0o644)
    return NODE_CLIENT_CONFIG


def as_node(cluster, kafka: str, tool: str, *args: str) -> str:
    """A tool of /opt/kafka/bin inside the first broker of the Kafka named `kafka`, as the node,
    on the broker's replication listener."""
    pod = cluster.brokers[0]
    config = node_client_config(cluster, pod, f"{kafka}-kafka-node-certs")
    return run(cluster, pod, f"/opt/kafka/bin/{tool}",
               "--bootstrap-server", f"{pod.name}.{kafka}-kafka-brokers.{NAMESPACE}.svc:{REPLICATION}",
               "--command-config", config, *args)
