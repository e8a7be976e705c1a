"""examples/production, run for real: three controllers, two broker pools, JBOD, racks
from the nodes' zone labels, logging from a ConfigMap, and its 24 topics made by the
chart's topics Job.

The rack init container (Strimzi's kafka-init, which reads the label
`topologyKey` of the pod's node through the Kubernetes API) cannot run here: for
each broker the test gives the node a zone, and a stand-in command writes that
label's value where kafka-init writes it (`$INIT_FOLDER/rack.id`), in the init
container's own mounts and environment. Everything after that — the start
script turning the file into `broker.rack`, Kafka placing replicas by rack —
runs as rendered.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import yaml

from compiler import tools
from compiler.verify import render

from . import clients, kafka_dist, tls, topicjob
from .conftest import EXAMPLES, NAMESPACE, boot

pytestmark = pytest.mark.e2e

REPLICATION = 9091
NODE_SECRET, CLUSTER_CA_SECRET = "prod-kafka-node-certs", "prod-cluster-ca-cert"
ZONES = ("zone-a", "zone-b", "zone-c")
RACK_INIT_CONTAINER = "kafka-init"


def node_zone(pod) -> str:
    """The zone of the node each broker is scheduled on: the pool's pods go round the zones,
    as the pools' topology spread constraint places them."""
    return ZONES[pod.ordinal % len(ZONES)]


def rack_init_stand_in(pod) -> list[str]:
    """What kafka-init does on a node whose `$RACK_TOPOLOGY_KEY` label is `node_zone(pod)`."""
    return ["/bin/sh", "-c", 'test -n "$RACK_TOPOLOGY_KEY" && printf %s "$1" > "$INIT_FOLDER/rack.id"',
            "kafka-init", node_zone(pod)]


@pytest.fixture(scope="module")
def production(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("production")
    # The example serves metrics: its init container copies the agent out of the image.
    with boot("production", e2e, work, address_block=6, extra_jars=(kafka_dist.jmx_exporter_agent(),),
              init_commands={RACK_INIT_CONTAINER: rack_init_stand_in}) as cluster:
        yield cluster, work / "chart" / "prod"


@pytest.fixture(scope="module")
def admin(production, tmp_path_factory):
    """Client settings of a super user: the node identity on the replication listener (the
    example's only client listener wants a clients CA certificate, and ACLs decide)."""
    cluster, _ = production
    folder = tmp_path_factory.mktemp("admin")
    ca = folder / "ca.crt"
    ca.write_bytes(cluster.secrets[CLUSTER_CA_SECRET]["ca.crt"])
    node = cluster.secrets[NODE_SECRET]
    pem = tls.pkcs12_to_pem(node["node.p12"], node["node.password"], folder / "node")
    bootstrap = ",".join(f"{pod.name}.prod-kafka-brokers.{NAMESPACE}.svc:{REPLICATION}" for pod in cluster.brokers)
    return bootstrap, {"security_protocol": "SSL", "ssl_cafile": str(ca), "ssl_certfile": str(pem),
                       "ssl_check_hostname": True}


def planned_topics(chart) -> dict[str, tuple[int, int]]:
    """What the chart's topics Job is to make: name -> (partitions, replicas), defaults resolved."""
    values = yaml.safe_load((chart / "values.yaml").read_text())
    lines = [json.loads(line) for part in values["topics"]["spec"] for line in part["content"].splitlines()]
    return {t["name"]: (t["partitions"], t["replicas"]) for t in lines}


def test_every_node_runs_and_brokers_carry_the_zone_of_their_node(production, admin):
    cluster, _ = production
    bootstrap, options = admin
    assert len(cluster.controllers) == 3 and len(cluster.brokers) == 6
    racks = {b["broker_id"]: b["rack"] for b in clients.brokers(bootstrap, **options)}
    expected = {pod.ordinal: node_zone(pod) for pod in cluster.brokers}
    assert sorted(expected) == [100, 101, 102, 200, 201, 202]
    assert racks == expected


def test_topics_job_creates_every_topic_with_replicas_in_every_zone(production, admin):
    cluster, chart = production
    bootstrap, options = admin
    manifests = topicjob.load_manifests(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], cluster.release, NAMESPACE))
    api = topicjob.api_server(cluster, manifests)
    api.apply(manifests)
    run = topicjob.run_topics_job(cluster, manifests, api)
    assert run.exit_code == 0, run.log
    topics = planned_topics(chart)
    assert len(topics) >= 20
    assert sorted(run.report["created"]) == sorted(topics)

    rack_of = {pod.ordinal: node_zone(pod) for pod in cluster.brokers}
    for topic, (partitions, replicas) in topics.items():
        described = clients.describe_topic(bootstrap, topic, **options)
        assert len(described) == partitions, topic
        for partition in described:
            zones = Counter(rack_of[node] for node in partition["replica_nodes"])
            assert len(partition["replica_nodes"]) == replicas, (topic, partition)
            # Rack-aware placement: replicas spread over as many zones as they can.
            assert len(zones) == min(replicas, len(ZONES)), (topic, partition, zones)


def test_logging_follows_the_external_configmap(production):
    """Every node logs in the ConfigMap's pattern (`%d{ISO8601} %p [%t] %c{1.}: %m`), none in
    Kafka's default one (`[%d] %p %m (%c)`)."""
    cluster, _ = production
    ours = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d{3} (INFO|WARN|ERROR) \[[^]]+\] ([a-z]\.)+\w+: ")
    kafkas_default = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] (INFO|WARN|ERROR) ")
    for pod in cluster.pods.values():
        lines = pod.log_text().splitlines()
        assert sum(bool(ours.match(line)) for line in lines) > 10, f"{pod.name}:\n" + "\n".join(lines[:40])
        assert not [line for line in lines if kafkas_default.match(line)], pod.name
