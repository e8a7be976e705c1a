"""Prometheus metrics: the JMX exporter's javaagent or Strimzi's metrics reporter in every node,
Kafka Exporter's Deployment, and the Prometheus Operator's PodMonitors, alerts and dashboards.

Placed by templates/metrics/ (the nodes' part by templates/broker/statefulset.yaml).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..model import (JMX_PROMETHEUS_EXPORTER, STRIMZI_KAFKA_IMAGE, STRIMZI_METRICS_REPORTER, Cluster,
                     KafkaExporter)
from ..properties import config_text
from .naming import REPLICATION, cluster_names, hook_pod_labels, kafka_kind_selector
from .pods import (CONTAINER_SECURITY_CONTEXT, PROBE_DEFAULTS, ca_cert_volume, env_list, image, metadata_of,
                   pod_spec)

METRICS_PORT = 9404  # Strimzi's port for the exporter and the reporter, named tcp-prometheus
_METRICS_PORT_NAME = "tcp-prometheus"
_METRICS_CONFIG_DIR = "/opt/kafka/metrics-config"
_METRICS_CONFIG_FILE = "metrics-config.yml"
_METRICS_AGENT_DIR = "/opt/kafka/metrics-agent"
METRICS_AGENT_JAR = "jmx_prometheus_javaagent.jar"
# The apache/kafka image has neither the JMX exporter nor Strimzi's metrics reporter;
# Strimzi's Kafka image ships both in its libs folder. An init container copies them
# from there into an emptyDir: the agent's one jar, or the reporter's jar with the
# Prometheus client library it runs on (io.strimzi:metrics-reporter 0.2.0 and
# io.prometheus:prometheus-metrics-* 1.3.6 in the image of Kafka 4.1.0).
_DEFAULT_METRICS_AGENT_SOURCE = "/opt/kafka/libs/jmx_prometheus_javaagent-*.jar"
_DEFAULT_METRICS_REPORTER_SOURCE = ("/opt/kafka/libs/metrics-reporter-*.jar "
                                   "/opt/kafka/libs/prometheus-metrics-*.jar")
# The reporter's classes, for Kafka's metrics and for the brokers' Yammer metrics.
_METRICS_REPORTER_CLASS = "io.strimzi.kafka.metrics.KafkaPrometheusMetricsReporter"
_YAMMER_METRICS_REPORTER_CLASS = "io.strimzi.kafka.metrics.YammerPrometheusMetricsReporter"
# Copies what the source patterns match: each pattern must match a file; with
# KAFKAC_AGENT_JAR (the agent), exactly one, copied under that name. The patterns
# come from the environment and are only split and matched, never evaluated.
# Its messages are in the chart's line format (README, "Logging"); the scripts'
# log.sh is not mounted in this container.
METRICS_AGENT_COPY_SCRIPT = (Path(__file__).parent / "metrics-agent-copy.sh").read_text()


def metrics_values(cluster: Cluster) -> dict | None:
    """The exporter's rules ConfigMap and the init container that brings the agent or the
    reporter's jars; null without metricsConfig."""
    metrics = cluster.metrics
    if metrics is None:
        return None
    copy_env = {"KAFKAC_AGENT_DIR": _METRICS_AGENT_DIR}
    if not metrics.is_reporter:
        copy_env["KAFKAC_AGENT_JAR"] = METRICS_AGENT_JAR
    return {
        "type": metrics.type,
        "port": METRICS_PORT,
        "portName": _METRICS_PORT_NAME,
        "configMapName": None if metrics.is_reporter else cluster_names(cluster).metrics_config_map,
        "fileName": None if metrics.is_reporter else _METRICS_CONFIG_FILE,
        "content": metrics.exporter_config,
        "agent": {
            "image": image(STRIMZI_KAFKA_IMAGE),
            "source": _DEFAULT_METRICS_REPORTER_SOURCE if metrics.is_reporter else _DEFAULT_METRICS_AGENT_SOURCE,
            "container": {
                "name": "metrics-agent",
                "command": ["/bin/sh", "-c", METRICS_AGENT_COPY_SCRIPT],
                "env": env_list(copy_env),
                "resources": {"requests": {"cpu": "50m", "memory": "32Mi"},
                              "limits": {"memory": "64Mi"}},
                "securityContext": CONTAINER_SECURITY_CONTEXT,
                "volumeMounts": [{"name": "metrics-agent", "mountPath": _METRICS_AGENT_DIR}],
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
        ("metric.reporters", with_user_reporters("metric.reporters", _METRICS_REPORTER_CLASS)),
        ("kafka.metrics.reporters", with_user_reporters("kafka.metrics.reporters",
                                                        _YAMMER_METRICS_REPORTER_CLASS)),
        ("prometheus.metrics.reporter.listener.enable", "true"),
        ("prometheus.metrics.reporter.listener", f"http://:{METRICS_PORT}"),
        ("prometheus.metrics.reporter.allowlist", ",".join(cluster.metrics.allow_list)),
    ]


def metrics_container_ports(cluster: Cluster) -> list[dict]:
    if cluster.metrics is None:
        return []
    return [{"name": _METRICS_PORT_NAME, "containerPort": METRICS_PORT, "protocol": "TCP"}]


def metrics_env(cluster: Cluster) -> dict:
    """What kafka-run.sh adds for the Kafka process only (not its tools): the javaagent
    option, or the reporter's jars on the class path."""
    if cluster.metrics is None:
        return {}
    if cluster.metrics.is_reporter:
        return {"KAFKAC_METRICS_CLASSPATH": f"{_METRICS_AGENT_DIR}/*"}
    agent = f"{_METRICS_AGENT_DIR}/{METRICS_AGENT_JAR}"
    return {"KAFKAC_METRICS_AGENT_OPTS":
            f"-javaagent:{agent}={METRICS_PORT}:{_METRICS_CONFIG_DIR}/{_METRICS_CONFIG_FILE}"}


def metrics_volumes(cluster: Cluster) -> list[dict]:
    if cluster.metrics is None:
        return []
    agent = [{"name": "metrics-agent", "emptyDir": {"sizeLimit": "16Mi"}}]
    if cluster.metrics.is_reporter:
        return agent
    return [{"name": "metrics-config", "configMap": {"name": cluster_names(cluster).metrics_config_map}}, *agent]


def metrics_volume_mounts(cluster: Cluster) -> list[dict]:
    if cluster.metrics is None:
        return []
    agent = [{"name": "metrics-agent", "mountPath": _METRICS_AGENT_DIR, "readOnly": True}]
    if cluster.metrics.is_reporter:
        return agent
    return [{"name": "metrics-config", "mountPath": _METRICS_CONFIG_DIR, "readOnly": True}, *agent]


_KAFKA_EXPORTER_CA_DIR = "/etc/kafka-exporter/cluster-ca"
_KAFKA_EXPORTER_CERTS_DIR = "/etc/kafka-exporter/certs"
_KAFKA_EXPORTER_CERT, _KAFKA_EXPORTER_KEY = "kafka-exporter.crt", "kafka-exporter.key"
_KAFKA_EXPORTER_UID = 65534  # nobody, in the exporter's busybox image
_KAFKA_EXPORTER_VERBOSITY = {"info": "0", "debug": "1", "trace": "2"}


def kafka_exporter_values(cluster: Cluster) -> dict | None:
    """The Kafka Exporter Deployment and its Service; null without spec.kafkaExporter."""
    exporter = cluster.kafka_exporter
    if exporter is None:
        return None
    names = cluster_names(cluster)
    name = names.kafka_exporter
    template = exporter.template
    pod = template.get("pod", {})
    container = template.get("container", {})
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
        ca_cert_volume("cluster-ca-cert", names.cluster_ca_cert_secret),
        {"name": "kafka-exporter-certs", "secret": {
            "secretName": names.kafka_exporter_cert_secret,
            "items": [{"key": key, "path": key} for key in (_KAFKA_EXPORTER_CERT, _KAFKA_EXPORTER_KEY)]}},
    ]
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "cluster-ca-cert", "mountPath": _KAFKA_EXPORTER_CA_DIR, "readOnly": True},
        {"name": "kafka-exporter-certs", "mountPath": _KAFKA_EXPORTER_CERTS_DIR, "readOnly": True},
    ]
    spec = pod_spec(pod, name, False, {
        "runAsNonRoot": True, "runAsUser": _KAFKA_EXPORTER_UID, "runAsGroup": _KAFKA_EXPORTER_UID,
        "seccompProfile": {"type": "RuntimeDefault"}})
    return {
        "name": name,
        "image": image(exporter.image),
        "port": METRICS_PORT,
        "portName": _METRICS_PORT_NAME,
        "args": _kafka_exporter_args(cluster),
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


def _kafka_exporter_args(cluster: Cluster) -> list[str]:
    """Kafka Exporter's command line: one argument per setting, never through a shell.

    It connects as Strimzi's does: to the bootstrap Service's replication port,
    which every broker serves with TLS and asks a certificate of the cluster CA,
    with its own certificate from the certificates Job. No client listener is needed.
    """
    exporter = cluster.kafka_exporter
    args = [
        f"--kafka.server={cluster_names(cluster).bootstrap_service}:{REPLICATION.port}",
        f"--kafka.version={cluster.kafka_version}",
        f"--web.listen-address=:{METRICS_PORT}",
        f"--topic.filter={exporter.topic_regex}",
        f"--group.filter={exporter.group_regex}",
    ]
    if exporter.topic_exclude_regex is not None:
        args.append(f"--topic.exclude={exporter.topic_exclude_regex}")
    if exporter.group_exclude_regex is not None:
        args.append(f"--group.exclude={exporter.group_exclude_regex}")
    args += ["--tls.enabled", f"--tls.ca-file={_KAFKA_EXPORTER_CA_DIR}/ca.crt",
             f"--tls.cert-file={_KAFKA_EXPORTER_CERTS_DIR}/{_KAFKA_EXPORTER_CERT}",
             f"--tls.key-file={_KAFKA_EXPORTER_CERTS_DIR}/{_KAFKA_EXPORTER_KEY}"]
    args.append("--offset.show-all" if exporter.show_all_offsets else "--no-offset.show-all")
    return args + kafka_exporter_logging_args(exporter)


def kafka_exporter_logging_args(exporter: KafkaExporter) -> list[str]:
    """The exporter's logging: klog's verbosity from spec.kafkaExporter.logging, Sarama's log if asked for.

    v1.9.0 logs through klog only, in klog's fixed line format on stderr; its
    `--log.level`/`--log.format` flags are parsed but drive nothing, so they are
    not given (README, "Logging").
    """
    args = ["--log.enable-sarama"] if exporter.enable_sarama_logging else []
    return args + [f"--verbosity={_KAFKA_EXPORTER_VERBOSITY[exporter.logging]}"]


# Every pod label strimzi.io/<x> becomes the series label strimzi_io_<x>, so queries can
# tell clusters, pools and roles apart.
_STRIMZI_LABELS_RELABELING = {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(strimzi_io_.+)",
                             "replacement": "$1"}
# In the order of the PrometheusRule's entries.
_ALERT_KEYS = ("alert", "expr", "operator", "threshold", "for", "severity", "summary", "description")
_ALERT_RULES = yaml.safe_load((Path(__file__).parent / "alert-rules.yaml").read_text())
_ALERT_THRESHOLDS = {
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
_METRIC_NAMES = {
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
    name = cluster_names(cluster).kafka
    pod_monitors = []
    if cluster.metrics is not None:
        pod_monitors.append(_pod_monitor(name, kafka_kind_selector(cluster)))
    if cluster.kafka_exporter is not None:
        pod_monitors.append(_pod_monitor(cluster_names(cluster).kafka_exporter,
                                         hook_pod_labels(cluster, "kafka-exporter")))
    return {
        "podMonitors": pod_monitors,
        "ruleName": f"{name}-alerts",
        "thresholds": dict(_ALERT_THRESHOLDS),
        "alerts": alerts(cluster),
        "metricNames": metric_names(cluster),
        "dashboards": [{"configMapName": f"{name}-dashboard-{file.removesuffix('.json')}", "file": file}
                       for file in DASHBOARDS
                       if file != "kafka-consumer-lag.json" or cluster.kafka_exporter is not None],
    }


def _pod_monitor(name: str, match_labels: dict) -> dict:
    return {"name": name, "matchLabels": match_labels, "port": _METRICS_PORT_NAME,
            "relabelings": [_STRIMZI_LABELS_RELABELING]}


def metric_names(cluster: Cluster) -> dict[str, str]:
    """The queried names that the cluster's metricsConfig type serves under another name."""
    return dict(_METRIC_NAMES[cluster.metrics.type]) if cluster.metrics is not None else {}


def _with_metric_names(expr: str, names: dict[str, str]) -> str:
    return re.sub(r"[a-zA-Z_:][a-zA-Z0-9_:]*", lambda m: names.get(m.group(0), m.group(0)), expr)


def alerts(cluster: Cluster) -> list[dict]:
    """The alert rules, with the metric names of the cluster's metricsConfig type."""
    names = metric_names(cluster)
    return [{**rule, "expr": _with_metric_names(rule["expr"], names)} for rule in _alert_rules(cluster)]


def _alert_rules(cluster: Cluster) -> list[dict]:
    """The rules of alert-rules.yaml whose metrics the cluster serves, for this cluster."""
    present = {"metricsConfig": cluster.metrics is not None, "kafkaExporter": cluster.kafka_exporter is not None}
    return [{**{key: rule[key] for key in _ALERT_KEYS}, "expr": rule["expr"].replace("<cluster>", cluster.name)}
            for rule in _ALERT_RULES if present[rule["needs"]]]
