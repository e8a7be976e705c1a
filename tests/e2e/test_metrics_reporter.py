"""metricsConfig of type strimziMetricsReporter run for real: Strimzi's metrics reporter
(io.strimzi:metrics-reporter and its Prometheus client library, from Maven Central)
in a controller and a broker, with Strimzi's default allow list.

The jars reach each pod as the chart has it: the pod's init container runs its copy
command, taking them from a folder of the image into the emptyDir that kafka-run.sh
puts on the Kafka server's class path. The folder is not the image's libs/ (where
Strimzi's Kafka image keeps them) but one beside it, named by the chart value
metrics.agent.source: the Kafka server loads every jar of libs/, so there the test
could not tell whether the emptyDir reached the class path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compiler.model import DEFAULT_METRICS_ALLOW_LIST

from .. import promql
from ..test_metrics import KUBELET_METRICS, rendered
from .. import kafka_dist
from .conftest import boot
from .test_metrics import METRICS_PORT, POOL, metric_names, scrape
from .test_metrics import SPEC as JMX_EXPORTER_SPEC

pytestmark = pytest.mark.e2e

IMAGE_FOLDER = "strimzi-libs"
# The JMX exporter test's cluster, with the reporter instead of the exporter.
SPEC = JMX_EXPORTER_SPEC[:JMX_EXPORTER_SPEC.index("    metricsConfig:\n")] + \
    "    metricsConfig:\n      type: strimziMetricsReporter\n"


@pytest.fixture(scope="module")
def reporter_jars():
    return kafka_dist.metrics_reporter_jars()


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("metrics-reporter-specs")
    (folder / "kafka.yaml").write_text(SPEC + POOL.format(name="controller") + POOL.format(name="broker"))
    return folder


@pytest.fixture(scope="module")
def cluster(e2e, reporter_jars, specs, tmp_path_factory):
    source = f"/opt/kafka/{IMAGE_FOLDER}/metrics-reporter-*.jar /opt/kafka/{IMAGE_FOLDER}/prometheus-metrics-*.jar"
    with boot(specs, e2e, tmp_path_factory.mktemp("metrics-reporter"), address_block=8,
              extra_folders={IMAGE_FOLDER: reporter_jars},
              values={"metrics.agent.source": source}) as running:
        yield running


def test_the_init_container_copied_every_jar_from_the_image(cluster, reporter_jars):
    for pod in cluster.pods.values():
        log = (pod.dir / "init-metrics-agent.log").read_text()
        for jar in reporter_jars:
            assert f"copied /opt/kafka/{IMAGE_FOLDER}/{jar.name} to /opt/kafka/metrics-agent/{jar.name}" in log, log


def test_the_kafka_image_itself_has_no_reporter(cluster):
    """So the metrics served below prove that the emptyDir reached the server's class path."""
    libs = cluster.kafka_home / "libs"
    assert (libs / "kafka-clients-4.3.1.jar").is_file()
    assert not [*libs.glob("metrics-reporter-*.jar"), *libs.glob("prometheus-metrics-*.jar")]


def test_the_broker_serves_broker_state_and_under_replicated_partitions(cluster):
    (broker,) = cluster.brokers
    names = metric_names(scrape(broker))
    assert "kafka_server_kafkaserver_brokerstate" in names
    assert "kafka_server_replicamanager_underreplicatedpartitions" in names
    assert any(name.startswith("kafka_server_brokertopicmetrics_") for name in names)


def test_the_controller_serves_its_quorum_metrics(cluster):
    (controller,) = cluster.controllers
    names = metric_names(scrape(controller))
    assert "kafka_controller_kafkacontroller_activecontrollercount" in names
    assert any(name.startswith("kafka_server_raft") for name in names)


def test_only_names_of_the_allow_list_are_served(cluster):
    allowed = [re.compile(pattern) for pattern in DEFAULT_METRICS_ALLOW_LIST]
    for pod in cluster.pods.values():
        kafka_names = {n for n in metric_names(scrape(pod)) if n.startswith("kafka_")}
        assert kafka_names
        assert all(any(p.fullmatch(n) for p in allowed) for n in kafka_names), \
            sorted(n for n in kafka_names if not any(p.fullmatch(n) for p in allowed))


def test_the_metrics_port_is_the_one_the_pods_declare(cluster):
    for pod in cluster.pods.values():
        ports = {p["name"]: p["containerPort"] for p in pod.container_spec["ports"]}
        assert ports["tcp-prometheus"] == METRICS_PORT
        assert metric_names(scrape(pod))


def rendered_queries(manifests: list[dict]) -> list[str]:
    """Every PromQL expression of the rendered PrometheusRule and dashboard ConfigMaps."""
    rule = next(m for m in manifests if m["kind"] == "PrometheusRule")
    queries = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    dashboards = [m for m in manifests if m["kind"] == "ConfigMap"
                  and m["metadata"]["labels"].get("grafana_dashboard") == "1"]
    assert dashboards
    for config_map in dashboards:
        for text in config_map["data"].values():
            queries += [target["expr"] for panel in json.loads(text)["panels"] for target in panel["targets"]]
    return queries


def test_every_metric_the_alerts_and_dashboards_query_is_served(cluster, tmp_path, installed_tools):
    """So that no dashboard shows "No data" and no alert stays silent because of a name:
    the chart as rendered for this metricsConfig type. Kubelet's volume metrics and
    Prometheus's `up` come from elsewhere."""
    served = set().union(*(metric_names(scrape(pod)) for pod in cluster.pods.values()))
    spec = SPEC.replace("    kafkac.io/profile: dev\n",
                        '    kafkac.io/profile: dev\n    kafkac.io/prometheus-operator: "true"\n')
    manifests = rendered(tmp_path, spec + POOL.format(name="controller") + POOL.format(name="broker"))
    queried = set().union(*(promql.metric_names(q) for q in rendered_queries(manifests)))
    queried -= KUBELET_METRICS | {"up"}
    assert queried and queried <= served, sorted(queried - served)
