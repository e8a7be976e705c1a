"""The oldest Kafka kafkac runs in KRaft mode (3.7.0), with node pools listed out of name order.

Strimzi gives node ids to a Kafka's pools in the order of their names, whatever
order the files list them in: the same spec must give the same pod names and
node ids here as under the operator, or a cluster moved off it would not find
its volumes. The spec (oldest-spec/) lists the controllers' pool first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import clients
from .conftest import boot

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "oldest-spec"
PLAIN = 9092


@pytest.fixture(scope="module")
def cluster(e2e, tmp_path_factory):
    with boot(str(SPEC), e2e, tmp_path_factory.mktemp("oldest"), address_block=30) as running:
        yield running


def node_id(cluster, pod) -> str:
    """node.id in the server.properties that kafka-run.sh wrote in the pod."""
    text = cluster.host_path(pod, "/tmp/kafka/server.properties").read_text()
    (value,) = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("node.id=")]
    return value


def test_pods_and_node_ids_are_strimzis(cluster):
    # Pools by name: brokers (0, 1), then controllers (2).
    assert sorted(cluster.pods) == ["my-cluster-brokers-0", "my-cluster-brokers-1", "my-cluster-controllers-2"]
    assert {name: node_id(cluster, pod) for name, pod in cluster.pods.items()} == {
        "my-cluster-brokers-0": "0", "my-cluster-brokers-1": "1", "my-cluster-controllers-2": "2"}
    registered = clients.brokers(cluster.bootstrap(PLAIN))
    assert sorted(b["broker_id"] for b in registered) == [0, 1]


def test_the_nodes_run_kafka_3_7_0(cluster):
    for pod in cluster.pods.values():
        assert "Kafka version: 3.7.0" in pod.log_text(), f"{pod.name} runs another Kafka"


def test_the_cluster_serves_replicated_writes(cluster):
    bootstrap = cluster.bootstrap(PLAIN)
    clients.create_topic(bootstrap, "oldest-records", partitions=2, replication_factor=2)
    assert all(sorted(p["replica_nodes"]) == [0, 1] for p in clients.describe_topic(bootstrap, "oldest-records"))
    sent = [f"record-{i}".encode() for i in range(500)]
    clients.produce(bootstrap, "oldest-records", sent)
    assert sorted(clients.consume_all(bootstrap, "oldest-records")) == sorted(sent)
