"""A node's configuration files: server.properties, log4j2.properties, and the JVM's options.

Placed by templates/broker/configmap.yaml (the files) and statefulset.yaml (the
JVM's environment).
"""

from __future__ import annotations

import re

from ..properties import config_text, property_line
from ..quantities import quantity_bytes
from ..model import Cluster, JvmOptions, Listener, Logging, NodePool
from .metrics import metrics_reporter_properties
from .naming import CONTROL_PLANE, REPLICATION, ZOOKEEPER_CLIENT_PORT, cluster_names, zookeeper_names
from .pods import CLIENTS_CA_CERT, CLUSTER_CA_CERT, NODE_KEYSTORE, WORK_DIR

_STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# Kafka 3.x's authorizer of ACLs kept in ZooKeeper.
_ZOOKEEPER_ACL_AUTHORIZER = "kafka.security.authorizer.AclAuthorizer"
_SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
_ALLOW_EVERYONE = "allow.everyone.if.no.acl.found"
_HEAP_SHARE_OF_MEMORY = 0.5
_HEAP_MAX_BYTES = 5 * 1024 ** 3
LOG4J2_FILE = "log4j2.properties"
LOG4J_FILE = "log4j.properties"
# Kafka's own defaults from kafka-run-class.sh; user -XX options come after and win.
_KAFKA_JVM_PERFORMANCE_DEFAULTS = ("-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                                  "-XX:InitiatingHeapOccupancyPercent=35",
                                  "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true")
# The default log4j2 configuration: every event to stdout, one line each.
_DEFAULT_LOGGERS = {
    "rootLogger.level": "INFO",
    "logger.request.name": "kafka.request.logger",
    "logger.request.level": "WARN",
    "logger.controller.name": "org.apache.kafka.controller",
    "logger.controller.level": "INFO",
    "logger.statechange.name": "state.change.logger",
    "logger.statechange.level": "INFO",
}
# The line format of everything the chart runs (README, "Logging"); the Jobs' Kafka
# tools use it too (files/tools-log4j2.properties). The line breaks of a message
# or a stack trace are written as the two characters \n: one event, one line.
LOG4J2_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}{UTC} %p [%t] %c: %enc{%m%notEmpty{ %ex}}{CRLF}%n"
_LOG4J2_APPENDER = (
    "appender.stdout.type=Console",
    "appender.stdout.name=STDOUT",
    "appender.stdout.target=SYSTEM_OUT",
    "appender.stdout.layout.type=PatternLayout",
    f"appender.stdout.layout.pattern={LOG4J2_PATTERN}",
    # The pattern places the stack trace itself, inside the one line.
    "appender.stdout.layout.alwaysWriteExceptions=false",
    "rootLogger.appenderRef.stdout.ref=STDOUT",
)
# Kafka 3.x, its Connect and ZooKeeper log through log4j 1 (reload4j): the same line
# format, with EnhancedPatternLayout for the time zone. log4j 1 cannot encode line
# breaks, so a stack trace follows its event on lines of its own.
LOG4J_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}{UTC} %p [%t] %c: %m%n"
_LOG4J_APPENDER = (
    "log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender",
    "log4j.appender.CONSOLE.layout=org.apache.log4j.EnhancedPatternLayout",
    f"log4j.appender.CONSOLE.layout.ConversionPattern={LOG4J_PATTERN}",
)
# The loggers of _DEFAULT_LOGGERS, by name.
_DEFAULT_LOG4J_LOGGERS = {"kafka.request.logger": "WARN", "org.apache.kafka.controller": "INFO",
                          "state.change.logger": "INFO"}


def zookeeper_broker(cluster: Cluster, pool: NodePool) -> bool:
    """A broker registered in ZooKeeper (broker.id), in migration mode or not."""
    return cluster.brokers_in_zookeeper and pool.is_broker


def migrating(cluster: Cluster) -> bool:
    """Whether every node, broker and controller, runs with zookeeper.metadata.migration.enable:
    during the migration, and its rollback (which leaves the brokers as they are until
    strimzi.io/kraft: disabled)."""
    return cluster.zookeeper is not None and cluster.kraft_migration in ("migration", "rollback")


def server_properties(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> str:
    """The static part of the node's server.properties.

    kafka-run.sh appends what depends on the pod's identity: node.id (broker.id in
    ZooKeeper mode), log.dirs, metadata.log.dir, controller.quorum.voters (or, in a
    dynamic quorum, controller.quorum.bootstrap.servers), advertised.listeners.
    """
    lines = [f"# Node pool {pool.name} of Kafka cluster {cluster.name}."]
    in_zookeeper_mode = zookeeper_broker(cluster, pool)
    has_controllers = bool(cluster.controllers)
    if in_zookeeper_mode and not has_controllers:
        lines += ["# broker.id, log.dirs and advertised.listeners are appended at start-up",
                  "# from the pod's identity."]
    elif in_zookeeper_mode:
        lines += ["# broker.id, log.dirs, controller.quorum.voters and advertised.listeners are",
                  "# appended at start-up from the pod's identity."]
    elif cluster.controller_quorum == "dynamic":
        lines += ["# node.id, log.dirs, metadata.log.dir, controller.quorum.bootstrap.servers and",
                  "# advertised.listeners are appended at start-up from the pod's identity."]
    else:
        lines += ["# node.id, log.dirs, metadata.log.dir, controller.quorum.voters and",
                  "# advertised.listeners are appended at start-up from the pod's identity."]
    props: list[tuple[str, str]] = []
    if not in_zookeeper_mode:
        props.append(("process.roles", ",".join(pool.roles)))
    if has_controllers:
        props.append(("controller.listener.names", CONTROL_PLANE.identifier))
    props += [
        ("listeners", ",".join(f"{l.identifier}://0.0.0.0:{l.port}" for l in listeners)),
        ("listener.security.protocol.map", ",".join(
            f"{l.identifier}:{l.security_protocol}"
            for l in (*((CONTROL_PLANE,) if has_controllers else ()), REPLICATION, *cluster.listeners))),
    ]
    if in_zookeeper_mode or migrating(cluster):
        props.extend(_zookeeper_client_properties(cluster))
    if migrating(cluster):
        # Kafka's ZooKeeper to KRaft migration: the controllers copy ZooKeeper's metadata and
        # write it to both; the brokers register with them.
        props.append(("zookeeper.metadata.migration.enable", "true"))
    if pool.is_broker or migrating(cluster):
        # A migrating controller sends the ZooKeeper brokers their metadata on their listener.
        props.append(("inter.broker.listener.name", REPLICATION.identifier))
    if pool.is_controller and cluster.controller_quorum == "dynamic":
        # A new controller adds itself to a dynamic quorum (KIP-853); the rebalance Job
        # removes the ones a change takes away, once their pods are gone.
        props.append(("controller.quorum.auto.join.enable", "true"))
    # Every node is a client of the controller listener; brokers also serve and
    # use the replication listener. Both require the peer's node certificate and
    # check that the server's certificate names the address it was reached at.
    # The key store password is added at start-up from the node certificate Secret.
    for listener in _internal_listeners(cluster, pool):
        prefix = f"listener.name.{listener.identifier.lower()}"
        props.extend([
            (f"{prefix}.ssl.client.auth", "required"),
            (f"{prefix}.ssl.keystore.type", "PKCS12"),
            (f"{prefix}.ssl.keystore.location", NODE_KEYSTORE),
            (f"{prefix}.ssl.truststore.type", "PEM"),
            (f"{prefix}.ssl.truststore.location", CLUSTER_CA_CERT),
            (f"{prefix}.ssl.endpoint.identification.algorithm", "HTTPS"),
        ])
    if pool.is_broker:
        for listener in cluster.listeners:
            props.extend(_client_listener_properties(listener))
        props.extend(_listener_limits(cluster))
    props.extend(_authorization_properties(cluster, pool))
    reporter = metrics_reporter_properties(cluster)
    props.extend(reporter)
    lines.extend(property_line(k, v) for k, v in props)
    user_config = {k: v for k, v in cluster.config.items() if k not in dict(reporter)}
    if user_config:
        lines.append("# spec.kafka.config")
        lines.extend(property_line(k, config_text(v))
                     for k, v in user_config.items())
    return "\n".join(lines) + "\n"


def _internal_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    """The internal listeners a node serves or connects to as a client: the controller listener
    (none in ZooKeeper mode before a migration), and a broker's or migrating controller's
    replication listener."""
    listeners = [CONTROL_PLANE] if cluster.controllers else []
    if pool.is_broker or migrating(cluster):
        listeners.append(REPLICATION)
    return listeners


def _zookeeper_client_properties(cluster: Cluster) -> list[tuple[str, str]]:
    """The brokers reach ZooKeeper's client Service over TLS with the node certificate, as in
    Strimzi, and check that ZooKeeper's certificate names the Service. The key store password
    is added at start-up from the node certificate Secret."""
    return [
        ("zookeeper.connect", f"{zookeeper_names(cluster).client_service}:{ZOOKEEPER_CLIENT_PORT}"),
        ("zookeeper.clientCnxnSocket", "org.apache.zookeeper.ClientCnxnSocketNetty"),
        ("zookeeper.ssl.client.enable", "true"),
        ("zookeeper.ssl.keystore.type", "PKCS12"),
        ("zookeeper.ssl.keystore.location", NODE_KEYSTORE),
        ("zookeeper.ssl.truststore.type", "PEM"),
        ("zookeeper.ssl.truststore.location", CLUSTER_CA_CERT),
    ]


def node_cert_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    """Listeners whose key store is the node certificate (their password is added at start-up)."""
    listeners = _internal_listeners(cluster, pool)
    if pool.is_broker:
        listeners += [l for l in cluster.listeners if l.tls and not l.cert_secret]
    return listeners


def _client_listener_properties(listener: Listener) -> list[tuple[str, str]]:
    """A client listener's key store, and how its clients authenticate."""
    prefix = f"listener.name.{listener.identifier.lower()}"
    props = []
    if listener.tls and listener.cert_secret:
        props.extend([(f"{prefix}.ssl.keystore.type", "PEM"),
                      (f"{prefix}.ssl.keystore.location", f"{WORK_DIR}/{listener.identifier.lower()}.pem")])
    elif listener.tls:
        props.extend([(f"{prefix}.ssl.keystore.type", "PKCS12"),
                      (f"{prefix}.ssl.keystore.location", NODE_KEYSTORE)])
    if listener.authentication == "tls":
        # Only certificates of the clients CA: a node certificate is no client identity here.
        props.extend([(f"{prefix}.ssl.client.auth", "required"),
                      (f"{prefix}.ssl.truststore.type", "PEM"),
                      (f"{prefix}.ssl.truststore.location", CLIENTS_CA_CERT)])
    elif listener.authentication == "scram-sha-512":
        props.extend([(f"{prefix}.sasl.enabled.mechanisms", "SCRAM-SHA-512"),
                      (f"{prefix}.scram-sha-512.sasl.jaas.config", _SCRAM_LOGIN_MODULE)])
    return props


def _listener_limits(cluster: Cluster) -> list[tuple[str, str]]:
    """Per-listener connection limits (`maxConnections`, `maxConnectionCreationRate`)."""
    props = []
    for listener in cluster.listeners:
        prefix = f"listener.name.{listener.identifier.lower()}"
        if listener.max_connections is not None:
            props.append((f"{prefix}.max.connections", str(listener.max_connections)))
        if listener.max_connection_creation_rate is not None:
            props.append((f"{prefix}.max.connection.creation.rate", str(listener.max_connection_creation_rate)))
    return props


def _node_principal(cluster: Cluster) -> str:
    """The principal Kafka gives the node certificate (its subject in RFC 2253 form)."""
    return f"User:CN={cluster_names(cluster).kafka},O=io.strimzi"


def _kafka_exporter_principal(cluster: Cluster) -> str:
    """The principal Kafka gives Kafka Exporter's certificate."""
    return f"User:CN={cluster_names(cluster).kafka_exporter},O=io.strimzi"


def _authorization_properties(cluster: Cluster, pool: NodePool) -> list[tuple[str, str]]:
    """Kafka's ACL authorizer, on brokers and controllers alike (KRaft authorizes on both): the
    one of ACLs in ZooKeeper on a broker registered there, else the one of the metadata log.

    The nodes are super users: they reach each other, and the chart's Jobs reach
    them, with the node certificate. So is Kafka Exporter, as in Strimzi: it
    describes every topic and consumer group.
    """
    if cluster.authorization is None:
        return []
    super_users = [_node_principal(cluster), *cluster.authorization.super_users]
    if cluster.kafka_exporter is not None:
        super_users.insert(1, _kafka_exporter_principal(cluster))
    authorizer = _ZOOKEEPER_ACL_AUTHORIZER if zookeeper_broker(cluster, pool) else _STANDARD_AUTHORIZER
    props = [("authorizer.class.name", authorizer),
             ("super.users", ";".join(dict.fromkeys(super_users)))]
    if _ALLOW_EVERYONE not in cluster.config:
        props.append((_ALLOW_EVERYONE, "false"))
    return props


def logging_file(logging: Logging, kafka_version: str) -> dict:
    """The logging configuration a Kafka node or Connect worker of `kafka_version` reads:
    log4j2's from Kafka 4, log4j 1's (reload4j) before it."""
    if logging_file_name(kafka_version) == LOG4J2_FILE:
        return {"fileName": LOG4J2_FILE, "content": log4j2_properties(logging)}
    return {"fileName": LOG4J_FILE, "content": log4j_properties(
        logging, "Kafka logs to stdout, one event per line (a stack trace on the lines after it).",
        ("kafka.root.logger.level", "connect.root.logger.level"), _DEFAULT_LOG4J_LOGGERS)}


def logging_file_name(kafka_version: str) -> str:
    return LOG4J2_FILE if int(kafka_version.split(".")[0]) >= 4 else LOG4J_FILE


def log4j_java_option(file_name: str, folder: str) -> str:
    """KAFKA_LOG4J_OPTS for the logging file `file_name` in `folder`."""
    if file_name == LOG4J2_FILE:
        return f"-Dlog4j2.configurationFile={folder}/{file_name}"
    return f"-Dlog4j.configuration=file:{folder}/{file_name}"


def log4j_properties(logging: Logging, title: str, root_keys: tuple[str, ...],
                     defaults: dict[str, str]) -> str:
    """A log4j 1 configuration: every event to stdout in the chart's line format. An inline
    logger is a logger name (`log4j.logger.` in front of it is optional) or one of `root_keys`."""
    if logging.type == "external":
        return logging.external_content or ""
    root, loggers = "INFO", dict(defaults)
    for name, level in logging.loggers.items():
        if name in (*root_keys, "log4j.rootLogger", "rootLogger.level"):
            root = level.split(",")[0].strip()
        else:
            loggers[name.removeprefix("log4j.logger.")] = level
    lines = [f"# {title}", f"log4j.rootLogger={root}, CONSOLE", *_LOG4J_APPENDER]
    lines.extend(property_line(f"log4j.logger.{name}", level) for name, level in loggers.items())
    return "\n".join(lines) + "\n"


def log4j2_properties(logging: Logging) -> str:
    """The log4j2 configuration file of every node, in log4j2's properties format."""
    if logging.type == "external":
        return logging.external_content or ""
    loggers = dict(_DEFAULT_LOGGERS)
    for name, level in logging.loggers.items():
        loggers.update(_log4j2_logger_entries(name, level))
    lines = ["# Kafka logs to stdout, one event per line, for the node's log shipper.", *_LOG4J2_APPENDER]
    lines.extend(property_line(k, v) for k, v in loggers.items())
    return "\n".join(lines) + "\n"


def _log4j2_logger_entries(name: str, level: str) -> dict:
    """One inline `loggers` entry as log4j2 properties.

    log4j2 keys (`rootLogger.level`, `logger.<id>.name`, `logger.<id>.level`) are
    taken as they are; a plain logger name (`kafka.request.logger`, or the log4j 1
    form `log4j.logger.kafka.request.logger`) gets an id of its own.
    """
    if name in ("rootLogger.level", "kafka.root.logger.level", "log4j.rootLogger"):
        return {"rootLogger.level": level}
    if name.startswith("logger.") and name.count(".") >= 2 and name.rsplit(".", 1)[1] in ("name", "level"):
        return {name: level}
    logger = name.removeprefix("log4j.logger.")
    logger_id = re.sub(r"[^A-Za-z0-9]", "_", logger)
    return {f"logger.{logger_id}.name": logger, f"logger.{logger_id}.level": level}


def jvm_env(jvm: JvmOptions, resources: dict) -> dict:
    """Kafka's start-script variables for jvmOptions, as Strimzi maps them."""
    env = {}
    heap = " ".join(f"{flag}{value}" for flag, value in (("-Xms", jvm.xms), ("-Xmx", jvm.xmx)) if value)
    if not jvm.xmx and "MaxRAMPercentage" not in jvm.xx:
        heap = heap_options(resources) if not jvm.xms else heap
    if heap:
        env["KAFKA_HEAP_OPTS"] = heap
    if jvm.xx:
        env["KAFKA_JVM_PERFORMANCE_OPTS"] = " ".join([*_KAFKA_JVM_PERFORMANCE_DEFAULTS,
                                                      *(_xx_flag(k, v) for k, v in jvm.xx.items())])
    if jvm.gc_logging:
        env["KAFKA_GC_LOG_OPTS"] = "-Xlog:gc*:stdout:time,tags"
    if jvm.system_properties:
        # Not KAFKA_OPTS, which the container's env may set: the start scripts append these to it,
        # as Strimzi's append STRIMZI_JAVA_SYSTEM_PROPERTIES.
        env["KAFKAC_JAVA_SYSTEM_PROPERTIES"] = " ".join(f"-D{name}={value}" for name, value in jvm.system_properties)
    return env


def _xx_flag(key: str, value: str) -> str:
    """`UseG1GC: "true"` -> `-XX:+UseG1GC`; `MaxGCPauseMillis: "20"` -> `-XX:MaxGCPauseMillis=20`."""
    if value == "true":
        return f"-XX:+{key}"
    if value == "false":
        return f"-XX:-{key}"
    return f"-XX:{key}={value}"


def heap_options(resources: dict) -> str:
    """Half the container's memory, at most 5 GiB, as Strimzi sizes the heap.

    Without a memory limit or request the heap is left to Kafka's start script.
    """
    memory = (resources.get("limits") or {}).get("memory") or (resources.get("requests") or {}).get("memory")
    if memory is None:
        return ""
    heap_bytes = min(int(quantity_bytes(memory) * _HEAP_SHARE_OF_MEMORY), _HEAP_MAX_BYTES)
    heap_mib = max(heap_bytes // 2 ** 20, 64)
    return f"-Xms{heap_mib}m -Xmx{heap_mib}m"
