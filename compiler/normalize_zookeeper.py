"""spec.zookeeper: the ZooKeeper ensemble of a Kafka 3.7 to 3.9 cluster.

Part of the normalize stage. Strimzi's v1beta2 API ran ZooKeeper beside the
brokers until Kafka 4.0 removed ZooKeeper mode; the options Strimzi sets itself
are refused here with their position, as kafkac refuses the broker options it owns.
"""

from __future__ import annotations

from collections.abc import Callable

from .findings import Finding, error, warning
from .load import Document
from .model import JMX_PROMETHEUS_EXPORTER, Logging, Metrics, ZooKeeper, kafka_minor
from .normalize_pools import jvm_options, storage_volumes

# ZookeeperClusterSpec.FORBIDDEN_PREFIXES and FORBIDDEN_PREFIX_EXCEPTIONS of Strimzi's API.
FORBIDDEN_ZOOKEEPER_PREFIXES = (
    "server.", "dataDir", "dataLogDir", "clientPort", "authProvider", "quorum.auth",
    "requireClientAuthScheme", "snapshot.trust.empty", "standaloneEnabled", "reconfigEnabled",
    "4lw.commands.whitelist", "secureClientPort", "ssl.", "serverCnxnFactory", "sslQuorum",
)
FORBIDDEN_ZOOKEEPER_EXCEPTIONS = frozenset({
    "ssl.protocol", "ssl.quorum.protocol", "ssl.enabledProtocols", "ssl.quorum.enabledProtocols",
    "ssl.ciphersuites", "ssl.quorum.ciphersuites", "ssl.hostnameVerification",
    "ssl.quorum.hostnameVerification",
})
# Kafka releases with a ZooKeeper mode that kafkac runs; 4.0 removed it.
ZOOKEEPER_RELEASES = ((3, 7), (3, 8), (3, 9))
# What Strimzi's 0.45 operator, its last with ZooKeeper, deployed by default.
DEFAULT_ZOOKEEPER_KAFKA_VERSION = "3.9.1"

KRAFT_ANNOTATION = "strimzi.io/kraft"

ConfigMapValue = Callable[[Document, tuple, str, str, list], "str | None"]


def in_zookeeper_mode(doc: Document, findings: list[Finding]) -> bool:
    """Whether the cluster keeps its metadata in ZooKeeper: spec.zookeeper without Strimzi's
    `strimzi.io/kraft: enabled`, which makes Strimzi ignore spec.zookeeper."""
    if doc.get("spec", "zookeeper") is None:
        return False
    kraft = doc.annotations.get(KRAFT_ANNOTATION, "disabled")
    if kraft == "enabled":
        findings.append(warning(
            "zookeeper.ignored", f"spec.zookeeper is ignored: the Kafka says {KRAFT_ANNOTATION}: enabled, "
            "so its KafkaNodePools' controllers keep the metadata (Strimzi ignores it too)",
            doc.span_of(("spec", "zookeeper"), key=True), ("spec", "zookeeper"),
            "no spec.zookeeper in a KRaft cluster"))
        return False
    if kraft != "disabled":
        path = ("metadata", "annotations", KRAFT_ANNOTATION)
        findings.append(error(
            "zookeeper.migration", f"{KRAFT_ANNOTATION}: {kraft!r}: the migration from ZooKeeper to KRaft "
            "is not supported yet", doc.span_of(path), path,
            f'"disabled" (or no annotation) to keep ZooKeeper, "enabled" for KRaft with controller pools'))
    return True


def is_forbidden_zookeeper_option(key: str) -> bool:
    if key in FORBIDDEN_ZOOKEEPER_EXCEPTIONS:
        return False
    return any(key.startswith(prefix) for prefix in FORBIDDEN_ZOOKEEPER_PREFIXES)


def zookeeper(doc: Document, version: str, image: str, config_map_value: ConfigMapValue,
              findings: list[Finding]) -> ZooKeeper | None:
    """spec.zookeeper with its defaults, or None without one (or when Kafka `version` has no ZooKeeper)."""
    raw = doc.get("spec", "zookeeper")
    if raw is None:
        return None
    if kafka_minor(version) not in ZOOKEEPER_RELEASES:
        findings.append(error(
            "zookeeper.kafka-version", f"spec.zookeeper: Kafka {version} has no ZooKeeper mode (Kafka 4.0 "
            "removed it); kafkac runs ZooKeeper with Kafka 3.7 to 3.9 only",
            doc.span_of(("spec", "zookeeper"), key=True), ("spec", "zookeeper"),
            f"spec.kafka.version {DEFAULT_ZOOKEEPER_KAFKA_VERSION} (or another 3.7 to 3.9 release) to keep "
            "ZooKeeper, or no spec.zookeeper and KafkaNodePools with the controller role for KRaft"))
        return None
    config = dict(raw.get("config") or {})
    for key in config:
        if is_forbidden_zookeeper_option(key):
            path = ("spec", "zookeeper", "config", key)
            findings.append(error(
                "zookeeper.config-forbidden", f"spec.zookeeper.config: {key!r} is set by kafkac (ports, data "
                "directory, TLS, quorum membership) and cannot be given here", doc.span_of(path, key=True), path,
                "an option outside Strimzi's reserved prefixes, or one of "
                + ", ".join(sorted(FORBIDDEN_ZOOKEEPER_EXCEPTIONS))))
    (volume,) = storage_volumes(raw["storage"])
    return ZooKeeper(
        replicas=raw["replicas"],
        volume=volume,
        image=raw.get("image") or image,
        config=config,
        resources=dict(raw.get("resources") or {}),
        jvm_options=jvm_options(doc, ("spec", "zookeeper", "jvmOptions"), findings),
        logging=_logging(doc, config_map_value, findings),
        metrics=_metrics(doc, config_map_value, findings),
        liveness_probe=dict(raw.get("livenessProbe") or {}),
        readiness_probe=dict(raw.get("readinessProbe") or {}),
        template={k: dict(v or {}) for k, v in (raw.get("template") or {}).items()},
        document=doc,
    )
    return result


def _logging(doc: Document, config_map_value: ConfigMapValue, findings: list[Finding]) -> Logging:
    """ZooKeeper's log4j (1) configuration: inline logger levels or a user's file."""
    raw = doc.get("spec", "zookeeper", "logging")
    if not raw:
        return Logging()
    if raw["type"] == "inline":
        return Logging("inline", loggers=dict(raw.get("loggers") or {}))
    path = ("spec", "zookeeper", "logging", "valueFrom", "configMapKeyRef")
    content = config_map_value(doc, path, "logging", "ZooKeeper's log4j configuration", findings)
    return Logging() if content is None else Logging("external", external_content=content)


def _metrics(doc: Document, config_map_value: ConfigMapValue, findings: list[Finding]) -> Metrics | None:
    """The JMX exporter in every ZooKeeper node, with rules from a ConfigMap (as in Strimzi)."""
    raw = doc.get("spec", "zookeeper", "metricsConfig")
    if not raw:
        return None
    path = ("spec", "zookeeper", "metricsConfig")
    if raw["type"] != JMX_PROMETHEUS_EXPORTER or "valueFrom" not in raw:
        at = path + ("type",) if raw["type"] != JMX_PROMETHEUS_EXPORTER else path
        findings.append(error(
            "zookeeper.metrics", "ZooKeeper's metrics come from the JMX exporter only, with its rules "
            "from a ConfigMap", doc.span_of(at), at,
            f"type: {JMX_PROMETHEUS_EXPORTER} with valueFrom.configMapKeyRef"))
        return None
    content = config_map_value(doc, path + ("valueFrom", "configMapKeyRef"), "metrics",
                               "the Prometheus JMX exporter's configuration for ZooKeeper", findings)
    return None if content is None else Metrics(type=JMX_PROMETHEUS_EXPORTER, exporter_config=content)
