"""KafkaTopic resources: grouped to their cluster, checked, given their defaults.

Part of the normalize stage. A KafkaTopic joins the Kafka named by its
`strimzi.io/cluster` label in its namespace, or the one the Kafka's
`topicOperator.watchedNamespace` names (or, written without one, in any: see
cluster_members), as in Strimzi. Its Kafka must
have `spec.entityOperator.topicOperator`: that is what asks the chart to manage
topics, and a KafkaTopic that nothing would ever create is an error rather than
a silent no-op (`strimzi.io/managed: "false"` on the KafkaTopic leaves it out
on purpose). What is checked here, each with the position of the field:

- the topic name: valid for Kafka, not one of Kafka's internal topics, and
  unique in the cluster after Kafka's collision rule ('.' and '_' are the same
  character when Kafka compares names);
- replicas at most the number of brokers, and min.insync.replicas (the topic's
  own, or the cluster's) at most replicas, so that acks=all writes can succeed;
- every config option and value against the topic options of the cluster's
  Kafka version (kafka_configs), which also gives each value the text form that
  Kafka stores, so that the topics Job compares like with like.

What cannot be checked without the live topic (fewer partitions than it has, a
different replication factor) is refused by the Job; against a base version of
the specs it is the upgrade policies' to refuse at check time.
"""

from __future__ import annotations

import dataclasses
import re

from .findings import FieldPath, Finding, dotted, defined_twice, error, warning
from .kafka_configs import ConfigKey, check_config, for_version
from .cluster_members import group_by_cluster, members_namespace, unmanaged_members, without_paused
from .document import Document, Documents
from .model import Cluster, Topic
from .properties import config_text

MANAGED_ANNOTATION = "strimzi.io/managed"
MAX_TOPIC_NAME_LENGTH = 249
LEGAL_TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
# Topics Kafka creates and configures itself, from broker options.
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state",
                             "__cluster_metadata", "__remote_log_metadata"})
# Kafka's ThrottledReplicaListValidator: "*", or partition:broker pairs.
_THROTTLED_REPLICAS = re.compile(r"^(\*|[0-9]+:[0-9]+(,[0-9]+:[0-9]+)*)?$")
_THROTTLED_REPLICA_OPTIONS = ("leader.replication.throttled.replicas",
                              "follower.replication.throttled.replicas")
_JAVA_WHITESPACE = "".join(chr(c) for c in range(0x21))
_LIST_SEPARATOR = re.compile(r"[ \t\n\x0b\f\r]*,[ \t\n\x0b\f\r]*")


def attach_topics(documents: Documents, clusters: list[Cluster]) -> tuple[list[Cluster], list[Finding]]:
    """The clusters with their managed topics, and the findings about every KafkaTopic."""
    by_cluster, findings = group_by_cluster(documents, "KafkaTopic", "topic", operator="topicOperator")

    result = []
    for cluster in clusters:
        docs = by_cluster.get((members_namespace(cluster.document, "topicOperator"), cluster.name), [])
        topics = cluster_topics(cluster, docs, findings)
        result.append(dataclasses.replace(cluster, topics=topics) if topics else cluster)
    return result, findings


def is_managed(doc: Document) -> bool:
    """False when the KafkaTopic asks to be left alone (`strimzi.io/managed: "false"`)."""
    return str(doc.annotations.get(MANAGED_ANNOTATION, "true")).lower() != "false"


def topic_name(doc: Document) -> str:
    return doc.get("spec", "topicName") or doc.name


def cluster_topics(cluster: Cluster, docs: list[Document], findings: list[Finding]) -> tuple[Topic, ...]:
    """The managed topics of one cluster, sorted by name; problems go to `findings`."""
    managed = without_paused([doc for doc in docs if is_managed(doc)], findings)
    if managed and not cluster.manage_topics:
        findings += unmanaged_members("KafkaTopic", managed, cluster, "topicOperator",
                                      f', or the annotation {MANAGED_ANNOTATION}: "false" on this KafkaTopic')
        return ()
    _check_unique(managed, findings)
    topics = [_topic(cluster, doc, findings) for doc in managed]
    return tuple(sorted((t for t in topics if t is not None), key=lambda t: t.name))


def collision_key(name: str) -> str:
    """Kafka's rule: names that differ only in '.' and '_' collide (their metrics would)."""
    return name.replace(".", "_")


def _check_unique(docs: list[Document], findings: list[Finding]) -> None:
    resources: dict[str, Document] = {}
    names: dict[str, Document] = {}
    collisions: dict[str, Document] = {}
    for doc in docs:
        if doc.name in resources:
            findings.append(defined_twice("topic.duplicate", doc, resources[doc.name]))
            continue
        resources[doc.name] = doc
        name = topic_name(doc)
        path = _name_path(doc)
        if name in names:
            other = names[name]
            findings.append(error(
                "topic.duplicate-name", f"topic {name} is already managed by KafkaTopic {other.name} "
                f"({other.span_of(_name_path(other))})", doc.span_of(path), path,
                "one KafkaTopic per topic", doc.describe()))
            continue
        names[name] = doc
        key = collision_key(name)
        if key in collisions:
            other = collisions[key]
            findings.append(error(
                "topic.name-collision", f"topic {name} collides with topic {topic_name(other)} of "
                f"KafkaTopic {other.name} ({other.span_of(_name_path(other))}): Kafka treats '.' and '_' "
                "as the same character in topic names and refuses the second one",
                doc.span_of(path), path, "names that differ in more than '.' and '_'", doc.describe()))
            continue
        collisions[key] = doc


def _name_path(doc: Document) -> FieldPath:
    return ("spec", "topicName") if doc.get("spec", "topicName") else ("metadata", "name")


def _topic(cluster: Cluster, doc: Document, findings: list[Finding]) -> Topic | None:
    count = len(findings)
    name = topic_name(doc)
    name_path = _name_path(doc)
    if len(name) > MAX_TOPIC_NAME_LENGTH or not LEGAL_TOPIC_NAME.match(name) or name in (".", ".."):
        why = f"{len(name)} characters long" if len(name) > MAX_TOPIC_NAME_LENGTH else "not a valid Kafka topic name"
        findings.append(error(
            "topic.name", f"topic name {name!r} is {why}", doc.span_of(name_path), name_path,
            f"letters, digits, '.', '_' and '-', at most {MAX_TOPIC_NAME_LENGTH} characters "
            "(set spec.topicName when metadata.name cannot be the topic's name)", doc.describe()))
    elif name in INTERNAL_TOPICS:
        findings.append(error(
            "topic.internal", f"{name} is one of Kafka's internal topics, which Kafka creates and "
            "configures from broker options", doc.span_of(name_path), name_path,
            "another name; set the internal topic's options in spec.kafka.config of the Kafka",
            doc.describe()))

    configs = for_version(cluster.kafka_version)
    spec = doc.get("spec", default={})
    # The cluster's defaults only when the topic leaves them out (looked up per topic, they were a
    # good part of normalizing ten thousand topics).
    partitions = spec["partitions"] if "partitions" in spec else _broker_int(cluster, configs, "num.partitions")
    replicas = spec["replicas"] if "replicas" in spec else _broker_int(cluster, configs, "default.replication.factor")
    replicas_path = ("spec", "replicas") if "replicas" in spec else ("metadata", "name")
    replicas_words = "" if "replicas" in spec else " (the cluster's default.replication.factor)"
    brokers = sum(pool.replicas for pool in cluster.brokers)
    if replicas > brokers:
        findings.append(error(
            "topic.replicas", f"topic {name} asks for {replicas} replicas{replicas_words}, but Kafka "
            f"{cluster.name} has {brokers} broker{'s' * (brokers != 1)}", doc.span_of(replicas_path),
            replicas_path, f"at most {brokers} (one replica per broker)", doc.describe()))

    raw_config = spec.get("config") or {}
    config_path = ("spec", "config")
    config_findings = check_config(raw_config, "topic", cluster.kafka_version, doc, config_path)
    findings.extend(config_findings)
    refused = {f.path[-1] for f in config_findings if f.is_error}
    config = {}
    for key, value in raw_config.items():
        if key in refused:
            continue
        text = canonical_value(configs.topic[key], value)
        problem = _value_problem(key, text)
        if problem:
            findings.append(error(
                "config.value", f"{dotted(config_path + (key,))}: {problem[0]}", doc.span_of(config_path + (key,)),
                config_path + (key,), problem[1], doc.describe()))
            continue
        config[key] = text

    if "min.insync.replicas" in config:
        min_isr, where, whose = int(config["min.insync.replicas"]), config_path + ("min.insync.replicas",), ""
    else:
        min_isr, where, whose = (_broker_int(cluster, configs, "min.insync.replicas"), replicas_path,
                                 " (the cluster's, from spec.kafka.config)")
    if "min.insync.replicas" not in refused and min_isr > replicas:
        # Kafka creates such a topic (as Strimzi does); only its acks=all writes fail.
        findings.append(warning(
            "topic.min-insync-replicas", f"topic {name} has min.insync.replicas {min_isr}{whose} but only "
            f"{replicas} replica{'s' * (replicas != 1)}{replicas_words}, so no write with acks=all could "
            "ever succeed", doc.span_of(where), where,
            f"min.insync.replicas at most {replicas}, or more replicas", doc.describe()))

    if any(f.is_error for f in findings[count:]):
        return None
    return Topic(name=name, resource_name=doc.name, partitions=partitions, replicas=replicas,
                 config=config, document=doc)


def _broker_int(cluster: Cluster, configs, option: str) -> int:
    """A broker option of the cluster that gives a topic default: spec.kafka.config, else Kafka's."""
    default = int(configs.broker[option].default)
    try:
        return int(config_text(cluster.config.get(option, default)).strip(_JAVA_WHITESPACE))
    except ValueError:  # refused where spec.kafka.config is checked
        return default


def canonical_value(option: ConfigKey, value) -> str:
    """The text Kafka keeps for a valid `value`: what the Job sets, and compares with what it describes."""
    text = config_text(value).strip(_JAVA_WHITESPACE)
    if option.type == "BOOLEAN":
        return text.lower()
    if option.type in ("SHORT", "INT", "LONG"):
        return str(int(text))
    if option.type == "LIST":
        return ",".join(_LIST_SEPARATOR.split(text)) if text else ""
    return text


def _value_problem(key: str, text: str) -> tuple[str, str] | None:
    """What Kafka's validators check only on the broker, and what the Job's data files cannot carry."""
    if key in _THROTTLED_REPLICA_OPTIONS and not _THROTTLED_REPLICAS.match(text):
        return (f"{text!r} is not a list of replicas to throttle",
                '"*" or partition:broker pairs separated by commas, such as "0:101,1:102"')
    if any(not " " <= c <= "~" for c in text):
        return (f"{text!r} holds characters other than printable ASCII, which no topic option takes",
                "letters, digits and punctuation")
    return None
