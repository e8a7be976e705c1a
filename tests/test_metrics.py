"""spec.kafka.metricsConfig: the Prometheus JMX exporter wired into every Kafka node.

The chart is compiled from Strimzi's own metrics example (its Kafka Exporter
section left out, and put back where a test is about Kafka Exporter) and
rendered with the real helm; the init container's copy command is run for real
with /bin/sh. Kafka Exporter itself cannot run here (no image registry, and the
Go module proxy refuses its module): its arguments, mounts and identity are
checked here, and tests/e2e/test_production.py connects with its certificate
as it would.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.check_options import CheckOptions
from compiler.model import DEFAULT_METRICS_ALLOW_LIST
from compiler.plan.metrics import METRICS_AGENT_JAR
from compiler.verify import verify

from .conftest import STRIMZI_CORPUS, require_strimzi_corpus
from .promql import metric_names
from .util import compile_chart, compiled_manifests, manifests_of

TEMPLATE_LOOKING = '{{ lookup "v1" "Secret" "kube-system" "x" }}'


def strimzi_metrics_example() -> str:
    require_strimzi_corpus()
    text = (STRIMZI_CORPUS / "examples" / "metrics" / "kafka-metrics.yaml").read_text()
    without_exporter = text.replace('  kafkaExporter:\n    topicRegex: ".*"\n    groupRegex: ".*"\n', "")
    assert without_exporter != text, "Strimzi's example no longer has the Kafka Exporter section"
    return without_exporter


def rendered(tmp_path, spec: str) -> list[dict]:
    (tmp_path / "kafka.yaml").write_text(spec)
    # Strimzi's example is no production cluster: the dev profile, where the policies warn.
    return compiled_manifests(tmp_path / "kafka.yaml", tmp_path / "out", check=CheckOptions(profile="dev"))


def exporter_rules(spec: str) -> str:
    config_map = next(d for d in yaml.safe_load_all(spec) if d["kind"] == "ConfigMap")
    return config_map["data"]["kafka-metrics-config.yml"]


@pytest.fixture(scope="module")
def strimzi_example(tmp_path_factory, installed_tools):
    spec = strimzi_metrics_example()
    return spec, rendered(tmp_path_factory.mktemp("metrics"), spec)


@pytest.mark.tools
def test_the_rules_configmap_holds_strimzis_rules_unchanged(strimzi_example):
    spec, manifests = strimzi_example
    config_map = next(m for m in manifests if m["kind"] == "ConfigMap"
                      and m["metadata"]["name"] == "my-cluster-kafka-metrics")
    assert config_map["data"] == {"metrics-config.yml": exporter_rules(spec)}


@pytest.mark.tools
def test_every_node_runs_the_agent_on_port_9404(strimzi_example):
    _, manifests = strimzi_example
    stateful_sets = [m for m in manifests if m["kind"] == "StatefulSet"]
    assert sorted(s["metadata"]["name"] for s in stateful_sets) == ["my-cluster-broker", "my-cluster-controller"]
    for stateful_set in stateful_sets:
        pod = stateful_set["spec"]["template"]["spec"]
        kafka = pod["containers"][0]
        assert {"name": "tcp-prometheus", "containerPort": 9404, "protocol": "TCP"} in kafka["ports"]
        env = {e["name"]: e.get("value") for e in kafka["env"]}
        assert env["KAFKAC_METRICS_AGENT_OPTS"] == (
            f"-javaagent:/opt/kafka/metrics-agent/{METRICS_AGENT_JAR}=9404:"
            "/opt/kafka/metrics-config/metrics-config.yml")
        # Kafka's tools and the probes share the container's environment: the agent is
        # added by kafka-run.sh for the server alone, or a second JVM would take 9404.
        assert "javaagent" not in env.get("KAFKA_OPTS", "")
        mounts = {m["mountPath"]: m["name"] for m in kafka["volumeMounts"]}
        assert mounts["/opt/kafka/metrics-agent"] == "metrics-agent"
        assert mounts["/opt/kafka/metrics-config"] == "metrics-config"
        (init,) = [c for c in pod["initContainers"] if c["name"] == "metrics-agent"]
        assert init["image"] == "quay.io/strimzi/kafka:0.48.0-kafka-4.1.0"
        assert init["volumeMounts"] == [{"name": "metrics-agent", "mountPath": "/opt/kafka/metrics-agent"}]
        assert init["securityContext"]["readOnlyRootFilesystem"] is True
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["metrics-config"]["configMap"]["name"] == "my-cluster-kafka-metrics"
        assert "emptyDir" in volumes["metrics-agent"]


@pytest.mark.tools
def test_the_headless_service_declares_the_metrics_port_and_the_bootstrap_does_not(strimzi_example):
    _, manifests = strimzi_example
    services = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Service"}
    metrics_port = {"name": "tcp-prometheus", "port": 9404, "targetPort": 9404, "protocol": "TCP"}
    assert metrics_port in services["my-cluster-kafka-brokers"]["spec"]["ports"]
    assert all(p["port"] != 9404 for p in services["my-cluster-kafka-bootstrap"]["spec"]["ports"])


@pytest.mark.tools
def test_without_metrics_config_nothing_of_it_is_rendered(tmp_path, installed_tools):
    spec = strimzi_metrics_example()
    kafka_start = spec.index("    metricsConfig:")
    kafka_end = spec.index("  entityOperator:")
    manifests = rendered(tmp_path, spec[:kafka_start] + spec[kafka_end:])
    text = yaml.safe_dump_all(manifests)
    assert "9404" not in text and "metrics-agent" not in text and "-javaagent:" not in text


@pytest.mark.tools
def test_template_syntax_in_the_rules_comes_out_literally(tmp_path, installed_tools):
    spec = strimzi_metrics_example().replace(
        "    lowercaseOutputName: true\n",
        f"    lowercaseOutputName: true\n    # {TEMPLATE_LOOKING}\n")
    manifests = rendered(tmp_path, spec)
    config_map = next(m for m in manifests if m["metadata"]["name"] == "my-cluster-kafka-metrics")
    assert f"# {TEMPLATE_LOOKING}\n" in config_map["data"]["metrics-config.yml"]


def run_copy(init: dict, image_root, agent_dir, source: str) -> subprocess.CompletedProcess:
    env = {e["name"]: e["value"] for e in init["env"]}
    env.update({"KAFKAC_AGENT_SOURCE": str(image_root) + source, "KAFKAC_AGENT_DIR": str(agent_dir),
                "PATH": os.environ["PATH"]})
    return subprocess.run(init["command"], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.tools
def test_the_init_container_copies_exactly_one_agent_jar(strimzi_example, tmp_path):
    _, manifests = strimzi_example
    pod = next(m for m in manifests if m["kind"] == "StatefulSet")["spec"]["template"]["spec"]
    (init,) = [c for c in pod["initContainers"] if c["name"] == "metrics-agent"]
    source = next(e["value"] for e in init["env"] if e["name"] == "KAFKAC_AGENT_SOURCE")
    libs = tmp_path / "image" / "opt" / "kafka" / "libs"
    libs.mkdir(parents=True)
    agent_dir = tmp_path / "agent"
    agent_dir.mkdir()

    missing = run_copy(init, tmp_path / "image", agent_dir, source)
    assert missing.returncode == 1 and "expected one file" in missing.stderr

    (libs / "jmx_prometheus_javaagent-1.3.0.jar").write_bytes(b"agent")
    copied = run_copy(init, tmp_path / "image", agent_dir, source)
    assert copied.returncode == 0, copied.stderr
    assert (agent_dir / METRICS_AGENT_JAR).read_bytes() == b"agent"

    (libs / "jmx_prometheus_javaagent-1.4.0.jar").write_bytes(b"other")
    two = run_copy(init, tmp_path / "image", agent_dir, source)
    assert two.returncode == 1 and "expected one file" in two.stderr


# --- Strimzi's metrics reporter ----------------------------------------------------------

def strimzi_reporter_example() -> str:
    require_strimzi_corpus()
    return (STRIMZI_CORPUS / "examples" / "metrics" / "strimzi-metrics-reporter" / "kafka-metrics.yaml").read_text()


def properties_of(manifests: list[dict], pool: str) -> dict[str, str]:
    config_map = next(m for m in manifests if m["kind"] == "ConfigMap"
                      and m["metadata"]["name"] == f"my-cluster-{pool}-config")
    lines = config_map["data"]["server.properties"].splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def reporter_example(tmp_path_factory, installed_tools):
    return rendered(tmp_path_factory.mktemp("reporter"), strimzi_reporter_example())


@pytest.mark.tools
def test_every_node_runs_the_reporter_on_port_9404_with_strimzis_default_allow_list(reporter_example):
    for pool in ("broker", "controller"):
        props = properties_of(reporter_example, pool)
        assert props["metric.reporters"] == "io.strimzi.kafka.metrics.KafkaPrometheusMetricsReporter"
        assert props["kafka.metrics.reporters"] == "io.strimzi.kafka.metrics.YammerPrometheusMetricsReporter"
        assert props["prometheus.metrics.reporter.listener.enable"] == "true"
        assert props["prometheus.metrics.reporter.listener"] == "http://:9404"
        assert props["prometheus.metrics.reporter.allowlist"].split(",") == list(DEFAULT_METRICS_ALLOW_LIST)


@pytest.mark.tools
def test_the_reporters_jars_join_the_class_path_of_the_server_and_no_rules_configmap_is_made(reporter_example):
    assert not [m for m in reporter_example if m["metadata"]["name"] == "my-cluster-kafka-metrics"]
    stateful_sets = [m for m in reporter_example if m["kind"] == "StatefulSet"]
    assert len(stateful_sets) == 2
    for stateful_set in stateful_sets:
        pod = stateful_set["spec"]["template"]["spec"]
        kafka = pod["containers"][0]
        assert {"name": "tcp-prometheus", "containerPort": 9404, "protocol": "TCP"} in kafka["ports"]
        env = {e["name"]: e.get("value") for e in kafka["env"]}
        assert env["KAFKAC_METRICS_CLASSPATH"] == "/opt/kafka/metrics-agent/*"
        assert "KAFKAC_METRICS_AGENT_OPTS" not in env and "CLASSPATH" not in env
        assert {m["mountPath"]: m["name"] for m in kafka["volumeMounts"]}["/opt/kafka/metrics-agent"] == "metrics-agent"
        assert "metrics-config" not in {v["name"] for v in pod["volumes"]}
        (init,) = [c for c in pod["initContainers"] if c["name"] == "metrics-agent"]
        assert init["image"] == "quay.io/strimzi/kafka:0.48.0-kafka-4.1.0"
    services = {m["metadata"]["name"]: m for m in reporter_example if m["kind"] == "Service"}
    assert {"name": "tcp-prometheus", "port": 9404, "targetPort": 9404, "protocol": "TCP"} in \
        services["my-cluster-kafka-brokers"]["spec"]["ports"]


@pytest.mark.tools
def test_an_allow_list_and_reporters_of_the_config_are_kept(tmp_path, installed_tools):
    spec = strimzi_reporter_example().replace(
        "      type: strimziMetricsReporter\n",
        "      type: strimziMetricsReporter\n      values:\n"
        "        allowList: [\"kafka_server_replicamanager_.*\", \"kafka_log_log_size\"]\n").replace(
        "      min.insync.replicas: 2\n",
        "      min.insync.replicas: 2\n      metric.reporters: org.apache.kafka.common.metrics.JmxReporter\n")
    props = properties_of(rendered(tmp_path, spec), "broker")
    assert props["prometheus.metrics.reporter.allowlist"] == "kafka_server_replicamanager_.*,kafka_log_log_size"
    assert props["metric.reporters"] == (
        "org.apache.kafka.common.metrics.JmxReporter,io.strimzi.kafka.metrics.KafkaPrometheusMetricsReporter")


@pytest.mark.tools
def test_the_init_container_copies_every_jar_the_reporter_needs(reporter_example, tmp_path):
    pod = next(m for m in reporter_example if m["kind"] == "StatefulSet")["spec"]["template"]["spec"]
    (init,) = [c for c in pod["initContainers"] if c["name"] == "metrics-agent"]
    source = next(e["value"] for e in init["env"] if e["name"] == "KAFKAC_AGENT_SOURCE")
    assert "KAFKAC_AGENT_JAR" not in {e["name"] for e in init["env"]}
    image = tmp_path / "image"
    libs = image / "opt" / "kafka" / "libs"
    libs.mkdir(parents=True)
    in_image = " ".join(f"{image}{pattern}" for pattern in source.split())
    copied_into = tmp_path / "agent"
    copied_into.mkdir()

    (libs / "metrics-reporter-0.2.0.jar").write_bytes(b"reporter")
    missing = run_copy(init, "", copied_into, in_image)
    assert missing.returncode == 1 and "prometheus-metrics-*.jar, found none" in missing.stderr

    jars = ["prometheus-metrics-model-1.3.6.jar", "prometheus-metrics-exporter-httpserver-1.3.6.jar"]
    for jar in jars:
        (libs / jar).write_bytes(jar.encode())
    (libs / "kafka-clients-4.1.0.jar").write_bytes(b"kafka")
    copied = run_copy(init, "", copied_into, in_image)
    assert copied.returncode == 0, copied.stderr
    assert sorted(p.name for p in copied_into.iterdir()) == sorted(["metrics-reporter-0.2.0.jar", *jars])
    assert (copied_into / jars[0]).read_bytes() == jars[0].encode()


# --- Kafka Exporter ---------------------------------------------------------------------

EXPORTER = """\
  kafkaExporter:
    topicRegex: "orders.*"
    groupRegex: "{{ .Release.Name }}"
    groupExcludeRegex: "^console-consumer-.*"
    showAllOffsets: false
    logging: debug
    resources:
      requests: {cpu: 50m, memory: 32Mi}
      limits: {memory: 128Mi}
"""


def with_exporter(spec: str, exporter: str = EXPORTER) -> str:
    return spec.replace('  kafkaExporter:\n    topicRegex: ".*"\n    groupRegex: ".*"\n', "") \
        .replace("  entityOperator:\n", exporter + "  entityOperator:\n", 1)


@pytest.mark.tools
def test_kafka_exporter_runs_with_the_specs_settings_as_single_arguments(tmp_path, installed_tools):
    manifests = rendered(tmp_path, with_exporter(strimzi_metrics_example()))
    objects = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert {("Deployment", "my-cluster-kafka-exporter"), ("Service", "my-cluster-kafka-exporter"),
            ("ServiceAccount", "my-cluster-kafka-exporter")} <= objects
    deployment = next(m for m in manifests if m["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "danielqsj/kafka-exporter:v1.9.0"
    # Not the example's plain listener: the replication port, with TLS and its own certificate.
    assert container["args"] == [
        "--kafka.server=my-cluster-kafka-bootstrap:9091", "--kafka.version=4.3.1",
        "--web.listen-address=:9404", "--topic.filter=orders.*", "--group.filter={{ .Release.Name }}",
        "--group.exclude=^console-consumer-.*", "--tls.enabled",
        "--tls.ca-file=/etc/kafka-exporter/cluster-ca/ca.crt",
        "--tls.cert-file=/etc/kafka-exporter/certs/kafka-exporter.crt",
        "--tls.key-file=/etc/kafka-exporter/certs/kafka-exporter.key",
        "--no-offset.show-all", "--verbosity=1"]
    assert "command" not in container, "the image's entrypoint is the exporter itself"
    assert container["resources"] == {"requests": {"cpu": "50m", "memory": "32Mi"},
                                      "limits": {"memory": "128Mi"}}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "tcp-prometheus"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert "strimzi.io/kind" not in labels, "the Kafka Services select strimzi.io/kind: Kafka"
    service = next(m for m in manifests if m["kind"] == "Service"
                   and m["metadata"]["name"] == "my-cluster-kafka-exporter")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"] == [{"name": "tcp-prometheus", "port": 9404, "targetPort": 9404,
                                         "protocol": "TCP"}]


# The listeners a client without credentials cannot use: a certificate of the clients CA
# is required, and ACLs decide. Kafka Exporter used to be refused on such a cluster.
AUTHENTICATED_ONLY = """\
    listeners:
      - name: tls
        port: 9093
        type: internal
        tls: true
        authentication:
          type: tls
    authorization:
      type: simple
"""
EXPORTER_PRINCIPAL = "User:CN=my-cluster-kafka-exporter,O=io.strimzi"


def with_authenticated_listeners_only(spec: str) -> str:
    start = spec.index("    listeners:\n")
    end = spec.index("    config:\n", start)
    return spec[:start] + AUTHENTICATED_ONLY + spec[end:]


def server_properties(manifests: list[dict]) -> dict[str, str]:
    """Every node pool's server.properties, by ConfigMap name."""
    return {m["metadata"]["name"]: m["data"]["server.properties"] for m in manifests
            if m["kind"] == "ConfigMap" and "server.properties" in (m.get("data") or {})}


def property_value(properties: str, key: str) -> str | None:
    values = [line.split("=", 1)[1] for line in properties.splitlines() if line.startswith(f"{key}=")]
    return values[-1] if values else None


@pytest.fixture(scope="module")
def authenticated_only(tmp_path_factory, installed_tools):
    spec = with_exporter(with_authenticated_listeners_only(strimzi_metrics_example()), "  kafkaExporter: {}\n")
    return rendered(tmp_path_factory.mktemp("authenticated"), spec)


@pytest.mark.tools
def test_kafka_exporter_needs_no_client_listener_it_uses_the_replication_port(authenticated_only):
    deployment = next(m for m in authenticated_only if m["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (server,) = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--kafka.server=")]
    host, port = server.rsplit(":", 1)
    (bootstrap,) = [m for m in authenticated_only if m["kind"] == "Service" and m["metadata"]["name"] == host]
    assert {"name": "tcp-replication", "port": 9091, "targetPort": 9091, "protocol": "TCP"} in \
        bootstrap["spec"]["ports"] and port == "9091"
    assert bootstrap["spec"]["selector"]["strimzi.io/broker-role"] == "true"
    # Every broker serves that port with TLS and asks a certificate the cluster CA signed.
    brokers = {name: props for name, props in server_properties(authenticated_only).items()
               if "broker" in (property_value(props, "process.roles") or "")}
    assert brokers
    for props in brokers.values():
        assert "REPLICATION-9091://0.0.0.0:9091" in property_value(props, "listeners")
        assert property_value(props, "listener.name.replication-9091.ssl.client.auth") == "required"
        assert property_value(props, "listener.name.replication-9091.ssl.truststore.location") \
            == "/opt/kafka/cluster-ca-certs/ca.crt"
        # Kafka's default principal for a certificate is its subject; no mapping rewrites it.
        assert property_value(props, "ssl.principal.mapping.rules") is None


@pytest.mark.tools
def test_every_tls_file_kafka_exporter_reads_is_a_key_of_a_mounted_secret(authenticated_only):
    pod = next(m for m in authenticated_only if m["kind"] == "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    files = dict(a.removeprefix("--").split("=", 1) for a in container["args"] if a.startswith("--tls.")
                 and "=" in a)
    assert set(files) == {"tls.ca-file", "tls.cert-file", "tls.key-file"}
    secrets = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    mounted = {}
    for mount in container["volumeMounts"]:
        if mount["name"] in secrets:
            assert mount.get("readOnly") is True, mount
            for item in secrets[mount["name"]]["items"]:
                mounted[f"{mount['mountPath']}/{item['path']}"] = (secrets[mount["name"]]["secretName"], item["key"])
    assert {option: mounted.get(path) for option, path in files.items()} == {
        "tls.ca-file": ("my-cluster-cluster-ca-cert", "ca.crt"),
        "tls.cert-file": ("my-cluster-kafka-exporter-certs", "kafka-exporter.crt"),
        "tls.key-file": ("my-cluster-kafka-exporter-certs", "kafka-exporter.key"),
    }


@pytest.mark.tools
def test_with_simple_authorization_kafka_exporter_is_a_super_user_of_every_node(authenticated_only):
    properties = server_properties(authenticated_only)
    assert properties
    for name, props in properties.items():
        super_users = property_value(props, "super.users").split(";")
        assert super_users == ["User:CN=my-cluster-kafka,O=io.strimzi", EXPORTER_PRINCIPAL], name


@pytest.mark.tools
def test_without_kafka_exporter_no_node_makes_it_a_super_user(tmp_path, installed_tools):
    manifests = rendered(tmp_path, with_authenticated_listeners_only(strimzi_metrics_example()))
    assert not [m for m in manifests if m["kind"] == "Deployment"]
    for props in server_properties(manifests).values():
        assert property_value(props, "super.users") == "User:CN=my-cluster-kafka,O=io.strimzi"


# --- Prometheus Operator resources ------------------------------------------------------

# The metrics Kafka Exporter documents (its README, "Metrics").
KAFKA_EXPORTER_METRICS = frozenset({
    "kafka_brokers", "kafka_broker_info", "kafka_topic_partitions", "kafka_topic_partition_current_offset",
    "kafka_topic_partition_oldest_offset", "kafka_topic_partition_in_sync_replica",
    "kafka_topic_partition_leader", "kafka_topic_partition_leader_is_preferred",
    "kafka_topic_partition_replicas", "kafka_topic_partition_under_replicated_partition",
    "kafka_consumergroup_current_offset", "kafka_consumergroup_current_offset_sum",
    "kafka_consumergroup_lag", "kafka_consumergroup_lag_sum", "kafka_consumergroup_members",
})
KUBELET_METRICS = frozenset({"kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"})
DASHBOARDS = Path(__file__).resolve().parent.parent / "charts" / "kafka" / "files" / "dashboards"


def with_prometheus_operator(spec: str) -> str:
    return spec.replace("  name: my-cluster\nspec:\n",
                        '  name: my-cluster\n  annotations:\n    kafkac.io/prometheus-operator: "true"\nspec:\n')


def shipped_queries(manifests: list[dict]) -> list[str]:
    """Every PromQL expression of the rendered alerts and of the dashboards the chart ships."""
    rule = next(m for m in manifests if m["kind"] == "PrometheusRule")
    queries = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    for dashboard in sorted(DASHBOARDS.glob("*.json")):
        panels = json.loads(dashboard.read_text())["panels"]
        queries += [target["expr"] for panel in panels for target in panel["targets"]]
    return queries


@pytest.fixture(scope="module")
def monitored(tmp_path_factory, installed_tools):
    spec = with_prometheus_operator(strimzi_metrics_example())
    return rendered(tmp_path_factory.mktemp("monitored"), with_exporter(spec, "  kafkaExporter: {}\n"))


@pytest.mark.tools
def test_pod_monitors_select_the_kafka_nodes_and_the_exporter(monitored):
    monitors = {m["metadata"]["name"]: m["spec"] for m in monitored if m["kind"] == "PodMonitor"}
    assert set(monitors) == {"my-cluster-kafka", "my-cluster-kafka-exporter"}
    nodes = next(p for p in monitored if p["kind"] == "StatefulSet")["spec"]["template"]["metadata"]["labels"]
    exporter = next(m for m in monitored if m["kind"] == "Deployment")["spec"]["template"]["metadata"]["labels"]
    for name, labels in (("my-cluster-kafka", nodes), ("my-cluster-kafka-exporter", exporter)):
        selector = monitors[name]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()
        assert monitors[name]["podMetricsEndpoints"][0]["port"] == "tcp-prometheus"
    assert not exporter.items() >= monitors["my-cluster-kafka"]["selector"]["matchLabels"].items()


@pytest.mark.tools
def test_alerts_cover_what_an_on_call_team_expects(monitored):
    (rule,) = [m for m in monitored if m["kind"] == "PrometheusRule"]
    alerts = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    assert set(alerts) == {"KafkaOfflinePartitions", "KafkaUnderReplicatedPartitions",
                           "KafkaUnderMinIsrPartitions", "KafkaNoActiveController", "KafkaNodeDown",
                           "KafkaBrokerNotRunning", "KafkaDiskFillingUp", "KafkaConsumerGroupLag"}
    assert alerts["KafkaConsumerGroupLag"]["expr"].endswith("> 1000")
    assert alerts["KafkaConsumerGroupLag"]["for"] == "10m"
    assert alerts["KafkaDiskFillingUp"]["expr"].endswith("< 15")
    # Prometheus's own templates in the annotations reach it as they are.
    assert "{{ $labels.pod }}" in alerts["KafkaNodeDown"]["annotations"]["description"]


@pytest.mark.tools
def test_a_threshold_is_a_value_to_override(tmp_path, installed_tools):
    spec = with_exporter(with_prometheus_operator(strimzi_metrics_example()), "  kafkaExporter: {}\n")
    (tmp_path / "kafka.yaml").write_text(spec)
    chart = compile_chart(tmp_path / "kafka.yaml", tmp_path / "out", check=CheckOptions(profile="dev"))
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("prometheusOperator:\n  thresholds:\n    consumerLag: 5000\n    consumerLagFor: 30m\n")
    manifests = manifests_of(chart, [overrides])
    (rule,) = [m for m in manifests if m["kind"] == "PrometheusRule"]
    lag = next(r for r in rule["spec"]["groups"][0]["rules"] if r["alert"] == "KafkaConsumerGroupLag")
    assert lag["expr"].endswith("> 5000") and lag["for"] == "30m"


@pytest.mark.tools
def test_dashboards_are_configmaps_for_grafanas_sidecar(monitored):
    dashboards = {m["metadata"]["name"]: m for m in monitored
                  if m["kind"] == "ConfigMap" and m["metadata"]["labels"].get("grafana_dashboard") == "1"}
    assert set(dashboards) == {"my-cluster-kafka-dashboard-kafka-cluster",
                               "my-cluster-kafka-dashboard-kafka-consumer-lag"}
    for config_map in dashboards.values():
        ((file, content),) = config_map["data"].items()
        assert content == (DASHBOARDS / file).read_text()
        assert json.loads(content)["panels"]


@pytest.mark.tools
def test_without_the_annotation_there_are_no_prometheus_operator_resources(strimzi_example):
    _, manifests = strimzi_example
    assert not [m for m in manifests if m["apiVersion"].startswith("monitoring.coreos.com/")]
    assert not [m for m in manifests if "grafana_dashboard" in (m["metadata"].get("labels") or {})]


@pytest.mark.tools
def test_kafka_exporter_metrics_in_queries_are_ones_it_documents(monitored):
    """Kafka Exporter cannot run here; its metrics are checked against the names it documents.
    The JMX metrics are checked against a real scrape in tests/e2e/test_metrics.py."""
    names = set().union(*(metric_names(q) for q in shipped_queries(monitored)))
    exporter_names = {n for n in names if n.startswith(("kafka_consumergroup_", "kafka_topic_", "kafka_broker"))
                      and not n.startswith("kafka_server_")}
    assert exporter_names and exporter_names <= KAFKA_EXPORTER_METRICS, exporter_names - KAFKA_EXPORTER_METRICS
    assert {n for n in names if n.startswith("kubelet_")} <= KUBELET_METRICS


def test_the_production_rules_produce_every_jmx_metric_the_queries_use():
    """examples/production's own rules: each JMX metric name queried matches one of their
    `name` templates (a `$n` standing for any text), or is the agent's JVM metrics."""
    config_map = yaml.safe_load((Path(__file__).resolve().parent.parent / "examples" / "production"
                                 / "metrics.yaml").read_text())
    rules = yaml.safe_load(config_map["data"]["metrics-config.yml"])["rules"]
    templates = [re.compile(re.sub(r"\\\$\d+", ".+", re.escape(r["name"].lower())) + "$") for r in rules]
    queries = [q for q in (json.loads(d.read_text()) for d in DASHBOARDS.glob("kafka-cluster.json"))
               for q in (t["expr"] for p in q["panels"] for t in p["targets"])]
    queries += [a["expr"] for a in plan_alerts_of_production()]
    names = set().union(*(metric_names(q) for q in queries)) - KUBELET_METRICS - {"up"}
    unmatched = {n for n in names if not n.startswith("jvm_") and not any(t.match(n) for t in templates)}
    assert names and not unmatched, unmatched


def plan_alerts_of_production() -> list[dict]:
    from compiler.load import load
    from compiler.normalize import normalize
    from compiler.plan.metrics import alerts
    model = normalize(load([Path(__file__).resolve().parent.parent / "examples" / "production"]))
    (cluster,) = model.clusters
    return [a for a in alerts(cluster) if not a["expr"].startswith("sum by (namespace, strimzi_io_cluster, "
                                                                     "consumergroup")]


@pytest.mark.tools
def test_verify_runs_promtool_and_checks_the_operator_kinds_against_their_crds(tmp_path, installed_tools):
    spec = with_exporter(with_prometheus_operator(strimzi_metrics_example()), "  kafkaExporter: {}\n")
    (tmp_path / "kafka.yaml").write_text(spec)
    chart = compile_chart(tmp_path / "kafka.yaml", tmp_path / "out", check=CheckOptions(profile="dev"))
    assert verify(chart, tools.DEFAULT_KUBE_VERSIONS[-1:]) == []
    values = (chart / "values.yaml").read_text()
    # A rule that helm accepts but Prometheus would not: promtool says so.
    (chart / "values.yaml").write_text(values.replace(
        "kafka_server_kafkaserver_brokerstate{", "kafka_server_kafkaserver_brokerstate{{", 1))
    findings = verify(chart, tools.DEFAULT_KUBE_VERSIONS[-1:])
    assert [f.rule for f in findings] == ["promtool.rules"], [f.message for f in findings]
    assert "PrometheusRule/my-cluster-kafka-alerts" in findings[0].message
    # A PodMonitor field the Prometheus Operator's CRD does not define.
    (chart / "values.yaml").write_text(values.replace(
        '        - action: "labelmap"\n', '        - action: "labelmap"\n          sourceLabel: "x"\n', 1))
    findings = verify(chart, tools.DEFAULT_KUBE_VERSIONS[-1:])
    assert {f.rule for f in findings} == {"kubeconform.invalid"}, [f.message for f in findings]


@pytest.mark.tools
def test_with_the_reporter_the_dashboards_and_alerts_query_the_names_it_serves(tmp_path, installed_tools):
    """The rendered chart passes verify (promtool, kubeconform); what it queries is checked
    against a real scrape in tests/e2e/test_metrics_reporter.py."""
    manifests = rendered(tmp_path, with_prometheus_operator(strimzi_reporter_example()))
    (monitor,) = [m for m in manifests if m["kind"] == "PodMonitor" and m["metadata"]["name"] == "my-cluster-kafka"]
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "tcp-prometheus"
    dashboard = next(m for m in manifests if m["metadata"]["name"] == "my-cluster-kafka-dashboard-kafka-cluster")
    queried = set().union(*(metric_names(target["expr"])
                            for panel in json.loads(dashboard["data"]["kafka-cluster.json"])["panels"]
                            for target in panel["targets"]))
    assert "kafka_server_brokertopicmetrics_bytesinpersec_total" in queried
    assert "kafka_server_brokertopicmetrics_bytesin_total" not in queried
    assert "kafka_server_replicamanager_underreplicatedpartitions" in queried
    shipped = json.loads((DASHBOARDS / "kafka-cluster.json").read_text())
    assert len(json.loads(dashboard["data"]["kafka-cluster.json"])["panels"]) == len(shipped["panels"])
