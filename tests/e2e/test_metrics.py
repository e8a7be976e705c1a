"""metricsConfig run for real: the Prometheus JMX exporter's javaagent (from Maven Central)
in a controller and a broker, with the rules of Strimzi's metrics example unchanged.

The agent reaches each pod as the chart has it: the pod's init container runs its
copy command, taking the jar from the image's /opt/kafka/libs (where Strimzi's
Kafka image keeps it) into the emptyDir the Kafka container loads it from.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from compiler.load import load
from compiler.normalize import normalize
from compiler.plan.metrics import alerts

from .. import promql
from ..conftest import STRIMZI_CORPUS, require_strimzi_corpus
from .. import kafka_dist
from .conftest import boot

pytestmark = pytest.mark.e2e

METRICS_PORT = 9404
DASHBOARDS = Path(__file__).resolve().parents[2] / "charts" / "kafka" / "files" / "dashboards"
KUBELET_METRICS = {"kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"}
SPEC = """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations:
    kafkac.io/profile: dev
spec:
  kafka:
    version: 4.3.1
    listeners:
      - name: plain
        port: 9092
        type: internal
        tls: false
    config:
      offsets.topic.replication.factor: 1
      transaction.state.log.replication.factor: 1
      transaction.state.log.min.isr: 1
      default.replication.factor: 1
      min.insync.replicas: 1
    metricsConfig:
      type: jmxPrometheusExporter
      valueFrom:
        configMapKeyRef:
          name: kafka-metrics
          key: kafka-metrics-config.yml
"""
POOL = """\
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: {name}
  labels:
    strimzi.io/cluster: my-cluster
spec:
  replicas: 1
  roles: [{name}]
  storage:
    type: ephemeral
    sizeLimit: 2Gi
  resources:
    requests:
      cpu: 250m
      memory: 768Mi
    limits:
      memory: 768Mi
"""
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? ", re.MULTILINE)


def strimzi_rules_config_map() -> str:
    """The ConfigMap document of Strimzi's metrics example, as Strimzi wrote it."""
    require_strimzi_corpus()
    text = (STRIMZI_CORPUS / "examples" / "metrics" / "kafka-metrics.yaml").read_text()
    (document,) = [d for d in text.split("\n---\n") if "\nkind: ConfigMap\n" in f"\n{d}"]
    return document.strip("\n") + "\n"


@pytest.fixture(scope="module")
def agent():
    return kafka_dist.jmx_exporter_agent()


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("metrics-specs")
    (folder / "kafka.yaml").write_text(SPEC + POOL.format(name="controller") + POOL.format(name="broker"))
    (folder / "kafka-metrics.yaml").write_text(strimzi_rules_config_map())
    return folder


@pytest.fixture(scope="module")
def cluster(e2e, agent, specs, tmp_path_factory):
    with boot(specs, e2e, tmp_path_factory.mktemp("metrics"), address_block=7,
              extra_jars=(agent,)) as running:
        yield running


def scrape(pod) -> str:
    with urllib.request.urlopen(f"http://{pod.address}:{METRICS_PORT}/metrics", timeout=30) as response:
        return response.read().decode()


def metric_names(exposition: str) -> set[str]:
    return set(_SAMPLE.findall(exposition))


def test_the_init_container_copied_the_agent_from_the_image(cluster, agent):
    for pod in cluster.pods.values():
        log = (pod.dir / "init-metrics-agent.log").read_text()
        assert f"copied /opt/kafka/libs/{agent.name}" in log, log


def test_the_broker_serves_broker_state_and_under_replicated_partitions(cluster):
    (broker,) = cluster.brokers
    names = metric_names(scrape(broker))
    assert "kafka_server_kafkaserver_brokerstate" in names
    assert "kafka_server_replicamanager_underreplicatedpartitions" in names
    assert any(name.startswith("kafka_server_") for name in names)


def test_the_controller_serves_its_quorum_metrics(cluster):
    (controller,) = cluster.controllers
    names = metric_names(scrape(controller))
    assert "kafka_controller_kafkacontroller_activecontrollercount" in names
    assert any(name.startswith("kafka_server_raftmetrics_") for name in names)


def test_the_metrics_port_is_the_one_the_pods_declare(cluster):
    for pod in cluster.pods.values():
        ports = {p["name"]: p["containerPort"] for p in pod.container_spec["ports"]}
        assert ports["tcp-prometheus"] == METRICS_PORT
        assert scrape(pod).startswith("#")


def test_every_jmx_metric_the_alerts_and_dashboards_query_is_served(cluster, specs):
    """So that no dashboard shows "No data" and no alert stays silent because of a name.
    Kubelet's volume metrics and Prometheus's `up` come from elsewhere; Kafka Exporter's
    are checked against its documentation in tests/test_metrics.py."""
    served = set().union(*(metric_names(scrape(pod)) for pod in cluster.pods.values()))
    model = normalize(load([specs]))
    (kafka,) = model.clusters
    queries = [alert["expr"] for alert in alerts(kafka)]
    dashboard = json.loads((DASHBOARDS / "kafka-cluster.json").read_text())
    queries += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    queried = set().union(*(promql.metric_names(q) for q in queries)) - KUBELET_METRICS - {"up"}
    assert queried and queried <= served, sorted(queried - served)


