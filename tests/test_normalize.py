"""Cross-resource checks of the normalize stage, and the model it builds.

Cases are data: each `tests/cases/model/<case>.yaml` starts with
`# expect: LINE:COL RULE` lines naming exactly the findings that the whole
front end (load, validate, normalize) must produce.
"""

from pathlib import Path

import pytest

from compiler.document import Documents
from compiler.load import load, load_text
from compiler.normalize import is_forbidden_option, normalize
from compiler.normalize_pools import node_id_list
from compiler.pipeline import read_specs

from .conftest import EXAMPLES
from .util import expectations

MODEL_CASES = sorted((Path(__file__).parent / "cases" / "model").glob("*.yaml"))


@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda p: p.stem)
def test_model_case_gives_exactly_the_expected_findings(case):
    expected = expectations(case)
    assert expected, f"{case} has no `# expect: LINE:COL RULE` line"
    _, findings = read_specs([case])
    assert [(f.span.line, f.span.col, f.rule) for f in findings] == expected, \
        "\n".join(f"{f.span}: [{f.rule}] {f.message}" for f in findings)
    for finding in findings:
        assert finding.span.file == str(case) and finding.expected and finding.message


@pytest.mark.parametrize("key, forbidden", [
    ("listeners", True), ("advertised.listeners", True), ("ssl.keystore.location", True),
    ("SSL.Keystore.Type", True), ("node.id", True), ("log.dirs", True), ("controller.quorum.voters", True),
    ("ssl.enabled.protocols", False), ("controller.quorum.election.timeout.ms", False),
    ("broker.session.timeout.ms", False), ("min.insync.replicas", False),
    ("num.partitions", False), ("log.retention.hours", False), ("principal.builder.class", True),
    ("authorizer.class.name", True), ("super.users", True), ("allow.everyone.if.no.acl.found", False),
])
def test_strimzi_reserved_options(key, forbidden):
    assert is_forbidden_option(key) is forbidden


def test_kraft_3x3_model():
    model = normalize(load([EXAMPLES / "kraft-3x3"]))
    assert model.findings == []
    (cluster,) = model.clusters
    # Strimzi gives ids to pools in the order of their names: broker before controller.
    assert [(p.name, p.roles, list(p.node_ids)) for p in cluster.pools] == [
        ("controller", ("controller",), [3, 4, 5]), ("broker", ("broker",), [0, 1, 2])]
    broker = cluster.pools[1]
    assert [(v.name, v.mount_path, v.kraft_metadata) for v in broker.volumes] == [
        ("data-0", "/var/lib/kafka/data-0", True), ("data-1", "/var/lib/kafka/data-1", False)]
    assert [(l.identifier, l.tls, l.cert_secret is not None) for l in cluster.listeners] == [
        ("PLAIN-9092", False, False), ("TLS-9093", True, False), ("CUSTOM-9094", True, True)]
    assert (cluster.cluster_ca.validity_days, cluster.cluster_ca.renewal_days) == (365, 30)


def test_next_node_ids_pins_a_pool_and_others_fill_the_gaps(tmp_path):
    spec = (EXAMPLES / "kraft-3x3" / "node-pools.yaml").read_text().replace(
        "  name: broker\n", '  name: broker\n  annotations:\n    strimzi.io/next-node-ids: "[100-199]"\n')
    (tmp_path / "pools.yaml").write_text(spec)
    (tmp_path / "kafka.yaml").write_text((EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text())
    model = normalize(load([tmp_path]))
    assert model.findings == []
    assert [list(p.node_ids) for p in model.clusters[0].pools] == [[0, 1, 2], [100, 101, 102]]


def _pools(tmp_path, pools: list[tuple[str, int, str | None]]):
    """A Kafka with the pools (name, replicas, next-node-ids), in the order given."""
    text = (EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text()
    for name, replicas, next_ids in pools:
        annotation = f'  annotations:\n    strimzi.io/next-node-ids: "{next_ids}"\n' if next_ids else ""
        text += (f"---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaNodePool\nmetadata:\n  name: {name}\n"
                 f"  labels:\n    strimzi.io/cluster: my-cluster\n{annotation}spec:\n  replicas: {replicas}\n"
                 f"  roles: [{'controller' if name.startswith('c') else 'broker'}]\n"
                 "  storage:\n    type: ephemeral\n")
    (tmp_path / "spec.yaml").write_text(text)
    return normalize(load([tmp_path / "spec.yaml"]))


@pytest.mark.parametrize("pools, ids", [
    # By name, whatever the order of the files: b-pool before c-pool.
    ([("c-pool", 3, None), ("b-pool", 3, None)], {"b-pool": [0, 1, 2], "c-pool": [3, 4, 5]}),
    # A range is taken first; the others fill the lowest unused ids.
    ([("c-pool", 3, None), ("b-pool", 2, "[10-19]")], {"b-pool": [10, 11], "c-pool": [0, 1, 2]}),
    # Ids another pool has are skipped, as Strimzi skips them.
    ([("c-pool", 3, "[1-9]"), ("b-pool", 1, None)], {"b-pool": [0], "c-pool": [1, 2, 3]}),
    ([("c-pool", 3, None), ("b-pool", 1, None), ("a-pool", 0, None)],
     {"a-pool": [], "b-pool": [0], "c-pool": [1, 2, 3]}),
])
def test_node_ids_are_strimzis_for_a_new_cluster(tmp_path, pools, ids):
    model = _pools(tmp_path, pools)
    assert model.findings == []
    assert {p.name: list(p.node_ids) for p in model.clusters[0].pools} == ids


def test_ids_that_would_not_be_consecutive_are_an_error_and_an_unreadable_range_a_warning(tmp_path):
    model = _pools(tmp_path, [("c-pool", 3, None), ("b-pool", 3, "[1, 7]")])
    (problem,) = model.findings
    assert problem.rule == "nodepool.node-ids" and problem.is_error
    assert "node ids 1, 7, 0" in problem.message and "consecutive" in problem.message
    assert problem.expected.startswith("a strimzi.io/next-node-ids range with 3 ids")
    model = _pools(tmp_path, [("c-pool", 3, None), ("b-pool", 3, "100-199")])
    (note,) = model.findings
    assert note.rule == "nodepool.node-ids" and not note.is_error
    assert {p.name: list(p.node_ids) for p in model.clusters[0].pools} == {
        "b-pool": [0, 1, 2], "c-pool": [3, 4, 5]}


@pytest.mark.parametrize("text, ids", [
    ("[]", []), ("[3]", [3]), ("[3, 10-12]", [3, 10, 11, 12]), (" [ 1 - 2 ,4 ] ", [1, 2, 4]),
    ("3", None), ("[3,]", None), ("[a]", None), ("[3-]", None),
])
def test_node_id_list_reads_strimzis_annotation_syntax(text, ids):
    assert node_id_list(text) == ids


BROKERS_IN_KAFKA = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata:
  name: old
spec:
  kafka:
    version: 3.9.1
    replicas: 3
    listeners:
      - {name: plain, port: 9092, type: internal, tls: false}
    resources: {requests: {memory: 2Gi}}
    jvmOptions: {-Xmx: 1g}
    template: {pod: {priorityClassName: high}}
    storage:
      type: jbod
      volumes:
        - {id: 0, type: persistent-claim, size: 10Gi}
        - {id: 1, type: persistent-claim, size: 10Gi}
  zookeeper:
    replicas: 3
    storage: {type: ephemeral}
"""


def test_brokers_declared_in_the_kafka_are_strimzis_virtual_pool(tmp_path):
    (tmp_path / "kafka.yaml").write_text(BROKERS_IN_KAFKA)
    model = normalize(load([tmp_path]))
    assert [f for f in model.findings if f.is_error] == []
    (pool,) = model.clusters[0].pools
    # Pods <cluster>-kafka-<id> from 0, claims data-<volume id>-<cluster>-kafka-<id>, as Strimzi named them.
    assert (pool.name, pool.roles, list(pool.node_ids)) == ("kafka", ("broker",), [0, 1, 2])
    assert [v.name for v in pool.volumes] == ["data-0", "data-1"]
    assert pool.resources == {"requests": {"memory": "2Gi"}}
    assert pool.jvm_options.xmx == "1g"
    assert pool.template.pod == {"priorityClassName": "high"}


def test_a_missing_logging_config_map_is_named_for_the_resource_and_its_kafka_version():
    connect = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaConnect
metadata:
  name: connect
spec:
  version: 3.9.0
  replicas: 1
  bootstrapServers: my-cluster-kafka-bootstrap:9092
  groupId: connect
  offsetStorageTopic: connect-offsets
  configStorageTopic: connect-configs
  statusStorageTopic: connect-status
  logging:
    type: external
    valueFrom:
      configMapKeyRef:
        name: connect-logging
        key: log4j.properties
"""
    model = normalize(Documents(load_text(connect, "connect.yaml")[0], []))
    (finding,) = [f for f in model.findings if f.rule == "logging.config-map-missing"]
    assert (finding.span.line, finding.span.col) == (17, 15)
    assert finding.expected == ("a ConfigMap in the inputs, in the KafkaConnect's namespace or without one, "
                                "holding the log4j 1 configuration (log4j.properties), as Kafka 3.x reads it")
