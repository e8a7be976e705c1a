"""The topics of a live Kafka cluster, for `kafkac topics diff` and `kafkac topics pull`.

Reads every topic's partitions, replication factor and own config options
(those set on the topic: DYNAMIC_TOPIC_CONFIG) with the Kafka admin client of
kafka-python, from a workstation or CI. `pull_yaml` writes KafkaTopic
resources for topics that no KafkaTopic names, so they can be committed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .topics import INTERNAL_TOPICS
from .topics_sync import TopicState
from .yaml_text import scalar, yaml_key

TIMEOUT_MS = 30000
_DNS_LABEL_CHARS = re.compile(r"[^a-z0-9.-]+")


class LiveError(Exception):
    """The cluster could not be read: not reachable, refused the credentials, or no client library."""


@dataclass(frozen=True)
class Connection:
    """How to reach the brokers: a bootstrap address and, when the listener needs them, TLS and SASL."""

    bootstrap: str
    security_protocol: str = "PLAINTEXT"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    check_hostname: bool = True
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password_file: Path | None = None

    def client_config(self) -> dict:
        """kafka-python's settings for this connection (the password read from its file)."""
        config: dict = {"bootstrap_servers": self.bootstrap, "security_protocol": self.security_protocol,
                        "request_timeout_ms": TIMEOUT_MS, "client_id": f"kafkac-{__version__}"}
        if "SSL" in self.security_protocol:
            config["ssl_check_hostname"] = self.check_hostname
            if self.ca_file:
                config["ssl_cafile"] = str(self.ca_file)
            if self.cert_file:
                config["ssl_certfile"] = str(self.cert_file)
            if self.key_file:
                config["ssl_keyfile"] = str(self.key_file)
        if "SASL" in self.security_protocol:
            config["sasl_mechanism"] = self.sasl_mechanism or "SCRAM-SHA-512"
            config["sasl_plain_username"] = self.sasl_username
            if self.sasl_password_file:
                config["sasl_plain_password"] = self.sasl_password_file.read_text().rstrip("\n")
        return config


@dataclass(frozen=True)
class LiveTopics:
    topics: dict[str, TopicState]
    internal: frozenset[str]


@contextmanager
def admin_client(connection: Connection, what: str) -> Iterator:
    """kafka-python's admin client for `connection`, closed afterwards. The client's and the
    connection's errors become a LiveError naming the address (and `what` was being read)."""
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from kafka import KafkaAdminClient
            from kafka.errors import KafkaError
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise LiveError("reading a live cluster needs kafka-python: pip install 'kafka-python>=3.0.12'") from exc
    try:
        admin = KafkaAdminClient(**connection.client_config())
    except (KafkaError, OSError, ValueError) as exc:
        raise LiveError(f"cannot connect to {connection.bootstrap}: {exc}") from exc
    try:
        yield admin
    except (KafkaError, OSError) as exc:
        raise LiveError(f"cannot describe the {what} of {connection.bootstrap}: {exc}") from exc
    finally:
        admin.close()


def read_live(connection: Connection) -> LiveTopics:
    """Every topic of the cluster with its partitions, replicas and own config options."""
    with admin_client(connection, "topics") as admin:
        from kafka.admin import ConfigResource, ConfigResourceType

        names = sorted(admin.list_topics())
        described = admin.describe_topics(names) if names else []
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]) if names else {}
    topic_configs = configs.get("topic", {}) if isinstance(configs, dict) else {}
    topics, internal = {}, set()
    for topic in described:
        name = topic["name"]
        partitions = topic["partitions"]
        replicas = len(partitions[0]["replica_nodes"]) if partitions else 0
        own = {key: entry["value"] for key, entry in (topic_configs.get(name) or {}).items()
               if entry.get("config_source") == "DYNAMIC_TOPIC_CONFIG" and entry.get("value") is not None}
        topics[name] = TopicState(name, len(partitions), replicas, own)
        if topic.get("is_internal") or name in INTERNAL_TOPICS or name.startswith("__"):
            internal.add(name)
    return LiveTopics(topics, frozenset(internal))


def resource_name(topic: str, taken: set[str]) -> str:
    """A KafkaTopic name (a DNS-1123 subdomain) for a topic name, not among `taken`."""
    base = _DNS_LABEL_CHARS.sub("-", topic.lower().replace("_", "-"))
    labels = [label.strip("-")[:63].strip("-") for label in base.split(".")]
    base = ".".join(label for label in labels if label)[:240].strip(".-") or "topic"
    name, count = base, 1
    while name in taken:
        count += 1
        name = f"{base}-{count}"
    return name


def pull_yaml(topics: list[TopicState], cluster: str, namespace: str | None, source: str,
              taken: set[str]) -> str:
    """KafkaTopic resources for `topics`, as a YAML file kafkac reads back unchanged."""
    lines = [f"# Topics of Kafka {cluster} that no KafkaTopic names, read from {source} by kafkac.",
             "# Review them, then commit this file with the cluster's other resources."]
    taken = set(taken)
    for topic in sorted(topics, key=lambda t: t.name):
        name = resource_name(topic.name, taken)
        taken.add(name)
        lines += ["---", "apiVersion: kafka.strimzi.io/v1", "kind: KafkaTopic", "metadata:",
                  f"  name: {scalar(name)}"]
        if namespace:
            lines.append(f"  namespace: {scalar(namespace)}")
        lines += ["  labels:", f"    strimzi.io/cluster: {scalar(cluster)}", "spec:"]
        if name != topic.name:
            lines.append(f"  topicName: {scalar(topic.name)}")
        lines += [f"  partitions: {topic.partitions}", f"  replicas: {topic.replicas}"]
        if topic.config:
            lines.append("  config:")
            lines += [f"    {yaml_key(key)}: {scalar(value)}" for key, value in sorted(topic.config.items())]
    return "\n".join(lines) + "\n"
