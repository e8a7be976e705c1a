"""Cross-resource checks of the normalize stage, and the model it builds.

Cases are data: each `tests/cases/model/<case>.yaml` starts with
`# expect: LINE:COL RULE` lines naming exactly the findings that the whole
front end (load, validate, normalize) must produce.
"""

from pathlib import Path

import pytest

from compiler.load import load
from compiler.normalize import is_forbidden_option, node_id_list, normalize
from compiler.pipeline import check_specs

from .conftest import EXAMPLES
from .util import expectations

MODEL_CASES = sorted((Path(__file__).parent / "cases" / "model").glob("*.yaml"))


@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda p: p.stem)
def test_model_case_gives_exactly_the_expected_findings(case):
    expected = expectations(case)
    assert expected, f"{case} has no `# expect: LINE:COL RULE` line"
    _, findings = check_specs([case])
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
    assert [(p.name, p.roles, list(p.node_ids)) for p in cluster.pools] == [
        ("controller", ("controller",), [0, 1, 2]), ("broker", ("broker",), [3, 4, 5])]
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


@pytest.mark.parametrize("text, ids", [
    ("[]", []), ("[3]", [3]), ("[3, 10-12]", [3, 10, 11, 12]), (" [ 1 - 2 ,4 ] ", [1, 2, 4]),
    ("3", None), ("[3,]", None), ("[a]", None), ("[3-]", None),
])
def test_node_id_list_reads_strimzis_annotation_syntax(text, ids):
    assert node_id_list(text) == ids
