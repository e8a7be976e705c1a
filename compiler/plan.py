"""Stage 5: compute everything the chart's templates place, as plain data.

The result of `plan` is exactly what goes into each chart's `values.yaml`.
Templates only place these values; no decision is left to them.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import itertools
import json
import math
import re
from dataclasses import dataclass

from .model import (DEFAULT_KUBECTL_IMAGE, JMX_PROMETHEUS_EXPORTER, STRIMZI_KAFKA_IMAGE, STRIMZI_METRICS_REPORTER,
                    Cluster, ClusterCa, JvmOptions, KafkaExporter, Listener, Logging, NodePool, User, Volume)
from .properties import config_text, escape_key, escape_value
from .quantities import quantity_bytes
from .topics import spec_shards
from .users import acl_lines, quota_lines, secret_metadata, users_lines

# The internal listeners are TLS with client authentication, as in Strimzi: every
# node presents the node certificate and trusts only the cluster CA.
CONTROL_PLANE = Listener(name="controlplane", port=9090, type="internal", tls=True)
REPLICATION = Listener(name="replication", port=9091, type="internal", tls=True)

KAFKA_UID = 1000  # the apache/kafka image runs as appuser, uid and gid 1000
CONFIG_DIR = "/opt/kafka/custom-config"
SCRIPTS_DIR = "/opt/kafka/kafkac"
CERTIFICATES_DIR = "/opt/kafka/certificates"  # listeners' own certificates (brokerCertChainAndKey)
CLUSTER_CA_CERTS_DIR = "/opt/kafka/cluster-ca-certs"  # ca.crt of the cluster CA
NODE_CERTS_DIR = "/opt/kafka/node-certs"  # node.p12 and node.password
NODE_KEYSTORE = f"{NODE_CERTS_DIR}/node.p12"
CLUSTER_CA_CERT = f"{CLUSTER_CA_CERTS_DIR}/ca.crt"
CLIENTS_CA_CERTS_DIR = "/opt/kafka/clients-ca-certs"  # ca.crt of the clients CA
CLIENTS_CA_CERT = f"{CLIENTS_CA_CERTS_DIR}/ca.crt"
STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
ALLOW_EVERYONE = "allow.everyone.if.no.acl.found"
# Strimzi's subject of the cluster CA and of the nodes' certificates (its node principal).
CA_SUBJECT = "CN=cluster-ca v0, O=io.strimzi"
CLIENTS_CA_SUBJECT = "CN=clients-ca v0, O=io.strimzi"
CLUSTER_DOMAIN = "cluster.local"
CERTS_SCRIPTS_DIR = "/opt/kafkac/scripts"
CERTS_WORK_DIR = "/var/run/kafkac"
WORK_DIR = "/tmp/kafka"
HEAP_SHARE_OF_MEMORY = 0.5
HEAP_MAX_BYTES = 5 * 1024 ** 3
TMP_SIZE_LIMIT = "100Mi"
RACK_INIT_DIR = "/opt/kafka/init"
LOG4J2_FILE = "log4j2.properties"
# Kafka's own defaults from kafka-run-class.sh; user -XX options come after and win.
KAFKA_JVM_PERFORMANCE_DEFAULTS = ("-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                                  "-XX:InitiatingHeapOccupancyPercent=35",
                                  "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true")
PROBE_DEFAULTS = {"initialDelaySeconds": 15, "timeoutSeconds": 5}
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": KAFKA_UID,
    "runAsGroup": KAFKA_UID,
    "fsGroup": KAFKA_UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
# template.pod fields that are pod spec fields under the same name.
POD_SPEC_FIELDS = ("affinity", "tolerations", "topologySpreadConstraints", "priorityClassName",
                   "schedulerName", "hostAliases", "dnsPolicy", "dnsConfig", "imagePullSecrets",
                   "hostUsers")
# The default log4j2 configuration: every event to stdout, one line each.
DEFAULT_LOGGERS = {
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
LOG4J2_APPENDER = (
    "appender.stdout.type=Console",
    "appender.stdout.name=STDOUT",
    "appender.stdout.target=SYSTEM_OUT",
    "appender.stdout.layout.type=PatternLayout",
    f"appender.stdout.layout.pattern={LOG4J2_PATTERN}",
    # The pattern places the stack trace itself, inside the one line.
    "appender.stdout.layout.alwaysWriteExceptions=false",
    "rootLogger.appenderRef.stdout.ref=STDOUT",
)

@dataclass(frozen=True)
class ChartPlan:
    """One chart to emit: its name, Chart.yaml metadata and values."""

    name: str
    kafka_version: str
    values: dict


def plan(clusters: list[Cluster]) -> list[ChartPlan]:
    return [ChartPlan(c.name, c.kafka_version, cluster_values(c)) for c in clusters]


def cluster_values(cluster: Cluster) -> dict:
    headless = f"{cluster.name}-kafka-brokers"
    return {
        "cluster": {
            "name": cluster.name,
            "clusterId": cluster_id(cluster),
            "kafkaVersion": cluster.kafka_version,
            "metadataVersion": cluster.metadata_version or "",
        },
        "image": {"name": cluster.image, "pullPolicy": "IfNotPresent"},
        "commonLabels": common_labels(cluster),
        "services": {
            "bootstrap": {
                "name": f"{cluster.name}-kafka-bootstrap",
                # The replication port too, as in Strimzi: Kafka Exporter bootstraps from it.
                "ports": [service_port(listener) for listener in (REPLICATION, *cluster.listeners)
                          if not listener.has_own_services],
                **metadata_of(cluster.bootstrap_service_template),
                **service_ip_families(cluster.bootstrap_service_template),
            },
            "brokers": {
                "name": headless,
                "ports": [service_port(listener)
                          for listener in (CONTROL_PLANE, REPLICATION, *cluster.listeners)
                          if not listener.has_own_services],
                **metadata_of(cluster.brokers_service_template),
                **service_ip_families(cluster.brokers_service_template),
            },
        },
        "podDisruptionBudget": {
            "name": f"{cluster.name}-kafka",
            "maxUnavailable": cluster.pod_disruption_budget_template.get("maxUnavailable", 1),
            **metadata_of(cluster.pod_disruption_budget_template),
        },
        "serviceAccount": {"name": f"{cluster.name}-kafka",
                           **metadata_of(cluster.service_account_template)},
        "certificates": certificates(cluster),
        "rackAwareness": rack_awareness(cluster),
        "logging": {"fileName": LOG4J2_FILE, "content": log4j2_properties(cluster.logging)},
        "nodePools": [pool_values(cluster, pool) for pool in cluster.pools],
        "kafkaClient": kafka_client(cluster),
        "topics": topics_values(cluster),
        "listenerObjects": listener_objects(cluster),
        "addressDiscovery": address_discovery(cluster),
        "networkPolicy": network_policy(cluster),
        "users": users_values(cluster),
        "metrics": metrics_values(cluster),
        "kafkaExporter": kafka_exporter_values(cluster),
        "prometheusOperator": prometheus_operator_values(cluster),
    }


def certificates(cluster: Cluster) -> dict:
    """The CA and node certificate Secrets, and the hook Job that creates what is absent."""
    bootstrap, brokers = f"{cluster.name}-kafka-bootstrap", f"{cluster.name}-kafka-brokers"
    name = f"{cluster.name}-kafka-certificates"
    node_secret = f"{cluster.name}-kafka-node-certs"
    # Each name is certified in its four forms: name, name.<ns>, name.<ns>.svc
    # and name.<ns>.svc.<clusterDomain>; the wildcard covers every pod.
    dns_names = [bootstrap, brokers, f"*.{brokers}", *cluster_ip_service_names(cluster)]
    # Addresses of listeners with their own Services, known at compile time, as they are.
    external_dns_names, external_ips = external_names(cluster)
    return {
        "clusterCaCertSecret": f"{cluster.name}-cluster-ca-cert",
        "clusterCaSecret": f"{cluster.name}-cluster-ca",
        "nodeCertSecret": node_secret,
        "generateCertificateAuthority": cluster.cluster_ca.generate,
        "validityDays": cluster.cluster_ca.validity_days,
        "renewalDays": cluster.cluster_ca.renewal_days,
        "caSubject": CA_SUBJECT,
        "nodeSubject": f"CN={cluster.name}-kafka, O=io.strimzi",
        "dnsNames": dns_names,
        "externalDnsNames": external_dns_names,
        "externalIpAddresses": external_ips,
        "addressObjects": address_objects(cluster),
        "clusterDomain": CLUSTER_DOMAIN,
        "kafkaExporter": kafka_exporter_certificate(cluster),
        "certManager": cluster_cert_manager(cluster, node_secret, dns_names, external_dns_names, external_ips),
        # Signs the KafkaUsers' certificates; `authentication: tls` listeners trust only it.
        "clientsCa": {
            "certSecret": f"{cluster.name}-clients-ca-cert",
            "secret": f"{cluster.name}-clients-ca",
            "generateCertificateAuthority": cluster.clients_ca.generate,
            "subject": CLIENTS_CA_SUBJECT,
            "validityDays": cluster.clients_ca.validity_days,
            "renewalDays": cluster.clients_ca.renewal_days,
            "certManager": cert_manager_issuer(cluster.clients_ca),
        },
        "secretLabels": {
            "app.kubernetes.io/name": "kafka",
            "app.kubernetes.io/instance": cluster.name,
            "strimzi.io/cluster": cluster.name,
            "strimzi.io/kind": "Kafka",
        },
        "podLabels": hook_pod_labels(cluster, "certificates"),
        "job": {
            "name": name,
            "scriptsConfigMapName": f"{name}-scripts",
            "kubectlImage": {"name": DEFAULT_KUBECTL_IMAGE, "pullPolicy": "IfNotPresent"},
            "tlsToolsImage": {"name": STRIMZI_KAFKA_IMAGE, "pullPolicy": "IfNotPresent"},
            "scriptsDir": CERTS_SCRIPTS_DIR,
            "workDir": CERTS_WORK_DIR,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "kubectlResources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                 "limits": {"memory": "128Mi"}},
            "keytoolResources": {"requests": {"cpu": "200m", "memory": "256Mi"},
                                 "limits": {"memory": "256Mi"}},
        },
    }


# Seconds the certificates Job waits for cert-manager to issue what it asked for.
CERT_MANAGER_WAIT_SECONDS = 300


def cert_manager_issuer(ca: ClusterCa) -> dict | None:
    """A CA of type cert-manager.io: its issuer and the Secret key holding the CA certificates to
    trust; null for a CA whose certificates kafkac's Jobs sign."""
    if ca.cert_manager is None:
        return None
    cm = ca.cert_manager
    return {"issuerRef": {"name": cm.issuer_name, "kind": cm.issuer_kind, "group": cm.issuer_group},
            "caCert": {"secretName": cm.ca_cert_secret, "certificate": cm.ca_cert_key},
            "waitSeconds": CERT_MANAGER_WAIT_SECONDS}


def cert_manager_certificate(ca: ClusterCa, secret: str, common_name: str, usages: list[str], *,
                             organizations: tuple[str, ...] = ("io.strimzi",), days: tuple[int, int] | None = None,
                             cluster_dns_names: list[str] = (), dns_names: list[str] = (),
                             ip_addresses: list[str] = ()) -> dict:
    """A cert-manager Certificate a Job applies, for the certificate kafkac keeps in Secret `secret`:
    cert-manager writes it to `<secret>-cm`, the Job copies it with Strimzi's keys. Its subject is
    CN=`common_name` with `organizations`; it is valid `days` (validity, renewal), the CA's by default.
    `clusterDnsNames` get their in-cluster forms (namespace, cluster domain) when the chart renders."""
    validity, renewal = days or (ca.validity_days, ca.renewal_days)
    spec = {
        "secretName": f"{secret}-cm",
        "commonName": common_name,
        **({"subject": {"organizations": list(organizations)}} if organizations else {}),
        "usages": ["digital signature", "key encipherment", *usages],
        "duration": f"{validity * 24}h",
        "renewBefore": f"{renewal * 24}h",
        "privateKey": {"algorithm": "RSA", "size": 2048, "encoding": "PKCS8", "rotationPolicy": "Always"},
        "issuerRef": {"name": ca.cert_manager.issuer_name, "kind": ca.cert_manager.issuer_kind,
                      "group": ca.cert_manager.issuer_group},
    }
    if dns_names:
        spec["dnsNames"] = list(dns_names)
    if ip_addresses:
        spec["ipAddresses"] = list(ip_addresses)
    return {"name": secret, "clusterDnsNames": list(cluster_dns_names), "spec": spec}


def cluster_cert_manager(cluster: Cluster, node_secret: str, dns_names: list[str], external_dns_names: list[str],
                         external_ips: list[str]) -> dict | None:
    """With spec.clusterCa type cert-manager.io: the issuer, and the Certificates of the node and
    Kafka Exporter certificates; else null."""
    issuer = cert_manager_issuer(cluster.cluster_ca)
    if issuer is None:
        return None
    certificates = [cert_manager_certificate(cluster.cluster_ca, node_secret, f"{cluster.name}-kafka",
                                             ["server auth", "client auth"], cluster_dns_names=dns_names,
                                             dns_names=external_dns_names, ip_addresses=external_ips)]
    if cluster.kafka_exporter is not None:
        certificates.append(cert_manager_certificate(
            cluster.cluster_ca, kafka_exporter_certificate(cluster)["secret"], kafka_exporter_name(cluster),
            ["client auth"]))
    return {**issuer, "certificates": certificates}


def kafka_exporter_certificate(cluster: Cluster) -> dict | None:
    """Kafka Exporter's client certificate, signed by the cluster CA; null without spec.kafkaExporter."""
    if cluster.kafka_exporter is None:
        return None
    return {"secret": f"{cluster.name}-kafka-exporter-certs",
            "subject": f"CN={kafka_exporter_name(cluster)}, O=io.strimzi"}


def kafka_exporter_name(cluster: Cluster) -> str:
    return f"{cluster.name}-kafka-exporter"


def hook_pod_labels(cluster: Cluster, component: str) -> dict:
    """Labels of a hook Job's pod: without strimzi.io/kind and strimzi.io/name, so that
    the Kafka Services and the PodDisruptionBudget never select it."""
    return {
        "app.kubernetes.io/name": "kafka",
        "app.kubernetes.io/instance": cluster.name,
        "app.kubernetes.io/component": component,
        "strimzi.io/cluster": cluster.name,
    }


def metadata_of(template_section: dict) -> dict:
    """A template section's metadata as `labels` and `annotations` values (empty when unset)."""
    metadata = template_section.get("metadata") or {}
    return {"labels": dict(metadata.get("labels") or {}),
            "annotations": dict(metadata.get("annotations") or {})}


def service_ip_families(template_section: dict) -> dict:
    return {key: template_section[key] for key in ("ipFamilyPolicy", "ipFamilies") if key in template_section}


def rack_awareness(cluster: Cluster) -> dict | None:
    """RBAC for reading the node a broker runs on: its topology label (topology-label racks) or
    its addresses (nodeport listeners whose brokers find their address at start-up)."""
    if (cluster.rack is None or cluster.rack.type != "topology-label") and not discovers_node_address(cluster):
        return None
    return {"clusterRoleBindingName": f"{cluster.name}-kafka-init",
            **metadata_of(cluster.cluster_role_binding_template)}


def log4j2_properties(logging: Logging) -> str:
    """The log4j2 configuration file of every node, in log4j2's properties format."""
    if logging.type == "external":
        return logging.external_content or ""
    loggers = dict(DEFAULT_LOGGERS)
    for name, level in logging.loggers.items():
        loggers.update(log4j2_logger_entries(name, level))
    lines = ["# Kafka logs to stdout, one event per line, for the node's log shipper.", *LOG4J2_APPENDER]
    lines.extend(f"{escape_key(k)}={escape_value(v)}" for k, v in loggers.items())
    return "\n".join(lines) + "\n"


def log4j2_logger_entries(name: str, level: str) -> dict:
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


def cluster_id(cluster: Cluster) -> str:
    """A KRaft cluster id derived from the cluster's namespace and name.

    Stable across compiles, so re-rendering never changes it; 22 characters of
    URL-safe base64 over 16 bytes, the form Kafka's `Uuid` uses. Like Kafka's
    own `Uuid.randomUuid()`, never one that starts with "-": `kafka-storage
    format --cluster-id -…` would read it as an option.
    """
    seed = f"kafkac/cluster-id/{cluster.namespace or ''}/{cluster.name}"
    for attempt in itertools.count():
        # The first attempt hashes the plain seed, so ids kafkac gave before stay the same.
        text = seed if attempt == 0 else f"{seed}/{attempt}"
        digest = hashlib.sha256(text.encode()).digest()[:16]
        candidate = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def common_labels(cluster: Cluster) -> dict:
    return {
        "app.kubernetes.io/name": "kafka",
        "app.kubernetes.io/instance": cluster.name,
        "app.kubernetes.io/version": cluster.kafka_version,
        "strimzi.io/cluster": cluster.name,
        "strimzi.io/kind": "Kafka",
        "strimzi.io/name": f"{cluster.name}-kafka",
    }


def service_port(listener: Listener) -> dict:
    return {"name": port_name(listener), "port": listener.port, "targetPort": listener.port,
            "protocol": "TCP"}


def port_name(listener: Listener) -> str:
    """Strimzi's port names: `tcp-ctrlplane`, `tcp-replication`, `tcp-<listener>`."""
    if listener is CONTROL_PLANE:
        return "tcp-ctrlplane"
    return f"tcp-{listener.name}"


def pool_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    listeners = []
    if pool.is_controller:
        listeners.append(CONTROL_PLANE)
    if pool.is_broker:
        listeners.append(REPLICATION)
        listeners.extend(cluster.listeners)
    return listeners


def pool_values(cluster: Cluster, pool: NodePool) -> dict:
    listeners = pool_listeners(cluster, pool)
    probe_port = REPLICATION.port if pool.is_broker else CONTROL_PLANE.port
    pod = pool.template.pod
    labels = pool_labels(pool)
    return {
        "name": pool.name,
        "statefulSetName": f"{cluster.name}-{pool.name}",
        "configMapName": f"{cluster.name}-{pool.name}-config",
        "replicas": pool.replicas,
        "firstNodeId": pool.first_node_id,
        "roles": list(pool.roles),
        "labels": labels,
        "selectorLabels": {
            "strimzi.io/cluster": cluster.name,
            "strimzi.io/kind": "Kafka",
            "strimzi.io/name": f"{cluster.name}-kafka",
            "strimzi.io/pool-name": pool.name,
        },
        "statefulSetMetadata": metadata_of(pool.template.pod_set),
        "podMetadata": metadata_of(pod),
        "serverProperties": server_properties(cluster, pool, listeners),
        "env": pool_env(cluster, pool, listeners),
        "ports": [{"name": port_name(listener), "containerPort": listener.port, "protocol": "TCP"}
                  for listener in listeners] + metrics_container_ports(cluster),
        "probePort": probe_port,
        "readinessProbe": {**PROBE_DEFAULTS, **cluster.readiness_probe},
        "livenessProbe": {**PROBE_DEFAULTS, **cluster.liveness_probe},
        "resources": pool.resources,
        "podSpec": pod_spec(cluster, pool),
        "initContainers": init_containers(cluster, pool) + address_init_container(cluster, pool),
        "advertisedAddresses": advertised_addresses_file(cluster, pool),
        "containerSecurityContext": pool.template.kafka_container.get("securityContext",
                                                                     CONTAINER_SECURITY_CONTEXT),
        "volumes": pool_volumes(cluster, pool),
        "volumeMounts": pool_volume_mounts(cluster, pool),
        "volumeClaimTemplates": volume_claim_templates(cluster, pool),
        "persistentVolumeClaimRetentionPolicy": claim_retention_policy(pool),
    }


def pod_spec(cluster: Cluster, pool: NodePool) -> dict:
    """Pod-level fields: Kafka's defaults, then what template.pod sets."""
    pod = pool.template.pod
    needs_api = pool.is_broker and cluster.rack is not None and cluster.rack.type == "topology-label"
    needs_api = needs_api or bool(address_init_container(cluster, pool))
    spec = {
        "serviceAccountName": f"{cluster.name}-kafka",
        # Only the rack and address init containers talk to the Kubernetes API.
        "automountServiceAccountToken": needs_api,
        "enableServiceLinks": pod.get("enableServiceLinks", False),
        "terminationGracePeriodSeconds": pod.get("terminationGracePeriodSeconds", 30),
        "securityContext": pod.get("securityContext", POD_SECURITY_CONTEXT),
    }
    spec.update({key: pod[key] for key in POD_SPEC_FIELDS if key in pod})
    return spec


def init_containers(cluster: Cluster, pool: NodePool) -> list[dict]:
    """Strimzi's kafka-init, which writes the node's topology label to rack.id."""
    if not (pool.is_broker and cluster.rack and cluster.rack.type == "topology-label"):
        return []
    init = pool.template.init_container
    return [{
        "name": "kafka-init",
        "image": cluster.rack.init_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/opt/strimzi/bin/kafka_init_run.sh"],
        "env": [
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "RACK_TOPOLOGY_KEY", "value": cluster.rack.topology_key},
            {"name": "INIT_FOLDER", "value": RACK_INIT_DIR},
            *init.get("env", []),
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": init.get("securityContext", CONTAINER_SECURITY_CONTEXT),
        "volumeMounts": [{"name": "rack-volume", "mountPath": RACK_INIT_DIR},
                         *init.get("volumeMounts", [])],
    }]


def pool_labels(pool: NodePool) -> dict:
    return {
        "strimzi.io/pool-name": pool.name,
        "strimzi.io/broker-role": str(pool.is_broker).lower(),
        "strimzi.io/controller-role": str(pool.is_controller).lower(),
        "strimzi.io/component-type": "kafka",
    }


def server_properties(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> str:
    """The static part of the node's server.properties.

    kafka-run.sh appends what depends on the pod's identity: node.id,
    log.dirs, metadata.log.dir, controller.quorum.voters, advertised.listeners.
    """
    lines = [
        f"# Node pool {pool.name} of Kafka cluster {cluster.name}.",
        "# node.id, log.dirs, metadata.log.dir, controller.quorum.voters and",
        "# advertised.listeners are appended at start-up from the pod's identity.",
    ]
    props: list[tuple[str, str]] = [
        ("process.roles", ",".join(pool.roles)),
        ("controller.listener.names", CONTROL_PLANE.identifier),
        ("listeners", ",".join(f"{l.identifier}://0.0.0.0:{l.port}" for l in listeners)),
        ("listener.security.protocol.map", ",".join(
            f"{l.identifier}:{l.security_protocol}"
            for l in (CONTROL_PLANE, REPLICATION, *cluster.listeners))),
    ]
    if pool.is_broker:
        props.append(("inter.broker.listener.name", REPLICATION.identifier))
    # Every node is a client of the controller listener; brokers also serve and
    # use the replication listener. Both require the peer's node certificate and
    # check that the server's certificate names the address it was reached at.
    # The key store password is added at start-up from the node certificate Secret.
    for listener in internal_listeners(pool):
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
            props.extend(client_listener_properties(listener))
        props.extend(listener_limits(cluster))
    props.extend(authorization_properties(cluster))
    reporter = metrics_reporter_properties(cluster)
    props.extend(reporter)
    lines.extend(f"{escape_key(k)}={escape_value(v)}" for k, v in props)
    user_config = {k: v for k, v in cluster.config.items() if k not in dict(reporter)}
    if user_config:
        lines.append("# spec.kafka.config")
        lines.extend(f"{escape_key(k)}={escape_value(config_text(v))}"
                     for k, v in user_config.items())
    return "\n".join(lines) + "\n"


def client_listener_properties(listener: Listener) -> list[tuple[str, str]]:
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
                      (f"{prefix}.scram-sha-512.sasl.jaas.config", SCRAM_LOGIN_MODULE)])
    return props


def node_principal(cluster: Cluster) -> str:
    """The principal Kafka gives the node certificate (its subject in RFC 2253 form)."""
    return f"User:CN={cluster.name}-kafka,O=io.strimzi"


def kafka_exporter_principal(cluster: Cluster) -> str:
    """The principal Kafka gives Kafka Exporter's certificate."""
    return f"User:CN={kafka_exporter_name(cluster)},O=io.strimzi"


def authorization_properties(cluster: Cluster) -> list[tuple[str, str]]:
    """Kafka's ACL authorizer, on brokers and controllers alike (KRaft authorizes on both).

    The nodes are super users: they reach each other, and the chart's Jobs reach
    them, with the node certificate. So is Kafka Exporter, as in Strimzi: it
    describes every topic and consumer group.
    """
    if cluster.authorization is None:
        return []
    super_users = [node_principal(cluster), *cluster.authorization.super_users]
    if cluster.kafka_exporter is not None:
        super_users.insert(1, kafka_exporter_principal(cluster))
    props = [("authorizer.class.name", STANDARD_AUTHORIZER),
             ("super.users", ";".join(dict.fromkeys(super_users)))]
    if ALLOW_EVERYONE not in cluster.config:
        props.append((ALLOW_EVERYONE, "false"))
    return props


def internal_listeners(pool: NodePool) -> list[Listener]:
    """The internal listeners a node serves or connects to as a client."""
    return [CONTROL_PLANE, REPLICATION] if pool.is_broker else [CONTROL_PLANE]


def node_cert_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    """Listeners whose key store is the node certificate (their password is added at start-up)."""
    listeners = internal_listeners(pool)
    if pool.is_broker:
        listeners += [l for l in cluster.listeners if l.tls and not l.cert_secret]
    return listeners


def pool_env(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> list[dict]:
    """Plain environment for kafka-run.sh; the pod's own name and namespace come from the API."""
    voters = [f"{node_id}@{cluster.name}-{voter.name}-{node_id}:{CONTROL_PLANE.port}"
              for voter in cluster.controllers for node_id in voter.node_ids]
    advertised = [f"{l.identifier}:{l.port}:{'svc.cluster.local' if l.use_service_dns_domain else 'svc'}"
                  for l in listeners if not l.has_own_services]
    data_dirs = [v.mount_path for v in pool.volumes]
    metadata_dir = next((v.mount_path for v in pool.volumes if v.kraft_metadata), "")
    custom_cert_listeners = [l.identifier.lower() for l in listeners if l.tls and l.cert_secret]
    env = {
        "KAFKAC_CLUSTER_ID": cluster_id(cluster),
        "KAFKAC_METADATA_VERSION": cluster.metadata_version or "",
        "KAFKAC_HEADLESS_SERVICE": f"{cluster.name}-kafka-brokers",
        "KAFKAC_CONTROLLER_VOTERS": " ".join(voters),
        "KAFKAC_ADVERTISED_LISTENERS": " ".join(advertised),
        "KAFKAC_LOG_DIRS": " ".join(data_dirs),
        "KAFKAC_METADATA_LOG_DIR": metadata_dir,
        "KAFKAC_CUSTOM_CERT_LISTENERS": " ".join(custom_cert_listeners),
        "KAFKAC_NODE_CERT_LISTENERS": " ".join(l.identifier.lower()
                                               for l in node_cert_listeners(cluster, pool)),
        "KAFKAC_CONFIG_DIR": CONFIG_DIR,
        "KAFKAC_CERTIFICATES_DIR": CERTIFICATES_DIR,
        "KAFKAC_NODE_CERTS_DIR": NODE_CERTS_DIR,
        "KAFKAC_CLUSTER_CA_CERTS_DIR": CLUSTER_CA_CERTS_DIR,
        "KAFKAC_WORK_DIR": WORK_DIR,
        "KAFKA_LOG4J_OPTS": f"-Dlog4j2.configurationFile={SCRIPTS_DIR}/{LOG4J2_FILE}",
        "LOG_DIR": f"{WORK_DIR}/logs",
        # kafka-server-start.sh adds -loggc by default: GC logs of up to 1 GB in
        # the small scratch volume. GC logging is off unless asked for, as in Strimzi.
        "EXTRA_ARGS": "-name kafkaServer",
    }
    if pool.is_broker and cluster.rack is not None:
        if cluster.rack.type == "topology-label":
            env["KAFKAC_RACK_FILE"] = f"{RACK_INIT_DIR}/rack.id"
        else:
            env["KAFKAC_RACK_ENV_VAR"] = cluster.rack.env_var_name
    env.update(external_address_env(cluster, pool, listeners))
    env.update(jvm_env(pool.jvm_options, pool.resources))
    env.update(metrics_env(cluster))
    user_env = pool.template.kafka_container.get("env", [])
    return [{"name": name, "value": value} for name, value in env.items()] + list(user_env)


def jvm_env(jvm: JvmOptions, resources: dict) -> dict:
    """Kafka's start-script variables for jvmOptions, as Strimzi maps them."""
    env = {}
    heap = " ".join(f"{flag}{value}" for flag, value in (("-Xms", jvm.xms), ("-Xmx", jvm.xmx)) if value)
    if not jvm.xmx and "MaxRAMPercentage" not in jvm.xx:
        heap = heap_options(resources) if not jvm.xms else heap
    if heap:
        env["KAFKA_HEAP_OPTS"] = heap
    if jvm.xx:
        env["KAFKA_JVM_PERFORMANCE_OPTS"] = " ".join([*KAFKA_JVM_PERFORMANCE_DEFAULTS,
                                                      *(xx_flag(k, v) for k, v in jvm.xx.items())])
    if jvm.gc_logging:
        env["KAFKA_GC_LOG_OPTS"] = "-Xlog:gc*:stdout:time,tags"
    if jvm.system_properties:
        env["KAFKA_OPTS"] = " ".join(f"-D{name}={value}" for name, value in jvm.system_properties)
    return env


def xx_flag(key: str, value: str) -> str:
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
    heap_bytes = min(int(quantity_bytes(memory) * HEAP_SHARE_OF_MEMORY), HEAP_MAX_BYTES)
    heap_mib = max(heap_bytes // 2 ** 20, 64)
    return f"-Xms{heap_mib}m -Xmx{heap_mib}m"


def pool_volumes(cluster: Cluster, pool: NodePool) -> list[dict]:
    volumes: list[dict] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": str(pool.template.pod.get("tmpDirSizeLimit", TMP_SIZE_LIMIT))}},
        {"name": "kafka-config", "configMap": {"name": f"{cluster.name}-{pool.name}-config"}},
        {"name": "kafkac-scripts", "configMap": {"name": f"{cluster.name}-kafka-scripts"}},
        # Created by the certificates Job; the pod waits for them to exist.
        {"name": "cluster-ca-cert", "secret": {"secretName": f"{cluster.name}-cluster-ca-cert",
                                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"name": "node-certs", "secret": {"secretName": f"{cluster.name}-kafka-node-certs",
                                          "items": [{"key": "node.p12", "path": "node.p12"},
                                                    {"key": "node.password", "path": "node.password"}]}},
    ]
    for volume in pool.volumes:
        if volume.type == "ephemeral":
            empty_dir = {"sizeLimit": volume.size_limit} if volume.size_limit else {}
            volumes.append({"name": volume.name, "emptyDir": empty_dir})
    if pool.is_broker and trusts_clients_ca(cluster):
        volumes.append({"name": "clients-ca-cert", "secret": {
            "secretName": f"{cluster.name}-clients-ca-cert", "items": [{"key": "ca.crt", "path": "ca.crt"}]}})
    if pool.is_broker:
        for listener in cluster.listeners:
            if listener.cert_secret:
                volumes.append({"name": f"cert-{listener.identifier.lower()}", "secret": {
                    "secretName": listener.cert_secret.secret_name,
                    "items": [{"key": listener.cert_secret.certificate, "path": "tls.crt"},
                              {"key": listener.cert_secret.key, "path": "tls.key"}],
                }})
    if init_containers(cluster, pool):
        volumes.append({"name": "rack-volume", "emptyDir": {}})
    if address_init_container(cluster, pool):
        volumes.append({"name": "address-volume", "emptyDir": {"sizeLimit": "1Mi"}})
    volumes.extend(metrics_volumes(cluster))
    volumes.extend(pool.template.pod.get("volumes", []))
    return volumes


def pool_volume_mounts(cluster: Cluster, pool: NodePool) -> list[dict]:
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "kafka-config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "kafkac-scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
        {"name": "cluster-ca-cert", "mountPath": CLUSTER_CA_CERTS_DIR, "readOnly": True},
        {"name": "node-certs", "mountPath": NODE_CERTS_DIR, "readOnly": True},
    ]
    mounts.extend({"name": v.name, "mountPath": v.mount_path} for v in pool.volumes)
    if pool.is_broker and trusts_clients_ca(cluster):
        mounts.append({"name": "clients-ca-cert", "mountPath": CLIENTS_CA_CERTS_DIR, "readOnly": True})
    if pool.is_broker:
        mounts.extend({"name": f"cert-{l.identifier.lower()}",
                       "mountPath": f"{CERTIFICATES_DIR}/{l.identifier.lower()}", "readOnly": True}
                      for l in cluster.listeners if l.cert_secret)
    if init_containers(cluster, pool):
        mounts.append({"name": "rack-volume", "mountPath": RACK_INIT_DIR, "readOnly": True})
    if address_init_container(cluster, pool):
        mounts.append({"name": "address-volume", "mountPath": ADDRESS_INIT_DIR, "readOnly": True})
    mounts.extend(metrics_volume_mounts(cluster))
    mounts.extend(pool.template.kafka_container.get("volumeMounts", []))
    return mounts


def trusts_clients_ca(cluster: Cluster) -> bool:
    return any(listener.authentication == "tls" for listener in cluster.listeners)


def volume_claim_templates(cluster: Cluster, pool: NodePool) -> list[dict]:
    return [claim_template(cluster, pool, v) for v in pool.volumes if v.type == "persistent-claim"]


def claim_template(cluster: Cluster, pool: NodePool, volume: Volume) -> dict:
    spec: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": volume.size}}}
    if volume.storage_class is not None:
        spec["storageClassName"] = volume.storage_class
    if volume.selector:
        spec["selector"] = {"matchLabels": volume.selector}
    extra = metadata_of(pool.template.persistent_volume_claim)
    metadata = {"name": volume.name,
                "labels": {**extra["labels"], "strimzi.io/cluster": cluster.name, "strimzi.io/pool-name": pool.name}}
    if extra["annotations"]:
        metadata["annotations"] = extra["annotations"]
    return {"metadata": metadata, "spec": spec}


def claim_retention_policy(pool: NodePool) -> dict | None:
    """PVCs are deleted with the StatefulSet only when every volume says deleteClaim: true."""
    claims = [v for v in pool.volumes if v.type == "persistent-claim"]
    if not claims:
        return None
    deleted = "Delete" if all(v.delete_claim for v in claims) else "Retain"
    return {"whenDeleted": deleted, "whenScaled": "Retain"}


# --- Jobs that talk to Kafka: the client settings they share, and the topics Job ------

# A topics Job data file (one ConfigMap) holds at most this much; a ConfigMap holds at
# most 1 MiB, and the record of what was applied takes about as much again.
TOPICS_SHARD_BYTES = 512 * 1024
TOPICS_DIR = "/opt/kafkac/topics"  # scripts/, spec/<shard>/, state/<shard>/
TOPICS_WORK_DIR = "/var/run/kafkac-topics"
KAFKA_CLIENT_DIR = "/var/run/kafkac-client"  # the client properties, with the key store password
# Kafka tool runs the topics Job makes at once (each is a JVM).
TOPICS_PARALLELISM = 4
# How long the topics Job waits for the brokers to answer before it fails.
TOPICS_WAIT_SECONDS = 900
# Seconds one Kafka tool run takes at most on a busy node (a JVM start and one request),
# to size the Job's deadline: up to three runs a topic (create or raise, then alter).
TOOL_RUN_SECONDS = 4
TOOL_HEAP_OPTIONS = "-Xms16m -Xmx256m"
MAX_JOB_NAME = 63  # a Job's name is a label value on its pods


def kafka_client(cluster: Cluster) -> dict:
    """How every Job of the chart reaches the brokers: on the replication listener, as a node.

    The Jobs connect to each broker pod's own address, which the node certificate
    names; with TLS on the listener they present the node certificate and trust
    the cluster CA, as the brokers do with each other. `properties` holds every
    client setting except the key store password, which the Job's script reads
    from `keyStorePasswordFile` (a Secret) when it writes the client's file.
    """
    brokers_service = f"{cluster.name}-kafka-brokers"
    listener = REPLICATION
    client = {
        "listener": listener.identifier,
        # Each host gets ".<namespace>.svc" and the port in the Job's environment.
        "bootstrapHosts": [f"{cluster.name}-{pool.name}-{node_id}.{brokers_service}"
                           for pool in cluster.brokers for node_id in pool.node_ids],
        "port": listener.port,
        "properties": "security.protocol=PLAINTEXT\n",
        "keyStorePasswordFile": "",
        "volumes": [],
        "volumeMounts": [],
    }
    if not listener.tls:
        return client
    secrets = certificates(cluster)
    props = [("security.protocol", "SSL"), ("ssl.keystore.type", "PKCS12"),
             ("ssl.keystore.location", NODE_KEYSTORE), ("ssl.truststore.type", "PEM"),
             ("ssl.truststore.location", CLUSTER_CA_CERT)]
    client.update({
        "properties": "".join(f"{escape_key(k)}={escape_value(v)}\n" for k, v in props),
        "keyStorePasswordFile": f"{NODE_CERTS_DIR}/node.password",
        "volumes": [
            {"name": "kafka-client-cluster-ca", "secret": {
                "secretName": secrets["clusterCaCertSecret"], "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"name": "kafka-client-node-certs", "secret": {
                "secretName": secrets["nodeCertSecret"],
                "items": [{"key": "node.p12", "path": "node.p12"},
                          {"key": "node.password", "path": "node.password"}]}},
        ],
        "volumeMounts": [
            {"name": "kafka-client-cluster-ca", "mountPath": CLUSTER_CA_CERTS_DIR, "readOnly": True},
            {"name": "kafka-client-node-certs", "mountPath": NODE_CERTS_DIR, "readOnly": True},
        ],
    })
    return client


def job_name(cluster: Cluster, purpose: str) -> str:
    """`<cluster>-kafka-<purpose>`, shortened with a digest when longer than a Job name may be."""
    name = f"{cluster.name}-kafka-{purpose}"
    if len(name) <= MAX_JOB_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:MAX_JOB_NAME - 9].rstrip('-')}-{digest}"


def topics_values(cluster: Cluster) -> dict | None:
    """The topics Job and its data: null unless the Kafka manages topics and has some.

    The topics go to the Job as data: ConfigMaps of JSON lines (`spec`), cut to
    fit a ConfigMap; the Job records what it applied in the `state` ConfigMaps,
    which the chart creates empty and only the Job writes.
    """
    if not (cluster.manage_topics and cluster.topics):
        return None
    name = job_name(cluster, "topics")
    shards = spec_shards(cluster.topics, TOPICS_SHARD_BYTES)
    state_names = [f"{name}-state-{i}" for i in range(len(shards))]
    count = len(cluster.topics)
    work_seconds = math.ceil(count * 3 * TOOL_RUN_SECONDS / TOPICS_PARALLELISM)
    scripts_dir = f"{TOPICS_DIR}/scripts"
    volumes = [
        {"name": "scripts", "configMap": {"name": f"{name}-scripts"}},
        *({"name": f"spec-{i}", "configMap": {"name": f"{name}-spec-{i}"}} for i in range(len(shards))),
        # Empty until the Job's first run records what it applied.
        *({"name": f"state-{i}", "configMap": {"name": state, "optional": True}}
          for i, state in enumerate(state_names)),
        {"name": "work", "emptyDir": {"sizeLimit": "1Gi"}},
        # The client's settings hold the key store password: memory only.
        {"name": "client", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    scripts_mount = {"name": "scripts", "mountPath": scripts_dir, "readOnly": True}
    state_mounts = [{"name": f"state-{i}", "mountPath": f"{TOPICS_DIR}/state/{i}", "readOnly": True}
                    for i in range(len(shards))]
    work_mount = {"name": "work", "mountPath": TOPICS_WORK_DIR}
    tmp_mount = {"name": "tmp", "mountPath": "/tmp"}
    common_env = {"KAFKAC_TOPICS_DIR": TOPICS_DIR, "KAFKAC_WORK_DIR": TOPICS_WORK_DIR}
    return {
        "jobName": name,
        "serviceAccountName": name,
        "scriptsConfigMapName": f"{name}-scripts",
        "topicCount": count,
        "spec": [{"configMapName": f"{name}-spec-{i}", "content": text} for i, text in enumerate(shards)],
        "stateConfigMapNames": state_names,
        "podLabels": hook_pod_labels(cluster, "topics"),
        "job": {
            "kubectlImage": {"name": DEFAULT_KUBECTL_IMAGE, "pullPolicy": "IfNotPresent"},
            "activeDeadlineSeconds": TOPICS_WAIT_SECONDS + 300 + work_seconds,
            "backoffLimit": 6,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "volumes": volumes,
            "sync": {
                "command": ["/bin/sh", f"{scripts_dir}/topics-sync.sh"],
                "env": env_list({
                    **common_env,
                    "KAFKAC_TOPICS_SHARDS": str(len(shards)),
                    "KAFKAC_CLIENT_DIR": KAFKA_CLIENT_DIR,
                    "KAFKAC_PARALLELISM": str(TOPICS_PARALLELISM),
                    "KAFKAC_WAIT_SECONDS": str(TOPICS_WAIT_SECONDS),
                    "KAFKAC_MAX_REPLICAS": str(max(topic.replicas for topic in cluster.topics)),
                    "KAFKAC_TOOL_HEAP_OPTS": TOOL_HEAP_OPTIONS,
                }),
                # Each Kafka tool run is a JVM of about 100 MiB; four run at once.
                "resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                              "limits": {"memory": "768Mi"}},
                "volumeMounts": [
                    scripts_mount,
                    *({"name": f"spec-{i}", "mountPath": f"{TOPICS_DIR}/spec/{i}", "readOnly": True}
                      for i in range(len(shards))),
                    *state_mounts, work_mount, tmp_mount,
                    {"name": "client", "mountPath": KAFKA_CLIENT_DIR},
                ],
            },
            "record": {
                "command": ["/bin/bash", f"{scripts_dir}/topics-record.sh"],
                "env": env_list({**common_env, "KAFKAC_STATE_CONFIGMAPS": " ".join(state_names),
                                 "HOME": "/tmp"}),
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "volumeMounts": [scripts_mount, *state_mounts, work_mount, tmp_mount],
            },
        },
    }


def env_list(env: dict[str, str]) -> list[dict]:
    return [{"name": name, "value": value} for name, value in env.items()]


# --- Listeners with Services of their own: Services, Routes, Ingresses, addresses ---------

ADDRESS_INIT_DIR = "/opt/kafka/address"  # where the address init container writes what it found
ADDRESSES_FILE = "advertised-addresses"
# How long the address init container waits for a load balancer's address.
ADDRESS_WAIT_SECONDS = 600
HOST_ROUTED_PORT = 443  # routers and ingress controllers take TLS on 443
# ingress-nginx hands the TLS connection to the broker untouched, routed by its SNI host name.
INGRESS_PASSTHROUGH_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/ssl-passthrough": "true",
    "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
}
SERVICE_TYPES = {"cluster-ip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "route": "ClusterIP", "ingress": "ClusterIP"}


def own_service_listeners(cluster: Cluster) -> list[Listener]:
    return [listener for listener in cluster.listeners if listener.has_own_services]


def broker_nodes(cluster: Cluster) -> list[tuple[NodePool, int]]:
    return [(pool, node_id) for pool in cluster.brokers for node_id in pool.node_ids]


def listener_bootstrap_name(cluster: Cluster, listener: Listener) -> str:
    """Strimzi's name of a listener's bootstrap Service, Route and Ingress."""
    return f"{cluster.name}-kafka-{listener.name}-bootstrap"


def listener_broker_name(cluster: Cluster, listener: Listener, pool: NodePool, node_id: int) -> str:
    """Strimzi's name of a broker's own Service, Route and Ingress: `<cluster>-<pool>-<listener>-<id>`."""
    return f"{cluster.name}-{pool.name}-{listener.name}-{node_id}"


def listener_objects(cluster: Cluster) -> dict:
    """The Services, Routes and Ingresses of every listener that is not "internal"."""
    services, routes, ingresses = [], [], []
    for listener in own_service_listeners(cluster):
        bootstrap = listener.bootstrap
        name = listener_bootstrap_name(cluster, listener)
        selector = {"strimzi.io/cluster": cluster.name, "strimzi.io/kind": "Kafka",
                    "strimzi.io/broker-role": "true"}
        services.append(listener_service(listener, name, selector, bootstrap.node_port,
                                         bootstrap.load_balancer_ip, bootstrap.annotations, bootstrap.labels))
        routed = [(name, bootstrap.host, bootstrap.annotations, bootstrap.labels)]
        for pool, node_id in broker_nodes(cluster):
            broker = listener.broker(node_id)
            name = listener_broker_name(cluster, listener, pool, node_id)
            selector = {"strimzi.io/cluster": cluster.name,
                        "statefulset.kubernetes.io/pod-name": f"{cluster.name}-{pool.name}-{node_id}"}
            services.append(listener_service(listener, name, selector, broker.node_port,
                                             broker.load_balancer_ip, broker.annotations, broker.labels))
            routed.append((name, broker.host, broker.annotations, broker.labels))
        if listener.type == "route":
            routes.extend(route(listener, *entry) for entry in routed)
        elif listener.type == "ingress":
            ingresses.extend(ingress(listener, *entry) for entry in routed)
    return {"services": services, "routes": routes, "ingresses": ingresses}


def listener_service(listener: Listener, name: str, selector: dict, node_port: int | None,
                     load_balancer_ip: str | None, annotations: dict, labels: dict) -> dict:
    port = service_port(listener)
    if node_port is not None:
        port["nodePort"] = node_port
    spec: dict = {"type": SERVICE_TYPES[listener.type]}
    if listener.ip_family_policy:
        spec["ipFamilyPolicy"] = listener.ip_family_policy
    if listener.ip_families:
        spec["ipFamilies"] = list(listener.ip_families)
    if listener.external_traffic_policy:
        spec["externalTrafficPolicy"] = listener.external_traffic_policy
    if listener.type == "loadbalancer":
        if load_balancer_ip:
            spec["loadBalancerIP"] = load_balancer_ip
        if listener.service_class:
            spec["loadBalancerClass"] = listener.service_class
        if listener.load_balancer_source_ranges:
            spec["loadBalancerSourceRanges"] = list(listener.load_balancer_source_ranges)
    spec.update({"selector": selector, "ports": [port]})
    return {"name": name, "labels": dict(labels), "annotations": dict(annotations), "spec": spec}


def route(listener: Listener, name: str, host: str | None, annotations: dict, labels: dict) -> dict:
    """An OpenShift Route that passes TLS through to the Service of the same name; without a
    host, OpenShift gives it one (`<name>-<namespace>.<the router's domain>`)."""
    spec = {"host": host} if host else {}
    spec.update({
        "to": {"kind": "Service", "name": name, "weight": 100},
        "port": {"targetPort": port_name(listener)},
        "tls": {"termination": "passthrough"},
        # OpenShift's default, written out: the Route schema rejects an absent host unless
        # wildcardPolicy is known not to be Subdomain, and kubeconform applies no defaults.
        "wildcardPolicy": "None",
    })
    return {"name": name, "labels": dict(labels), "annotations": dict(annotations), "spec": spec}


def ingress(listener: Listener, name: str, host: str, annotations: dict, labels: dict) -> dict:
    """An Ingress that passes TLS through (ingress-nginx) to the Service of the same name."""
    spec: dict = {}
    if listener.service_class:
        spec["ingressClassName"] = listener.service_class
    spec.update({
        "rules": [{"host": host, "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": name, "port": {"number": listener.port}}}}]}}],
        "tls": [{"hosts": [host]}],
    })
    return {"name": name, "labels": dict(labels),
            "annotations": {**INGRESS_PASSTHROUGH_ANNOTATIONS, **annotations}, "spec": spec}


@dataclass(frozen=True)
class AdvertisedAddress:
    """What a broker advertises on a listener; None is found at start-up by the address init container.

    `dns_suffix` set means the host is a Service name that the start script
    completes with `.<namespace>.<dns_suffix>`.
    """

    host: str | None
    port: int | None
    dns_suffix: str | None = None


def advertised_address(cluster: Cluster, listener: Listener, pool: NodePool, node_id: int) -> AdvertisedAddress:
    """Strimzi's advertised address per type, with what `brokers[]` pins taking precedence."""
    broker = listener.broker(node_id)
    suffix = None
    if listener.type in ("route", "ingress"):
        host, port = broker.host, HOST_ROUTED_PORT
    elif listener.type == "cluster-ip":
        host, port = listener_broker_name(cluster, listener, pool, node_id), listener.port
        suffix = "svc.cluster.local" if listener.use_service_dns_domain else "svc"
    elif listener.type == "nodeport":
        host, port = None, broker.node_port
    else:  # loadbalancer: its address is known once the platform has made it
        host, port = None, listener.port
    if broker.advertised_host:
        host, suffix = broker.advertised_host, None
    if broker.advertised_port:
        port = broker.advertised_port
    return AdvertisedAddress(host, port, suffix)


def advertised_addresses_file(cluster: Cluster, pool: NodePool) -> str:
    """The pool's advertised addresses on its own-Service listeners, one line per broker and listener:
    `<node id> <listener> <host> <port> <dns suffix>`, `-` for what the init container finds."""
    if not pool.is_broker:
        return ""
    lines = []
    for node_id in pool.node_ids:
        for listener in own_service_listeners(cluster):
            address = advertised_address(cluster, listener, pool, node_id)
            lines.append(" ".join(str(part) if part is not None else "-" for part in (
                node_id, listener.identifier, address.host, address.port, address.dns_suffix)))
    return "".join(f"{line}\n" for line in lines)


def discovering_nodes(cluster: Cluster, listener: Listener, pool: NodePool) -> list[int]:
    """The brokers of the pool that learn their address on the listener when they start."""
    if not pool.is_broker:
        return []
    addresses = {node_id: advertised_address(cluster, listener, pool, node_id) for node_id in pool.node_ids}
    return [node_id for node_id, address in addresses.items() if address.host is None or address.port is None]


def discovered_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    """The listeners on which some broker of the pool learns its address when it starts."""
    return [listener for listener in own_service_listeners(cluster)
            if discovering_nodes(cluster, listener, pool)]


def discovers_node_address(cluster: Cluster) -> bool:
    return any(listener.type == "nodeport" for pool in cluster.brokers
               for listener in discovered_listeners(cluster, pool))


def network_policy(cluster: Cluster) -> dict | None:
    """Strimzi's NetworkPolicy of the Kafka pods, when a listener names who may connect to it.

    The control plane port is open to the Kafka pods, the replication port to them
    and to the chart's own clients of it (the topics and users Jobs, Kafka
    Exporter), each listener's port to its peers (to everyone without them), and
    the metrics port to everyone, as Strimzi's. Without peers on any listener
    there is none: every port is open, as Strimzi's policy would leave them.
    """
    if not any(listener.network_policy_peers for listener in cluster.listeners):
        return None
    kafka_pods = {"podSelector": {"matchLabels": {
        "strimzi.io/cluster": cluster.name, "strimzi.io/kind": "Kafka", "strimzi.io/name": f"{cluster.name}-kafka"}}}
    components = [component for component, present in (
        ("topics", cluster.manage_topics), ("users", cluster.manage_users),
        ("kafka-exporter", cluster.kafka_exporter is not None)) if present]
    replication_clients = [kafka_pods] + [{"podSelector": {"matchLabels": hook_pod_labels(cluster, component)}}
                                          for component in components]

    def rule(port: int, peers: list[dict]) -> dict:
        return {"ports": [{"port": port, "protocol": "TCP"}], **({"from": peers} if peers else {})}

    rules = [rule(CONTROL_PLANE.port, [kafka_pods]), rule(REPLICATION.port, replication_clients)]
    rules += [rule(listener.port, list(listener.network_policy_peers)) for listener in cluster.listeners]
    if cluster.metrics is not None:
        rules.append(rule(METRICS_PORT, []))
    return {"name": f"{cluster.name}-network-policy-kafka", "spec": {
        "podSelector": kafka_pods["podSelector"], "policyTypes": ["Ingress"], "ingress": rules}}


def address_discovery(cluster: Cluster) -> dict | None:
    """The Role that lets brokers read their own Services or Routes, by name, to learn their addresses."""
    discovered = [(listener.type, listener_broker_name(cluster, listener, pool, node_id))
                  for pool in cluster.brokers for listener in discovered_listeners(cluster, pool)
                  for node_id in discovering_nodes(cluster, listener, pool)]
    if not discovered:
        return None
    return {"roleName": f"{cluster.name}-kafka-address",
            "serviceNames": [name for kind, name in discovered if kind != "route"],
            "routeNames": [name for kind, name in discovered if kind == "route"]}


def address_init_container(cluster: Cluster, pool: NodePool) -> list[dict]:
    """`kafka-address`: reads the pod's own Services or Routes (and Node) and writes the addresses
    to advertise."""
    listeners = discovered_listeners(cluster, pool)
    if not listeners:
        return []
    entries = [f"{l.identifier}:{l.type}:{l.name}:{l.preferred_node_port_address_type or '-'}:"
               + ",".join(str(node_id) for node_id in discovering_nodes(cluster, l, pool))
               for l in listeners]
    return [{
        "name": "kafka-address",
        "image": DEFAULT_KUBECTL_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/bash", f"{SCRIPTS_DIR}/kafka-address.sh"],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            *env_list({
                "KAFKAC_DISCOVER": " ".join(entries),
                "KAFKAC_ADDRESS_DIR": ADDRESS_INIT_DIR,
                "KAFKAC_ADDRESS_WAIT_SECONDS": str(ADDRESS_WAIT_SECONDS),
                "HOME": "/tmp",
            }),
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": CONTAINER_SECURITY_CONTEXT,
        "volumeMounts": [{"name": "kafkac-scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
                         {"name": "address-volume", "mountPath": ADDRESS_INIT_DIR},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }]


def listener_limits(cluster: Cluster) -> list[tuple[str, str]]:
    """Per-listener connection limits (`maxConnections`, `maxConnectionCreationRate`)."""
    props = []
    for listener in cluster.listeners:
        prefix = f"listener.name.{listener.identifier.lower()}"
        if listener.max_connections is not None:
            props.append((f"{prefix}.max.connections", str(listener.max_connections)))
        if listener.max_connection_creation_rate is not None:
            props.append((f"{prefix}.max.connection.creation.rate", str(listener.max_connection_creation_rate)))
    return props


def external_names(cluster: Cluster) -> tuple[list[str], list[str]]:
    """Names and IP addresses of own-Service listeners known at compile time, for the node certificate:
    route and ingress hosts, advertised hosts, load balancer IPs and bootstrap alternative names."""
    names: list[str] = []
    for listener in own_service_listeners(cluster):
        names.extend([listener.bootstrap.host, listener.bootstrap.load_balancer_ip,
                      *listener.bootstrap.alternative_names])
        for broker in listener.brokers:
            names.extend([broker.host, broker.advertised_host, broker.load_balancer_ip])
    unique = sorted({name.lower() for name in names if name})
    ips = [java_ip_text(name) for name in unique if is_ip_address(name)]
    return [name for name in unique if not is_ip_address(name)], ips


def address_objects(cluster: Cluster) -> dict:
    """The listeners' objects whose addresses the platform assigns, for the node certificate:
    the load balancer Services and the Routes without a host in the spec."""
    services, routes = [], []
    for listener in own_service_listeners(cluster):
        names = [(listener_bootstrap_name(cluster, listener), listener.bootstrap.host)]
        names += [(listener_broker_name(cluster, listener, pool, node_id), listener.broker(node_id).host)
                  for pool, node_id in broker_nodes(cluster)]
        if listener.type == "loadbalancer":
            services.extend(name for name, _ in names)
        elif listener.type == "route":
            routes.extend(name for name, host in names if not host)
    return {"services": services, "routes": routes}


def java_ip_text(text: str) -> str:
    """An IP address as keytool prints it back (IPv6 uncompressed: `0:0:0:0:0:0:0:1`), so the
    certificates Job finds it in the certificate it issued."""
    address = ipaddress.ip_address(text)
    if address.version == 4:
        return str(address)
    return ":".join(format(int(group, 16), "x") for group in address.exploded.split(":"))


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def external_address_env(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> dict:
    """Where kafka-run.sh finds the addresses it advertises on own-Service listeners."""
    external = [l.identifier for l in listeners if l.has_own_services]
    if not external:
        return {}
    env = {"KAFKAC_EXTERNAL_LISTENERS": " ".join(external),
           "KAFKAC_PINNED_ADDRESSES_FILE": f"{CONFIG_DIR}/{ADDRESSES_FILE}"}
    if address_init_container(cluster, pool):
        env["KAFKAC_DISCOVERED_ADDRESSES_FILE"] = f"{ADDRESS_INIT_DIR}/{ADDRESSES_FILE}"
    return env


def cluster_ip_service_names(cluster: Cluster) -> list[str]:
    """The Services of cluster-ip listeners, whose names their brokers advertise."""
    names = []
    for listener in own_service_listeners(cluster):
        if listener.type == "cluster-ip":
            names.append(listener_bootstrap_name(cluster, listener))
            names.extend(listener_broker_name(cluster, listener, pool, node_id)
                         for pool, node_id in broker_nodes(cluster))
    return names


# --- the users Job ------------------------------------------------------------------------

USERS_DIR = "/opt/kafkac/users"  # the scripts and the users as data
USERS_WORK_DIR = "/var/run/kafkac-users"
# Seconds the users Job may take for one user: its Secret, then a few Kafka tool runs.
USER_SECONDS = 4 * TOOL_RUN_SECONDS


def users_values(cluster: Cluster) -> dict | None:
    """The users Job and its data: null unless the Kafka manages users and has some.

    The users reach the Job as data files (tab-separated lines, and the Secrets'
    metadata as JSON) in one ConfigMap with the Job's scripts.
    """
    if not (cluster.manage_users and cluster.users):
        return None
    name = job_name(cluster, "users")
    clients_ca = certificates(cluster)["clientsCa"]
    secrets = [user.name for user in cluster.users if user.has_secret]
    password_secrets = sorted({user.password_secret[0] for user in cluster.users if user.password_secret})
    tls_users = [user for user in cluster.users if user.authentication == "tls"]
    cert_manager = users_cert_manager(cluster, tls_users)
    # With a clients CA of cert-manager.io there is no CA key to read, but what cert-manager issued.
    ca_secrets = [clients_ca["certSecret"]] + (
        [certificate["spec"]["secretName"] for certificate in cert_manager["certificates"]] if cert_manager
        else [clients_ca["secret"]])
    return {
        "jobName": name,
        "serviceAccountName": name,
        "filesConfigMapName": f"{name}-files",
        "userCount": len(cluster.users),
        "files": {
            "users.tsv": users_lines(cluster.users),
            "acls.tsv": acl_lines(cluster.users),
            "quotas.tsv": quota_lines(cluster.users),
            "secret-metadata.json": json.dumps(
                secret_metadata(cluster.users, cluster), sort_keys=True, indent=2) + "\n",
        },
        # Read by name: the clients CA (or what cert-manager issued), the users' Secrets, the
        # Secrets of given passwords.
        "readSecrets": sorted({*ca_secrets, *secrets, *password_secrets}),
        "userSecrets": secrets,
        # Updated by name: a TLS user's Secret gets a renewed certificate or ca.crt.
        "tlsUserSecrets": [user.name for user in tls_users],
        "certManager": cert_manager,
        "podLabels": hook_pod_labels(cluster, "users"),
        "job": {
            "kubectlImage": {"name": DEFAULT_KUBECTL_IMAGE, "pullPolicy": "IfNotPresent"},
            "tlsToolsImage": {"name": STRIMZI_KAFKA_IMAGE, "pullPolicy": "IfNotPresent"},
            "activeDeadlineSeconds": TOPICS_WAIT_SECONDS + 300 + len(cluster.users) * USER_SECONDS,
            "backoffLimit": 6,
            "filesDir": USERS_DIR,
            "workDir": USERS_WORK_DIR,
            "clientDir": KAFKA_CLIENT_DIR,
            "waitSeconds": TOPICS_WAIT_SECONDS,
            "toolHeapOptions": TOOL_HEAP_OPTIONS,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "kubectlResources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            # keytool, then one Kafka tool run (a JVM of about 100 MiB) at a time.
            "toolResources": {"requests": {"cpu": "200m", "memory": "384Mi"}, "limits": {"memory": "512Mi"}},
        },
    }


def users_cert_manager(cluster: Cluster, tls_users: list[User]) -> dict | None:
    """With spec.clientsCa type cert-manager.io: a cert-manager Certificate for each TLS user, which
    the users Job applies (as the certificates Job does the node's), each with the user's days; else
    null. Strimzi's principal of a TLS user is its subject, CN=<user> alone."""
    issuer = cert_manager_issuer(cluster.clients_ca)
    if issuer is None or not tls_users:
        return None
    certificates = [cert_manager_certificate(cluster.clients_ca, user.name, user.name, ["client auth"],
                                             organizations=(), days=(user.validity_days, user.renewal_days))
                    for user in tls_users]
    return {"waitSeconds": issuer["waitSeconds"], "certificates": certificates}


# --- Prometheus metrics: the JMX exporter's javaagent or Strimzi's metrics reporter -------

METRICS_PORT = 9404  # Strimzi's port for the exporter and the reporter, named tcp-prometheus
METRICS_PORT_NAME = "tcp-prometheus"
METRICS_CONFIG_DIR = "/opt/kafka/metrics-config"
METRICS_CONFIG_FILE = "metrics-config.yml"
METRICS_AGENT_DIR = "/opt/kafka/metrics-agent"
METRICS_AGENT_JAR = "jmx_prometheus_javaagent.jar"
# The apache/kafka image has neither the JMX exporter nor Strimzi's metrics reporter;
# Strimzi's Kafka image ships both in its libs folder. An init container copies them
# from there into an emptyDir: the agent's one jar, or the reporter's jar with the
# Prometheus client library it runs on (io.strimzi:metrics-reporter 0.2.0 and
# io.prometheus:prometheus-metrics-* 1.3.6 in the image of Kafka 4.1.0).
DEFAULT_METRICS_AGENT_SOURCE = "/opt/kafka/libs/jmx_prometheus_javaagent-*.jar"
DEFAULT_METRICS_REPORTER_SOURCE = ("/opt/kafka/libs/metrics-reporter-*.jar "
                                   "/opt/kafka/libs/prometheus-metrics-*.jar")
# The reporter's classes, for Kafka's metrics and for the brokers' Yammer metrics.
METRICS_REPORTER_CLASS = "io.strimzi.kafka.metrics.KafkaPrometheusMetricsReporter"
YAMMER_METRICS_REPORTER_CLASS = "io.strimzi.kafka.metrics.YammerPrometheusMetricsReporter"
# Copies what the source patterns match: each pattern must match a file; with
# KAFKAC_AGENT_JAR (the agent), exactly one, copied under that name. The patterns
# come from the environment and are only split and matched, never evaluated.
# Its messages are in the chart's line format (README, "Logging"); the scripts'
# log.sh is not mounted in this container.
METRICS_AGENT_COPY_SCRIPT = (
    'log() { printf \'%s %s [metrics-agent] metrics-agent: %s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$@"; }\n'
    'set -f\n'
    'for pattern in $KAFKAC_AGENT_SOURCE; do\n'
    '  set +f\n'
    '  set -- $pattern\n'
    '  set -f\n'
    '  if [ ! -f "$1" ]; then\n'
    '    log ERROR "expected one file or more matching $pattern, found none" >&2\n'
    '    exit 1\n'
    '  fi\n'
    '  if [ -n "${KAFKAC_AGENT_JAR:-}" ] && [ "$#" -ne 1 ]; then\n'
    '    log ERROR "expected one file matching $pattern, found: $*" >&2\n'
    '    exit 1\n'
    '  fi\n'
    '  for file in "$@"; do\n'
    '    target="$KAFKAC_AGENT_DIR/${KAFKAC_AGENT_JAR:-${file##*/}}"\n'
    '    cp "$file" "$target"\n'
    '    log INFO "copied $file to $target"\n'
    '  done\n'
    'done\n'
)


def metrics_values(cluster: Cluster) -> dict | None:
    """The exporter's rules ConfigMap and the init container that brings the agent or the
    reporter's jars; null without metricsConfig."""
    metrics = cluster.metrics
    if metrics is None:
        return None
    copy_env = {"KAFKAC_AGENT_DIR": METRICS_AGENT_DIR}
    if not metrics.is_reporter:
        copy_env["KAFKAC_AGENT_JAR"] = METRICS_AGENT_JAR
    return {
        "type": metrics.type,
        "port": METRICS_PORT,
        "portName": METRICS_PORT_NAME,
        "configMapName": None if metrics.is_reporter else f"{cluster.name}-kafka-metrics",
        "fileName": None if metrics.is_reporter else METRICS_CONFIG_FILE,
        "content": metrics.exporter_config,
        "agent": {
            "image": {"name": STRIMZI_KAFKA_IMAGE, "pullPolicy": "IfNotPresent"},
            "source": DEFAULT_METRICS_REPORTER_SOURCE if metrics.is_reporter else DEFAULT_METRICS_AGENT_SOURCE,
            "container": {
                "name": "metrics-agent",
                "command": ["/bin/sh", "-c", METRICS_AGENT_COPY_SCRIPT],
                "env": env_list(copy_env),
                "resources": {"requests": {"cpu": "50m", "memory": "32Mi"},
                              "limits": {"memory": "64Mi"}},
                "securityContext": CONTAINER_SECURITY_CONTEXT,
                "volumeMounts": [{"name": "metrics-agent", "mountPath": METRICS_AGENT_DIR}],
            },
        },
    }


def metrics_reporter_properties(cluster: Cluster) -> list[tuple[str, str]]:
    """Strimzi's metrics reporter in every node, as Strimzi's operator configures it, after
    the reporters spec.kafka.config names (which server_properties leaves out)."""
    if cluster.metrics is None or not cluster.metrics.is_reporter:
        return []

    def with_user_reporters(key: str, reporter: str) -> str:
        listed = [c.strip() for c in config_text(cluster.config.get(key, "")).split(",") if c.strip()]
        return ",".join(dict.fromkeys([*listed, reporter]))

    return [
        ("metric.reporters", with_user_reporters("metric.reporters", METRICS_REPORTER_CLASS)),
        ("kafka.metrics.reporters", with_user_reporters("kafka.metrics.reporters",
                                                        YAMMER_METRICS_REPORTER_CLASS)),
        ("prometheus.metrics.reporter.listener.enable", "true"),
        ("prometheus.metrics.reporter.listener", f"http://:{METRICS_PORT}"),
        ("prometheus.metrics.reporter.allowlist", ",".join(cluster.metrics.allow_list)),
    ]


def metrics_container_ports(cluster: Cluster) -> list[dict]:
    if cluster.metrics is None:
        return []
    return [{"name": METRICS_PORT_NAME, "containerPort": METRICS_PORT, "protocol": "TCP"}]


def metrics_env(cluster: Cluster) -> dict:
    """What kafka-run.sh adds for the Kafka process only (not its tools): the javaagent
    option, or the reporter's jars on the class path."""
    if cluster.metrics is None:
        return {}
    if cluster.metrics.is_reporter:
        return {"KAFKAC_METRICS_CLASSPATH": f"{METRICS_AGENT_DIR}/*"}
    agent = f"{METRICS_AGENT_DIR}/{METRICS_AGENT_JAR}"
    return {"KAFKAC_METRICS_AGENT_OPTS":
            f"-javaagent:{agent}={METRICS_PORT}:{METRICS_CONFIG_DIR}/{METRICS_CONFIG_FILE}"}


def metrics_volumes(cluster: Cluster) -> list[dict]:
    if cluster.metrics is None:
        return []
    agent = [{"name": "metrics-agent", "emptyDir": {"sizeLimit": "16Mi"}}]
    if cluster.metrics.is_reporter:
        return agent
    return [{"name": "metrics-config", "configMap": {"name": f"{cluster.name}-kafka-metrics"}}, *agent]


def metrics_volume_mounts(cluster: Cluster) -> list[dict]:
    if cluster.metrics is None:
        return []
    agent = [{"name": "metrics-agent", "mountPath": METRICS_AGENT_DIR, "readOnly": True}]
    if cluster.metrics.is_reporter:
        return agent
    return [{"name": "metrics-config", "mountPath": METRICS_CONFIG_DIR, "readOnly": True}, *agent]


# --- Kafka Exporter: consumer lag and topic offsets, from a Deployment -------------------

KAFKA_EXPORTER_CA_DIR = "/etc/kafka-exporter/cluster-ca"
KAFKA_EXPORTER_CERTS_DIR = "/etc/kafka-exporter/certs"
KAFKA_EXPORTER_CERT, KAFKA_EXPORTER_KEY = "kafka-exporter.crt", "kafka-exporter.key"
KAFKA_EXPORTER_UID = 65534  # nobody, in the exporter's busybox image
KAFKA_EXPORTER_VERBOSITY = {"info": "0", "debug": "1", "trace": "2"}


def kafka_exporter_values(cluster: Cluster) -> dict | None:
    """The Kafka Exporter Deployment and its Service; null without spec.kafkaExporter."""
    exporter = cluster.kafka_exporter
    if exporter is None:
        return None
    name = kafka_exporter_name(cluster)
    template = exporter.template
    pod = template.get("pod", {})
    container = template.get("container", {})
    secrets = certificates(cluster)
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
        {"name": "cluster-ca-cert", "secret": {
            "secretName": secrets["clusterCaCertSecret"], "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"name": "kafka-exporter-certs", "secret": {
            "secretName": secrets["kafkaExporter"]["secret"],
            "items": [{"key": key, "path": key} for key in (KAFKA_EXPORTER_CERT, KAFKA_EXPORTER_KEY)]}},
    ]
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "cluster-ca-cert", "mountPath": KAFKA_EXPORTER_CA_DIR, "readOnly": True},
        {"name": "kafka-exporter-certs", "mountPath": KAFKA_EXPORTER_CERTS_DIR, "readOnly": True},
    ]
    spec = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": pod.get("enableServiceLinks", False),
        "terminationGracePeriodSeconds": pod.get("terminationGracePeriodSeconds", 30),
        "securityContext": pod.get("securityContext", {
            "runAsNonRoot": True, "runAsUser": KAFKA_EXPORTER_UID, "runAsGroup": KAFKA_EXPORTER_UID,
            "seccompProfile": {"type": "RuntimeDefault"}}),
    }
    spec.update({key: pod[key] for key in POD_SPEC_FIELDS if key in pod})
    return {
        "name": name,
        "image": {"name": exporter.image, "pullPolicy": "IfNotPresent"},
        "port": METRICS_PORT,
        "portName": METRICS_PORT_NAME,
        "args": kafka_exporter_args(cluster),
        "podLabels": hook_pod_labels(cluster, "kafka-exporter"),
        "deploymentMetadata": metadata_of(template.get("deployment", {})),
        "podMetadata": metadata_of(pod),
        "serviceAccountMetadata": metadata_of(template.get("serviceAccount", {})),
        "podDisruptionBudget": {"maxUnavailable": template.get("podDisruptionBudget", {}).get("maxUnavailable", 1),
                                **metadata_of(template.get("podDisruptionBudget", {}))},
        "podSpec": spec,
        "env": list(container.get("env", [])),
        "resources": exporter.resources or {"requests": {"cpu": "100m", "memory": "64Mi"},
                                            "limits": {"memory": "256Mi"}},
        "livenessProbe": {**PROBE_DEFAULTS, **exporter.liveness_probe},
        "readinessProbe": {**PROBE_DEFAULTS, **exporter.readiness_probe},
        "containerSecurityContext": container.get("securityContext", CONTAINER_SECURITY_CONTEXT),
        "volumes": volumes + list(pod.get("volumes", [])),
        "volumeMounts": mounts + list(container.get("volumeMounts", [])),
    }


def kafka_exporter_args(cluster: Cluster) -> list[str]:
    """Kafka Exporter's command line: one argument per setting, never through a shell.

    It connects as Strimzi's does: to the bootstrap Service's replication port,
    which every broker serves with TLS and asks a certificate of the cluster CA,
    with its own certificate from the certificates Job. No client listener is needed.
    """
    exporter = cluster.kafka_exporter
    args = [
        f"--kafka.server={cluster.name}-kafka-bootstrap:{REPLICATION.port}",
        f"--kafka.version={cluster.kafka_version}",
        f"--web.listen-address=:{METRICS_PORT}",
        f"--topic.filter={exporter.topic_regex}",
        f"--group.filter={exporter.group_regex}",
    ]
    if exporter.topic_exclude_regex is not None:
        args.append(f"--topic.exclude={exporter.topic_exclude_regex}")
    if exporter.group_exclude_regex is not None:
        args.append(f"--group.exclude={exporter.group_exclude_regex}")
    args += ["--tls.enabled", f"--tls.ca-file={KAFKA_EXPORTER_CA_DIR}/ca.crt",
             f"--tls.cert-file={KAFKA_EXPORTER_CERTS_DIR}/{KAFKA_EXPORTER_CERT}",
             f"--tls.key-file={KAFKA_EXPORTER_CERTS_DIR}/{KAFKA_EXPORTER_KEY}"]
    args.append("--offset.show-all" if exporter.show_all_offsets else "--no-offset.show-all")
    return args + kafka_exporter_logging_args(exporter)


def kafka_exporter_logging_args(exporter: KafkaExporter) -> list[str]:
    """The exporter's logging: klog's verbosity from spec.kafkaExporter.logging, Sarama's log if asked for.

    v1.9.0 logs through klog only, in klog's fixed line format on stderr; its
    `--log.level`/`--log.format` flags are parsed but drive nothing, so they are
    not given (README, "Logging").
    """
    args = ["--log.enable-sarama"] if exporter.enable_sarama_logging else []
    return args + [f"--verbosity={KAFKA_EXPORTER_VERBOSITY[exporter.logging]}"]


# --- Prometheus Operator: PodMonitors, alerts, Grafana dashboards ------------------------

# Every pod label strimzi.io/<x> becomes the series label strimzi_io_<x>, so queries can
# tell clusters, pools and roles apart.
STRIMZI_LABELS_RELABELING = {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(strimzi_io_.+)",
                             "replacement": "$1"}
ALERT_THRESHOLDS = {
    "underReplicatedFor": "5m",
    "consumerLag": 1000,
    "consumerLagFor": "10m",
    "diskAvailablePercent": 15,
}
DASHBOARDS = ("kafka-cluster.json", "kafka-consumer-lag.json")
# The alerts and dashboards query the names that Strimzi's JMX exporter rules give;
# per metricsConfig type, the names that differ from those. Strimzi's metrics
# reporter names the brokers' Yammer meters after their MBeans, with "persec" (the
# real scrape of tests/e2e/test_metrics_reporter.py has every other queried name).
METRIC_NAMES = {
    JMX_PROMETHEUS_EXPORTER: {},
    STRIMZI_METRICS_REPORTER: {
        "kafka_server_brokertopicmetrics_bytesin_total": "kafka_server_brokertopicmetrics_bytesinpersec_total",
        "kafka_server_brokertopicmetrics_bytesout_total": "kafka_server_brokertopicmetrics_bytesoutpersec_total",
        "kafka_server_brokertopicmetrics_messagesin_total":
            "kafka_server_brokertopicmetrics_messagesinpersec_total",
    },
}


def prometheus_operator_values(cluster: Cluster) -> dict | None:
    """PodMonitors, a PrometheusRule and dashboard ConfigMaps; null unless the Kafka asks for them."""
    if not cluster.prometheus_operator:
        return None
    name = f"{cluster.name}-kafka"
    pod_monitors = []
    if cluster.metrics is not None:
        pod_monitors.append({
            "name": name,
            "matchLabels": {"strimzi.io/cluster": cluster.name, "strimzi.io/kind": "Kafka"},
            "port": METRICS_PORT_NAME,
            "relabelings": [STRIMZI_LABELS_RELABELING],
        })
    if cluster.kafka_exporter is not None:
        pod_monitors.append({
            "name": kafka_exporter_name(cluster),
            "matchLabels": hook_pod_labels(cluster, "kafka-exporter"),
            "port": METRICS_PORT_NAME,
            "relabelings": [STRIMZI_LABELS_RELABELING],
        })
    return {
        "podMonitors": pod_monitors,
        "ruleName": f"{name}-alerts",
        "thresholds": dict(ALERT_THRESHOLDS),
        "alerts": alerts(cluster),
        "metricNames": metric_names(cluster),
        "dashboards": [{"configMapName": f"{name}-dashboard-{file.removesuffix('.json')}", "file": file}
                       for file in DASHBOARDS
                       if file != "kafka-consumer-lag.json" or cluster.kafka_exporter is not None],
    }


def metric_names(cluster: Cluster) -> dict[str, str]:
    """The queried names that the cluster's metricsConfig type serves under another name."""
    return dict(METRIC_NAMES[cluster.metrics.type]) if cluster.metrics is not None else {}


def with_metric_names(expr: str, names: dict[str, str]) -> str:
    return re.sub(r"[a-zA-Z_:][a-zA-Z0-9_:]*", lambda m: names.get(m.group(0), m.group(0)), expr)


def alerts(cluster: Cluster) -> list[dict]:
    """The alert rules, with the metric names of the cluster's metricsConfig type."""
    names = metric_names(cluster)
    return [{**rule, "expr": with_metric_names(rule["expr"], names)} for rule in alert_rules(cluster)]


def alert_rules(cluster: Cluster) -> list[dict]:
    """The alert rules; `expr` is completed with `operator` and the value of `threshold`
    (a key of the thresholds), so that a threshold is a value to override."""
    selector = f'strimzi_io_cluster="{cluster.name}"'
    rules = []
    if cluster.metrics is not None:
        rules += [
            alert("KafkaOfflinePartitions", "critical", "1m",
                  f"sum by (namespace, strimzi_io_cluster) "
                  f"(kafka_controller_kafkacontroller_offlinepartitionscount{{{selector}}})", ">", 0,
                  "Partitions without a leader",
                  "{{ $value }} partitions of Kafka {{ $labels.strimzi_io_cluster }} have no leader: "
                  "producers and consumers of them fail."),
            alert("KafkaUnderReplicatedPartitions", "warning", "underReplicatedFor",
                  f"kafka_server_replicamanager_underreplicatedpartitions{{{selector}}}", ">", 0,
                  "Under-replicated partitions",
                  "Broker {{ $labels.pod }} leads {{ $value }} partitions whose followers are behind."),
            alert("KafkaUnderMinIsrPartitions", "critical", "1m",
                  f"kafka_server_replicamanager_underminisrpartitioncount{{{selector}}}", ">", 0,
                  "Partitions under min.insync.replicas",
                  "Broker {{ $labels.pod }} leads {{ $value }} partitions with fewer in-sync replicas "
                  "than min.insync.replicas: producers with acks=all fail."),
            alert("KafkaNoActiveController", "critical", "2m",
                  f"sum by (namespace, strimzi_io_cluster) "
                  f"(kafka_controller_kafkacontroller_activecontrollercount{{{selector}}})", "!=", 1,
                  "No single active controller",
                  "Kafka {{ $labels.strimzi_io_cluster }} has {{ $value }} active controllers instead "
                  "of one."),
            alert("KafkaNodeDown", "critical", "3m",
                  f'up{{{selector},strimzi_io_kind="Kafka"}}', "==", 0,
                  "Kafka node not answering",
                  "The metrics endpoint of {{ $labels.pod }} has not answered for 3 minutes."),
            alert("KafkaBrokerNotRunning", "warning", "5m",
                  f"kafka_server_kafkaserver_brokerstate{{{selector}}}", "!=", 3,
                  "Broker not in the running state",
                  "Broker {{ $labels.pod }} is in state {{ $value }} (3 is running)."),
            alert("KafkaDiskFillingUp", "warning", "5m",
                  f'100 * kubelet_volume_stats_available_bytes{{persistentvolumeclaim=~"data(-[0-9]+)?-'
                  f'{cluster.name}-.+"}} / kubelet_volume_stats_capacity_bytes{{persistentvolumeclaim=~'
                  f'"data(-[0-9]+)?-{cluster.name}-.+"}}', "<", "diskAvailablePercent",
                  "Kafka volume almost full",
                  "Volume {{ $labels.persistentvolumeclaim }} has {{ $value | humanize }}% space left."),
        ]
    if cluster.kafka_exporter is not None:
        rules.append(alert(
            "KafkaConsumerGroupLag", "warning", "consumerLagFor",
            f"sum by (namespace, strimzi_io_cluster, consumergroup, topic) "
            f"(kafka_consumergroup_lag{{{selector}}})", ">", "consumerLag",
            "Consumer group lagging",
            "Consumer group {{ $labels.consumergroup }} is {{ $value }} records behind on topic "
            "{{ $labels.topic }}."))
    return rules


def alert(name: str, severity: str, for_: str, expr: str, operator: str, threshold,
          summary: str, description: str) -> dict:
    """One alert; `threshold` and `for_` are literal values or keys of the thresholds."""
    return {"alert": name, "expr": expr, "operator": operator, "threshold": threshold, "for": for_,
            "severity": severity, "summary": summary, "description": description}
