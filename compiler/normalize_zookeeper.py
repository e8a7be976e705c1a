"""spec.zookeeper: the ZooKeeper ensemble of a Kafka 3.7 to 3.9 cluster.

Part of the normalize stage. Strimzi's v1beta2 API ran ZooKeeper beside the
brokers until Kafka 4.0 removed ZooKeeper mode; the options Strimzi sets itself
are refused here with their position, as kafkac refuses the broker options it owns.
"""

from __future__ import annotations

from collections.abc import Callable

from .container_env import reserved_names
from .findings import Finding, error, info, warning
from .document import Document
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
# Strimzi's states of the migration from ZooKeeper to KRaft, in their order; rollback
# goes from migration back to disabled.
KRAFT_STATES = ("disabled", "migration", "enabled", "rollback")

ConfigMapValue = Callable[[Document, tuple, str, str, list], "str | None"]


def in_zookeeper_mode(doc: Document, findings: list[Finding]) -> bool:
    """Whether the brokers keep (or still reach) their metadata in ZooKeeper: spec.zookeeper
    without Strimzi's `strimzi.io/kraft: enabled`, which makes Strimzi ignore spec.zookeeper.
    `migration` and `rollback` are steps of the way to KRaft controllers (kraft_migration)."""
    if doc.get("spec", "zookeeper") is None:
        return False
    kraft = doc.annotations.get(KRAFT_ANNOTATION, "disabled")
    if kraft == "enabled" and zookeeper_release(doc):
        return False  # the migration's step "enabled": kraft_migration
    if kraft == "enabled":
        findings.append(warning(
            "zookeeper.ignored", f"spec.zookeeper is ignored: the Kafka says {KRAFT_ANNOTATION}: enabled, "
            "so its KafkaNodePools' controllers keep the metadata (Strimzi ignores it too)",
            doc.span_of(("spec", "zookeeper"), key=True), ("spec", "zookeeper"),
            "no spec.zookeeper in a KRaft cluster"))
        return False
    if kraft not in KRAFT_STATES:
        path = ("metadata", "annotations", KRAFT_ANNOTATION)
        findings.append(error(
            "zookeeper.migration", f"{KRAFT_ANNOTATION}: {kraft!r} is not a state of Strimzi's migration "
            "from ZooKeeper to KRaft", doc.span_of(path), path, " or ".join(repr(s) for s in KRAFT_STATES)))
    return True


def migration_ends(doc: Document) -> bool:
    """The migration's step "enabled": spec.zookeeper still written, on a Kafka with a ZooKeeper
    mode (written: 3.7 to 3.9), whose ensemble runs until spec.zookeeper is removed."""
    return (doc.get("spec", "zookeeper") is not None and doc.annotations.get(KRAFT_ANNOTATION) == "enabled"
            and zookeeper_release(doc))


def zookeeper_release(doc: Document) -> bool:
    """spec.kafka.version is written and has a ZooKeeper mode (3.7 to 3.9)."""
    version = doc.get("spec", "kafka", "version")
    return isinstance(version, str) and kafka_minor(version) in ZOOKEEPER_RELEASES


def kraft_migration(doc: Document, has_controller_pool: bool, findings: list[Finding]) -> str | None:
    """The migration step the Kafka's strimzi.io/kraft states, with the notes of what to do next.

    None when there is nothing to migrate: ZooKeeper without a controller pool, or a KRaft
    cluster that never had spec.zookeeper (or runs Kafka 4, which has no ZooKeeper).
    """
    kraft = doc.annotations.get(KRAFT_ANNOTATION, "disabled")
    path = ("metadata", "annotations", KRAFT_ANNOTATION)
    if doc.get("spec", "zookeeper") is None or kraft not in KRAFT_STATES:
        return None
    if kraft == "enabled" and not zookeeper_release(doc):
        return None
    elif kraft == "disabled" and not has_controller_pool:
        return None
    if kraft == "migration" and not has_controller_pool:
        findings.append(error(
            "zookeeper.migration-controllers", f"{KRAFT_ANNOTATION}: migration needs the KRaft controllers "
            "that take the metadata over from ZooKeeper, and the Kafka has no KafkaNodePool with the "
            "controller role", doc.span_of(path), path,
            "a KafkaNodePool with roles [controller] and replicas > 0 (3 or 5), labelled for this Kafka"))
    span = doc.span_of(path) if doc.annotations.get(KRAFT_ANNOTATION) else doc.span_of(("metadata", "name"))
    findings.append(info("zookeeper.migration-step", migration_note(doc.name, kraft), span, path,
                         NEXT_MIGRATION_STEP[kraft]))
    return kraft


# What the annotation says next, from each state of the migration (the upgrade policy
# upgrade.kraft-migration refuses any other change).
NEXT_MIGRATION_STEP = {
    "disabled": f"{KRAFT_ANNOTATION}: migration, to start the migration",
    "migration": f"{KRAFT_ANNOTATION}: enabled once the migration finished, or {KRAFT_ANNOTATION}: rollback",
    "enabled": "no spec.zookeeper, once every controller runs without migration mode",
    "rollback": f"{KRAFT_ANNOTATION}: disabled, once /controller and /migration are deleted in ZooKeeper",
}


def migration_note(cluster: str, state: str) -> str:
    """What this step's chart does, how to see it finished, and the next step (or the way back)."""
    zookeeper = f"kubectl exec {cluster}-zookeeper-0 -- /opt/kafka/bin/zookeeper-shell.sh " \
        "localhost:12181"
    quorum = ("kubectl exec <a controller pod> -- /opt/kafka/bin/kafka-metadata-quorum.sh "
              "--bootstrap-controller localhost:9090 --command-config <the node's TLS client properties> "
              "describe --status")
    notes = {
        "disabled": (
            f"migration from ZooKeeper, before it starts: the controller pool is declared but not deployed; "
            f"the brokers keep their metadata in ZooKeeper. Step 1 of 3: set {KRAFT_ANNOTATION}: migration "
            "(the brokers' inter.broker.protocol.version must be their Kafka release's)"),
        "migration": (
            "migration from ZooKeeper, step 1 of 3: the controllers start in migration mode, formatted "
            "with ZooKeeper's own cluster id (read from /cluster/id) and connected to ZooKeeper; the brokers "
            "roll with zookeeper.metadata.migration.enable and controller.quorum.voters, and register with "
            "the controllers, which then copy the metadata from ZooKeeper and keep writing it to both. "
            "Finished when the active controller logs \"Completed migration of metadata from ZooKeeper to "
            "KRaft\" and its metric kafka.controller:type=KafkaController,name=ZkMigrationState is 1 "
            f"(MIGRATION) ({quorum} names the leader). Next, step 2: {KRAFT_ANNOTATION}: enabled. To go back "
            f"instead: {KRAFT_ANNOTATION}: rollback"),
        "enabled": (
            "migration from ZooKeeper, step 2 of 3: the brokers roll into KRaft mode (node.id, no "
            "zookeeper.connect, the StandardAuthorizer), and each controller waits until every broker reads "
            "the metadata log (an observer of the quorum) before it restarts without migration mode. "
            "Finished when kafka-metadata-quorum describe --replication "
            "lists every broker as an Observer and the controllers run without "
            "zookeeper.metadata.migration.enable. ZooKeeper still runs, for the controllers in migration "
            "mode until they restart. There is no way back to ZooKeeper from here. Step 3: remove "
            "spec.zookeeper, which removes the ensemble (and, once its pods are gone, delete its claims "
            f"data-{cluster}-zookeeper-<n>); a cluster that never ran on ZooKeeper removes it now"),
        "rollback": (
            "migration from ZooKeeper, rolled back: the controllers are no longer deployed and the brokers, "
            "still in migration mode, keep serving from ZooKeeper. Then delete the znode the controllers "
            f"held, so that a broker becomes ZooKeeper's controller again: {zookeeper} deleteall /controller "
            f"(and deleteall /migration), and set {KRAFT_ANNOTATION}: disabled, which rolls the brokers out "
            "of migration mode. The controllers' claims are left: delete them before a new migration"),
    }
    return notes[state]


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
    findings += reserved_names(doc, ("spec", "zookeeper", "template"), ("zookeeperContainer",),
                               "zookeeper.env-reserved")
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
