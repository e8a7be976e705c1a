"""ZooKeeper-era clusters (spec.zookeeper, Kafka 3.7 to 3.9): the ensemble's objects and names as
Strimzi's, the brokers in ZooKeeper mode, and what the start scripts write, run with stand-in
Kafka tools."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from compiler.plan import plan
from compiler.plan.zookeeper import zookeeper_properties
from compiler.load import load
from compiler.normalize import normalize

from .conftest import EXAMPLES, ROOT
from .util import compiled_manifests

FILES = ROOT / "charts" / "kafka" / "files"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory, installed_tools) -> list[dict]:
    return compiled_manifests(EXAMPLES / "zookeeper", tmp_path_factory.mktemp("chart"))


@pytest.fixture(scope="module")
def values(tmp_path_factory, installed_tools) -> dict:
    out = tmp_path_factory.mktemp("values")
    compiled_manifests(EXAMPLES / "zookeeper", out)
    return yaml.safe_load((out / "legacy" / "values.yaml").read_text())


def _objects(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def test_the_ensemble_and_the_brokers_have_strimzis_names(manifests):
    statefulsets = _objects(manifests, "StatefulSet")
    assert sorted(statefulsets) == ["legacy-kafka", "legacy-zookeeper"]
    zookeeper, kafka = statefulsets["legacy-zookeeper"], statefulsets["legacy-kafka"]
    assert zookeeper["spec"]["serviceName"] == "legacy-zookeeper-nodes"
    # Claims data-<statefulset>-<n>: data-legacy-zookeeper-0, data-legacy-kafka-0, as Strimzi named them.
    assert [c["metadata"]["name"] for c in zookeeper["spec"]["volumeClaimTemplates"]] == ["data"]
    assert [c["metadata"]["name"] for c in kafka["spec"]["volumeClaimTemplates"]] == ["data"]
    assert kafka["spec"]["ordinals"]["start"] == 0
    assert {"legacy-zookeeper-client", "legacy-zookeeper-nodes"} <= set(_objects(manifests, "Service"))
    assert "legacy-network-policy-zookeeper" in _objects(manifests, "NetworkPolicy")


def test_no_kafka_object_selects_a_zookeeper_pod_and_no_zookeeper_object_a_kafka_pod(manifests):
    statefulsets = _objects(manifests, "StatefulSet")
    zookeeper_pod = statefulsets["legacy-zookeeper"]["spec"]["template"]["metadata"]["labels"]
    kafka_pod = statefulsets["legacy-kafka"]["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict, labels: dict) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    for name, pdb in _objects(manifests, "PodDisruptionBudget").items():
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert selects(selector, zookeeper_pod) != selects(selector, kafka_pod) or "exporter" in name, name
    for name, service in _objects(manifests, "Service").items():
        selector = service["spec"]["selector"]
        zookeeper_service = name.startswith("legacy-zookeeper")
        assert selects(selector, zookeeper_pod) == zookeeper_service, name
        assert not (zookeeper_service and selects(selector, kafka_pod)), name


def test_brokers_run_in_zookeeper_mode_over_tls(values):
    (pool,) = values["nodePools"]
    properties = pool["serverProperties"]
    assert "process.roles" not in properties and "CONTROLPLANE" not in properties
    assert "zookeeper.connect=legacy-zookeeper-client:2181\n" in properties
    assert "zookeeper.ssl.client.enable=true\n" in properties
    assert "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n" in properties
    assert {"name": "KAFKAC_ZOOKEEPER_MODE", "value": "true"} in pool["env"]
    # The node certificate names the client Service the brokers check, and every ZooKeeper pod.
    assert {"legacy-zookeeper-client", "*.legacy-zookeeper-nodes"} <= set(values["certificates"]["dnsNames"])


def test_zookeeper_options_of_the_spec_follow_kafkacs_and_may_turn_host_name_checks_on(tmp_path):
    spec = (EXAMPLES / "zookeeper" / "kafka.yaml").read_text().replace(
        "  zookeeper:\n    replicas: 3\n",
        "  zookeeper:\n    replicas: 3\n    config:\n      tickTime: 3000\n"
        "      ssl.quorum.hostnameVerification: true\n      maxClientCnxns: 100\n")
    (tmp_path / "kafka.yaml").write_text(spec)
    (tmp_path / "metrics.yaml").write_text((EXAMPLES / "zookeeper" / "metrics.yaml").read_text())
    model = normalize(load([tmp_path]))
    lines = zookeeper_properties(model.clusters[0].zookeeper).splitlines()
    assert "ssl.quorum.hostnameVerification=true" in lines and "ssl.quorum.hostnameVerification=false" not in lines
    assert "tickTime=3000" in lines and "tickTime=2000" not in lines and lines[-1] == "maxClientCnxns=100"


def _stand_in_kafka(tmp_path: Path) -> Path:
    """A Kafka home whose start scripts print the configuration they are given."""
    home = tmp_path / "kafka"
    (home / "bin").mkdir(parents=True)
    for tool in ("kafka-server-start.sh", "zookeeper-server-start.sh"):
        (home / "bin" / tool).write_text('#!/bin/sh\necho "started $0"\necho "KAFKA_OPTS=${KAFKA_OPTS:-}"\n'
                                         'cat "$1"\n')
    (home / "bin" / "kafka-storage.sh").write_text('#!/bin/sh\necho "formatted"\n')
    for tool in (home / "bin").iterdir():
        tool.chmod(0o755)
    return home


def _run(script: str, env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    scripts = tmp_path / "scripts"
    scripts.mkdir(exist_ok=True)
    for name in (script, "log.sh", "node-client.sh"):
        (scripts / name).write_text((FILES / name).read_text())
    return subprocess.run(["/bin/sh", str(scripts / script)], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], **env})


def _node_certs(tmp_path: Path) -> Path:
    certs = tmp_path / "node-certs"
    certs.mkdir()
    (certs / "node.password").write_text("s3cret\\x")
    return certs


def test_a_broker_in_zookeeper_mode_starts_with_broker_id_and_formats_nothing(values, tmp_path):
    (pool,) = values["nodePools"]
    config = tmp_path / "config"
    config.mkdir()
    (config / "server.properties").write_text(pool["serverProperties"])
    env = {e["name"]: e["value"] for e in pool["env"] if "value" in e}
    env.update(POD_NAME="legacy-kafka-2", POD_NAMESPACE="kafka", KAFKA_HOME=str(_stand_in_kafka(tmp_path)),
               KAFKAC_CONFIG_DIR=str(config), KAFKAC_NODE_CERTS_DIR=str(_node_certs(tmp_path)),
               KAFKAC_WORK_DIR=str(tmp_path / "work"))
    done = _run("kafka-run.sh", env, tmp_path)
    assert done.returncode == 0, done.stderr
    added = done.stdout.split("# Added by kafka-run.sh for pod legacy-kafka-2\n")[1].splitlines()
    assert "broker.id=2" in added and not any(line.startswith(("node.id", "controller.quorum")) for line in added)
    assert "zookeeper.ssl.keystore.password=s3cret\\\\x" in added
    assert "formatted" not in done.stdout


def test_a_zookeeper_node_knows_its_id_and_every_member(values, tmp_path):
    zookeeper = values["zookeeper"]
    config = tmp_path / "config"
    config.mkdir()
    (config / "zookeeper.properties").write_text(zookeeper["properties"])
    env = {e["name"]: e["value"] for e in zookeeper["env"] if "value" in e}
    data = tmp_path / "data"
    env.update(POD_NAME="legacy-zookeeper-1", POD_NAMESPACE="kafka", KAFKA_HOME=str(_stand_in_kafka(tmp_path)),
               KAFKAC_ZOOKEEPER_CONFIG_DIR=str(config), KAFKAC_NODE_CERTS_DIR=str(_node_certs(tmp_path)),
               KAFKAC_WORK_DIR=str(tmp_path / "work"), KAFKAC_ZOOKEEPER_DATA_DIR=str(data))
    done = _run("zookeeper-run.sh", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (data / "myid").read_text() == "2\n"
    lines = done.stdout.splitlines()
    assert [line for line in lines if line.startswith("server.")] == [
        f"server.{n + 1}=legacy-zookeeper-{n}.legacy-zookeeper-nodes.kafka.svc:2888:3888:participant;127.0.0.1:12181"
        for n in range(3)]
    assert "ssl.keyStore.password=s3cret\\\\x" in lines and "ssl.quorum.keyStore.password=s3cret\\\\x" in lines


def test_a_kafka_opts_of_the_zookeeper_container_is_kept_and_kafkacs_options_follow_it(tmp_path):
    spec = (EXAMPLES / "zookeeper" / "kafka.yaml").read_text().replace(
        "  zookeeper:\n    replicas: 3\n",
        "  zookeeper:\n    replicas: 3\n    jvmOptions:\n      javaSystemProperties:\n"
        "        - {name: zookeeper.ssl.hostnameVerification, value: \"false\"}\n"
        "    template:\n      zookeeperContainer:\n        env:\n"
        "          - {name: KAFKA_OPTS, value: -javaagent:/mnt/otel/agent.jar}\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "kafka.yaml").write_text(spec)
    (tmp_path / "specs" / "metrics.yaml").write_text((EXAMPLES / "zookeeper" / "metrics.yaml").read_text())
    (chart,) = plan(normalize(load([tmp_path / "specs"])).clusters)
    zookeeper = chart.values["zookeeper"]
    assert [e["value"] for e in zookeeper["env"] if e["name"] == "KAFKA_OPTS"] == ["-javaagent:/mnt/otel/agent.jar"]
    config = tmp_path / "config"
    config.mkdir()
    (config / "zookeeper.properties").write_text(zookeeper["properties"])
    env = {e["name"]: e["value"] for e in zookeeper["env"] if "value" in e}
    env.update(POD_NAME="legacy-zookeeper-0", POD_NAMESPACE="kafka", KAFKA_HOME=str(_stand_in_kafka(tmp_path)),
               KAFKAC_ZOOKEEPER_CONFIG_DIR=str(config), KAFKAC_NODE_CERTS_DIR=str(_node_certs(tmp_path)),
               KAFKAC_WORK_DIR=str(tmp_path / "work"), KAFKAC_ZOOKEEPER_DATA_DIR=str(tmp_path / "data"))
    done = _run("zookeeper-run.sh", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "KAFKA_OPTS=-javaagent:/mnt/otel/agent.jar -Dzookeeper.ssl.hostnameVerification=false\n" in done.stdout


def test_zookeeper_metrics_run_the_jmx_exporter_with_rules_of_their_own(tmp_path, installed_tools):
    spec = (EXAMPLES / "zookeeper" / "kafka.yaml").read_text().replace(
        "  zookeeper:\n    replicas: 3\n",
        "  zookeeper:\n    replicas: 3\n    metricsConfig:\n      type: jmxPrometheusExporter\n"
        "      valueFrom:\n        configMapKeyRef: {name: legacy-kafka-metrics, key: metrics-config.yml}\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "kafka.yaml").write_text(spec)
    (tmp_path / "specs" / "metrics.yaml").write_text((EXAMPLES / "zookeeper" / "metrics.yaml").read_text())
    manifests = compiled_manifests(tmp_path / "specs", tmp_path / "out")
    zookeeper = _objects(manifests, "StatefulSet")["legacy-zookeeper"]["spec"]["template"]["spec"]
    assert [c["name"] for c in zookeeper["initContainers"]] == ["metrics-agent"]
    (container,) = zookeeper["containers"]
    assert {"name": "tcp-prometheus", "containerPort": 9404, "protocol": "TCP"} in container["ports"]
    agent = next(e["value"] for e in container["env"] if e["name"] == "KAFKAC_METRICS_AGENT_OPTS")
    assert agent.endswith("=9404:/opt/kafka/metrics-config/metrics-config.yml")
    assert "metrics-config.yml" in _objects(manifests, "ConfigMap")["legacy-zookeeper-metrics"]["data"]
