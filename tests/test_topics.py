"""KafkaTopics: the model normalize builds, and what plan gives the topics Job.

The findings each check gives, with their positions, are data cases in
tests/cases/model/topic-*.yaml; the Job's script is tested in
test_topics_sync.py and, against real brokers, in e2e/test_topics.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.cluster_members import belongs_to
from compiler.kafka_configs import for_version
from compiler.document import Documents
from compiler.load import load, load_text
from compiler.model import Listener
from compiler.normalize import normalize
from compiler.plan import kafka_client as kafka_client_module
from compiler.plan import plan
from compiler.plan.kafka_client import kafka_client_values
from compiler.plan.naming import job_name
from compiler.plan.topics import TOPICS_SHARD_BYTES, spec_line, spec_shards, topics_values
from compiler.topics import canonical_value, collision_key

from .conftest import EXAMPLES

KAFKA = """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: {name}
spec:
  kafka:
    listeners:
      - {{name: plain, port: 9092, type: internal, tls: false}}
    config:
      num.partitions: 4
      default.replication.factor: 2
  {entity_operator}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: dual
  labels:
    strimzi.io/cluster: {name}
spec:
  replicas: 3
  roles: [controller, broker]
  storage:
    type: ephemeral
"""


def topic_yaml(name: str, cluster: str = "my-cluster", spec: str = "", annotations: str = "") -> str:
    text = f"---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata:\n  name: {name}\n" \
           f"  labels:\n    strimzi.io/cluster: {cluster}\n"
    if annotations:
        text += f"  annotations:\n    {annotations}\n"
    return text + (f"spec:\n{spec}" if spec else "")


def model_of(text: str):
    documents, findings = load_text(text, "spec.yaml")
    assert findings == []
    model = normalize(Documents(documents, []))
    assert [f"{f.span} {f.rule} {f.message}" for f in model.findings if f.is_error] == []
    return model


def cluster_of(*topics: str, name: str = "my-cluster", manage: bool = True):
    entity_operator = "entityOperator:\n    topicOperator: {}" if manage else ""
    (cluster,) = model_of(KAFKA.format(name=name, entity_operator=entity_operator) + "".join(topics)).clusters
    return cluster


def test_topics_of_the_namespace_the_topic_operator_watches_join_the_kafka():
    kafka = KAFKA.format(name="my-cluster", entity_operator="entityOperator:\n    topicOperator:\n"
                         "      watchedNamespace: apps").replace("  name: my-cluster\n", "  name: my-cluster\n"
                                                                 "  namespace: streaming\n", 1)
    in_apps = topic_yaml("orders").replace("  name: orders\n", "  name: orders\n  namespace: apps\n")
    model = model_of(kafka + in_apps + topic_yaml("unwritten"))
    (cluster,) = model.clusters
    assert [t.name for t in cluster.topics] == ["orders", "unwritten"]
    # `kafkac topics pull` counts them as the cluster's KafkaTopics too.
    assert all(belongs_to(d, cluster, "topicOperator") for d in model.documents if d.kind == "KafkaTopic")

    documents, _ = load_text(kafka + topic_yaml("orders").replace("  name: orders\n",
                                                                  "  name: orders\n  namespace: streaming\n"),
                             "spec.yaml")
    (problem,) = [f for f in normalize(Documents(documents, [])).findings if f.is_error]
    assert "KafkaTopic orders in namespace streaming names Kafka my-cluster, which is in namespace apps" \
        in problem.message
    assert problem.expected.startswith("metadata.namespace: apps")


def test_topics_get_the_clusters_defaults_and_are_sorted_by_name():
    cluster = cluster_of(topic_yaml("zeta", spec="  partitions: 2\n  replicas: 3\n"),
                         topic_yaml("alpha"),
                         topic_yaml("beta", spec="  topicName: Beta_Topic\n  config:\n    retention.ms: 1000\n"))
    assert [(t.name, t.resource_name, t.partitions, t.replicas) for t in cluster.topics] == [
        ("Beta_Topic", "beta", 4, 2), ("alpha", "alpha", 4, 2), ("zeta", "zeta", 2, 3)]
    assert cluster.topics[0].config == {"retention.ms": "1000"}


def test_unmanaged_topics_are_left_out_even_without_a_topic_operator():
    unmanaged = topic_yaml("legacy", annotations='strimzi.io/managed: "false"')
    assert cluster_of(unmanaged).topics == ()
    assert cluster_of(unmanaged, manage=False).topics == ()


@pytest.mark.parametrize("key, value, text", [
    ("preallocate", True, "true"), ("preallocate", "TRUE", "true"), ("preallocate", " False ", "false"),
    ("retention.ms", 604800000, "604800000"), ("retention.ms", "+0604800000", "604800000"),
    ("retention.ms", -1, "-1"), ("cleanup.policy", "compact , delete", "compact,delete"),
    ("cleanup.policy", "", ""), ("min.cleanable.dirty.ratio", 0.25, "0.25"),
    ("compression.type", " zstd", "zstd"), ("message.timestamp.type", "LogAppendTime", "LogAppendTime"),
])
def test_values_take_the_form_kafka_keeps(key, value, text):
    assert canonical_value(for_version("4.3.1").topic[key], value) == text


def test_the_collision_rule_is_kafkas():
    assert collision_key("orders.v1") == collision_key("orders_v1") != collision_key("orders-v1")


def test_spec_lines_are_json_of_printable_ascii():
    (topic,) = cluster_of(topic_yaml("orders", spec="  config:\n    cleanup.policy: compact\n")).topics
    line = spec_line(topic)
    assert line == '{"name":"orders","partitions":4,"replicas":2,"config":{"cleanup.policy":"compact"}}'
    assert json.loads(line)["config"] == topic.config


def test_shards_fit_a_config_map_and_keep_every_topic_once():
    cluster = cluster_of(*(topic_yaml(f"topic-{i:03d}", spec="  config:\n    retention.ms: 1000\n")
                           for i in range(300)))
    shards = spec_shards(cluster.topics, 4096)
    assert len(shards) > 1
    assert all(len(shard) <= 4096 for shard in shards)
    assert "".join(shards) == "".join(spec_line(t) + "\n" for t in cluster.topics)
    assert spec_shards(cluster.topics, TOPICS_SHARD_BYTES) == ["".join(shards)]


def test_no_job_without_a_topic_operator_or_without_topics():
    assert topics_values(cluster_of()) is None
    assert topics_values(cluster_of(topic_yaml("a", annotations='strimzi.io/managed: "false"'))) is None


def test_job_values():
    values = topics_values(cluster_of(topic_yaml("a"), topic_yaml("b", spec="  replicas: 3\n")))
    assert values["jobName"] == "my-cluster-kafka-topics"
    assert [s["configMapName"] for s in values["spec"]] == ["my-cluster-kafka-topics-spec-0"]
    assert values["stateConfigMapNames"] == ["my-cluster-kafka-topics-state-0"]
    env = {e["name"]: e["value"] for e in values["job"]["sync"]["env"]}
    assert env["KAFKAC_MAX_REPLICAS"] == "3" and env["KAFKAC_TOPICS_SHARDS"] == "1"
    # Not selected by the brokers' Services or PodDisruptionBudget, which select strimzi.io/kind.
    assert "strimzi.io/kind" not in values["podLabels"]
    for step in ("sync", "record"):
        assert values["job"][step]["resources"]["limits"]["memory"]
    assert values["job"]["containerSecurityContext"]["readOnlyRootFilesystem"] is True


def test_long_cluster_names_give_job_names_kubernetes_accepts():
    cluster = cluster_of(topic_yaml("a", cluster="c" * 63), name="c" * 63)
    name = job_name(cluster, "topics")
    assert len(name) <= 63 and name.startswith("c" * 40)
    assert job_name(cluster, "topics") == name != job_name(cluster, "users")


def test_kafka_client_is_the_replication_listener_of_every_broker(monkeypatch):
    (cluster,) = normalize(load([EXAMPLES / "production"])).clusters
    client = kafka_client_values(cluster)
    assert client["port"] == 9091 and client["listener"] == "REPLICATION-9091"
    assert client["bootstrapHosts"][:2] == ["prod-brokers-large-100.prod-kafka-brokers",
                                            "prod-brokers-large-101.prod-kafka-brokers"]
    assert len(client["bootstrapHosts"]) == 6
    monkeypatch.setattr(kafka_client_module, "REPLICATION", Listener("replication", 9091, "internal", tls=False))
    plain = kafka_client_values(cluster)
    assert plain["properties"] == "security.protocol=PLAINTEXT\n"
    assert (plain["volumes"], plain["keyStorePasswordFile"]) == ([], "")


def test_kafka_client_with_tls_presents_the_node_certificate():
    (cluster,) = normalize(load([EXAMPLES / "production"])).clusters
    client = kafka_client_values(cluster)
    assert kafka_client_module.REPLICATION.tls
    assert "security.protocol=SSL\n" in client["properties"]
    assert "password" not in client["properties"]
    assert client["keyStorePasswordFile"].endswith("/node.password")
    assert {v["secret"]["secretName"] for v in client["volumes"]} == {
        "prod-cluster-ca-cert", "prod-kafka-node-certs"}


def test_production_example_has_at_least_20_topics_with_varied_configs():
    (chart,) = plan(normalize(load([EXAMPLES / "production"])).clusters)
    topics = [json.loads(line) for shard in chart.values["topics"]["spec"]
              for line in shard["content"].splitlines()]
    assert len(topics) >= 20
    assert len({key for t in topics for key in t["config"]}) >= 15
    assert "legacy.reports" not in {t["name"] for t in topics}  # strimzi.io/managed: "false"


def test_pulled_topics_get_kubernetes_names_and_read_back_unchanged(tmp_path):
    from compiler.topics_live import pull_yaml, resource_name
    from compiler.topics_sync import TopicState

    assert resource_name("orders.v1", set()) == "orders.v1"
    assert resource_name("Audit_Log", set()) == "audit-log"
    assert resource_name("Audit_Log", {"audit-log"}) == "audit-log-2"
    assert resource_name("a..b_", set()) == "a.b"
    live = [TopicState("Audit_Log", 3, 3, {"retention.ms": "1000", "cleanup.policy": "compact,delete"}),
            TopicState("plain", 1, 2, {})]
    text = pull_yaml(live, "my-cluster", None, "localhost:9092", set())
    (tmp_path / "kafka.yaml").write_text(KAFKA.format(name="my-cluster",
                                                      entity_operator="entityOperator:\n    topicOperator: {}"))
    (tmp_path / "pulled.yaml").write_text(text)
    (cluster,) = normalize(load([tmp_path])).clusters
    assert [(t.name, t.resource_name, t.partitions, t.replicas, t.config) for t in cluster.topics] == [
        ("Audit_Log", "audit-log", 3, 3, {"cleanup.policy": "compact,delete", "retention.ms": "1000"}),
        ("plain", "plain", 1, 2, {})]


def test_paused_topics_and_users_are_left_out_of_the_jobs():
    case = Path(__file__).parent / "cases" / "model" / "paused-members-and-a-swapped-cluster-name.yaml"
    text = case.read_text().replace("my-clsuter", "my-cluster")  # the typo aside
    model = normalize(Documents(load_text(text, "paused.yaml")[0], []))
    (cluster,) = model.clusters
    assert [t.name for t in cluster.topics] == ["payments"]
    assert cluster.users == ()
    assert sorted(f.rule for f in model.findings if f.rule.endswith(".paused")) == ["topic.paused", "user.paused"]
