"""The legacy KafkaMirrorMaker (MirrorMaker 1), which Kafka 4 removed and Strimzi 1.x no longer
runs: refused by validate, with `kafkac mirror-maker2` printing the equivalent KafkaMirrorMaker2.

The mapping (README, "MirrorMaker 2"): the consumer's cluster is the mirror's source, the
producer's the target; `include` (or `whitelist`) is topicsPattern; `consumer.numStreams` is
the source connector's tasksMax; the identity replication policy keeps topic names as
MirrorMaker 1 did; a checkpoint connector translates the consumer groups' offsets. What has
no counterpart (the consumer's group id, offsetCommitInterval, abortOnSendFailure) is left out
and named in a comment.
"""

from __future__ import annotations

import yaml

from .document import Document
from .model import SUPPORTED_KAFKA_VERSIONS

KIND = "KafkaMirrorMaker"
IDENTITY_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
SOURCE_ALIAS, TARGET_ALIAS = "source", "target"
# MirrorMaker 1 fields with no counterpart in MirrorMaker 2.
_DROPPED = {("consumer", "groupId"): "MirrorMaker 2 reads the source without a consumer group",
            ("consumer", "offsetCommitInterval"): "MirrorMaker 2 commits its offsets to the target itself",
            ("producer", "abortOnSendFailure"): "a failed connector task stops; autoRestart restarts it"}
# Template sections of MirrorMaker 1 -> those of MirrorMaker 2.
_TEMPLATE_SECTIONS = {"pod": "pod", "mirrorMakerContainer": "connectContainer",
                      "podDisruptionBudget": "podDisruptionBudget", "serviceAccount": "serviceAccount"}


def refusal_summary(data: dict) -> str:
    """What the equivalent mirrors, in a line: the two clusters and the topics."""
    spec = data.get("spec") or {}
    source = (spec.get("consumer") or {}).get("bootstrapServers", "?")
    target = (spec.get("producer") or {}).get("bootstrapServers", "?")
    topics = spec.get("include") or spec.get("whitelist") or "?"
    return f"the KafkaMirrorMaker2 that mirrors topics {topics!r} from {source} to {target} under their own names"


def equivalent(data: dict) -> tuple[dict, list[str]]:
    """The KafkaMirrorMaker2 equivalent to a KafkaMirrorMaker's data, and the notes on what it
    leaves out."""
    metadata = data.get("metadata") or {}
    spec = data.get("spec") or {}
    consumer, producer = spec.get("consumer") or {}, spec.get("producer") or {}
    name = metadata.get("name", "mirror-maker")
    notes = [f"{section}.{field_name}: left out, {why}" for (section, field_name), why in _DROPPED.items()
             if field_name in (spec.get(section) or {})]
    target = {"alias": TARGET_ALIAS, "bootstrapServers": producer.get("bootstrapServers"),
              "groupId": f"{name}-mirrormaker2", "configStorageTopic": f"{name}-mirrormaker2-configs",
              "statusStorageTopic": f"{name}-mirrormaker2-status",
              "offsetStorageTopic": f"{name}-mirrormaker2-offsets",
              **_connection(producer),
              **({"config": {f"producer.{k}": v for k, v in producer["config"].items()}}
                 if producer.get("config") else {})}
    source = {"alias": SOURCE_ALIAS, "bootstrapServers": consumer.get("bootstrapServers"), **_connection(consumer),
              **({"config": dict(consumer["config"])} if consumer.get("config") else {})}
    source_connector = {**({"tasksMax": consumer["numStreams"]} if "numStreams" in consumer else {}),
                        "config": {"replication.policy.class": IDENTITY_POLICY}}
    mirror = {"source": source, "sourceConnector": source_connector,
              "checkpointConnector": {"config": {"replication.policy.class": IDENTITY_POLICY,
                                                 "sync.group.offsets.enabled": "true"}}}
    topics = spec.get("include") or spec.get("whitelist")
    if topics:
        mirror["topicsPattern"] = topics
    new_spec: dict = {}
    if spec.get("version") in SUPPORTED_KAFKA_VERSIONS:
        new_spec["version"] = spec["version"]
    elif "version" in spec:
        notes.append(f"version: {spec['version']} left out, kafkac runs Kafka {SUPPORTED_KAFKA_VERSIONS[0]} "
                     f"to {SUPPORTED_KAFKA_VERSIONS[-1]}; the default is the newest")
    if "replicas" in spec:
        new_spec["replicas"] = spec["replicas"]
    new_spec["target"] = target
    new_spec["mirrors"] = [mirror]
    for field_name in ("resources", "jvmOptions", "livenessProbe", "readinessProbe", "metricsConfig"):
        if field_name in spec:
            new_spec[field_name] = spec[field_name]
    logging = _logging(spec.get("logging"), notes)
    if logging:
        new_spec["logging"] = logging
    template = {new: spec["template"][old] for old, new in _TEMPLATE_SECTIONS.items()
                if old in (spec.get("template") or {})}
    if template:
        new_spec["template"] = template
    for field_name in sorted(set(spec) - {"version", "replicas", "consumer", "producer", "include", "whitelist",
                                          "resources", "jvmOptions", "livenessProbe", "readinessProbe",
                                          "metricsConfig", "logging", "template", "image"}):
        notes.append(f"{field_name}: left out, no counterpart that kafkac compiles")
    new_metadata = {"name": name, **{k: metadata[k] for k in ("namespace", "labels", "annotations") if k in metadata}}
    return {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaMirrorMaker2", "metadata": new_metadata,
            "spec": new_spec}, notes


def _connection(client: dict) -> dict:
    return {key: client[key] for key in ("tls", "authentication") if key in client}


def _logging(raw: dict | None, notes: list[str]) -> dict | None:
    """MirrorMaker 1's root logger is Connect's; other loggers keep their names."""
    if not raw:
        return None
    if raw.get("type") != "inline":
        notes.append("logging: the external configuration is kept; MirrorMaker 2 logs through Kafka Connect's "
                     "loggers (connect.root.logger.level)")
        return raw
    loggers = {("connect.root.logger.level" if name == "mirrormaker.root.logger" else name): level
               for name, level in (raw.get("loggers") or {}).items()}
    return {"type": "inline", "loggers": loggers}


def equivalent_yaml(document: Document) -> str:
    """The equivalent as a YAML document, its notes as comments above it."""
    resource, notes = equivalent(document.data)
    header = [f"# The KafkaMirrorMaker2 equivalent to {document.named()} ({document.span})."]
    header += [f"# {note}" for note in notes]
    body = yaml.safe_dump(resource, sort_keys=False, default_flow_style=False, width=1000)
    return "\n".join(header) + "\n" + body
