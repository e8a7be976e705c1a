"""MirrorMaker 2 run for real (mirror-spec/): two single-node clusters on loopback, `east` (TLS
with client certificates) and `west` (TLS with SCRAM-SHA-512), and a MirrorMaker 2 worker started
with its chart's own start script and configuration, whose connectors the chart's connectors Job
script applies. Records of a topic matching the pattern arrive on the target as `east.<topic>`, a
topic outside it is not mirrored, a consumer group's committed offsets are translated to the
target, a restarted worker resumes without losing a record, and with the identity replication
policy records keep their topic's name.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.pipeline import Options, compile_specs

from .. import kafka_dist
from ..util import manifests_of
from . import clients, kafka_tools, podrunner
from .conftest import NAMESPACE, boot, resolving

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "mirror-spec"
CONNECT_DIST = Path(__file__).resolve().parent / "connect-dist"
PASSWORD = "mirror-secret"
SOURCE_TOPIC, OTHER_TOPIC, GROUP = "orders", "audit", "billing"
MIRRORED = f"east.{SOURCE_TOPIC}"  # the default replication policy: <source alias>.<topic>
FIRST = [f"order {i}".encode() for i in range(40)]
WHILE_DOWN = [f"order {i}".encode() for i in range(40, 60)]


@pytest.fixture(scope="module")
def east(e2e, tmp_path_factory):
    with boot(str(SPEC / "east"), e2e, tmp_path_factory.mktemp("mirror-east"), address_block=22) as running:
        yield running


@pytest.fixture(scope="module")
def west(e2e, east, tmp_path_factory):
    with boot(str(SPEC / "west"), e2e, tmp_path_factory.mktemp("mirror-west"), address_block=23) as running:
        yield running


def openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"openssl {' '.join(args)}:\n{done.stderr}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mirror-clients")


@pytest.fixture(scope="module")
def east_client(east, folder) -> dict:
    """A certificate of east's clients CA, as its users Job would issue one: CN=mirror, in the
    Secret shape a KafkaUser of type tls has (user.crt, user.key)."""
    work = folder / "east-user"
    work.mkdir()
    ca = east.secrets["east-clients-ca"]
    (work / "ca.p12").write_bytes(ca["ca.p12"])
    (work / "ca.password").write_bytes(ca["ca.password"])
    openssl("pkcs12", "-in", "ca.p12", "-passin", "file:ca.password", "-nodes", "-nocerts", "-out", "ca.key",
            cwd=work)
    openssl("pkcs12", "-in", "ca.p12", "-passin", "file:ca.password", "-nokeys", "-out", "ca.crt", cwd=work)
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "user.key", "-subj", "/CN=mirror",
            "-out", "user.csr", cwd=work)
    (work / "ext.cnf").write_text("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", "user.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-extfile", "ext.cnf", "-out", "user.crt", cwd=work)
    (work / "user.pem").write_bytes((work / "user.crt").read_bytes() + (work / "user.key").read_bytes())
    (work / "cluster-ca.crt").write_bytes(east.secrets["east-cluster-ca-cert"]["ca.crt"])
    return {"secret": {"user.crt": (work / "user.crt").read_bytes(), "user.key": (work / "user.key").read_bytes()},
            "options": {"security_protocol": "SSL", "ssl_cafile": str(work / "cluster-ca.crt"),
                        "ssl_certfile": str(work / "user.pem"), "ssl_check_hostname": True}}


@pytest.fixture(scope="module")
def west_client(west, folder) -> dict:
    kafka_tools.as_node(west, "west", "kafka-configs.sh", "--alter", "--entity-type", "users",
                        "--entity-name", "mirror",
                        "--add-config", f"SCRAM-SHA-512=[iterations=4096,password={PASSWORD}]")
    ca = folder / "west-cluster-ca.crt"
    ca.write_bytes(west.secrets["west-cluster-ca-cert"]["ca.crt"])
    return {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "mirror",
            "sasl_plain_password": PASSWORD, "ssl_cafile": str(ca), "ssl_check_hostname": True}


EAST, WEST = "east-kafka-bootstrap:9093", "west-kafka-bootstrap:9093"


@pytest.fixture(scope="module")
def source_data(east, east_client) -> dict[int, int]:
    """On the source before MirrorMaker 2 starts: the topic it mirrors with records, a topic
    outside its pattern, and the offsets a group committed, having read every record; returned."""
    options = east_client["options"]
    clients.create_topic(EAST, SOURCE_TOPIC, 2, 1, **options)
    clients.create_topic(EAST, OTHER_TOPIC, 1, 1, **options)
    clients.produce(EAST, SOURCE_TOPIC, FIRST, **options)
    clients.produce(EAST, OTHER_TOPIC, [b"not mirrored"], **options)
    committed = end_offsets(EAST, SOURCE_TOPIC, **options)
    assert all(committed.values()), committed
    clients.commit_offsets(EAST, GROUP, SOURCE_TOPIC, committed, **options)
    return committed


def end_offsets(bootstrap: str, topic: str, **options) -> dict[int, int]:
    consumer = clients.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **clients.CLIENT_TIMEOUTS, **options)
    try:
        partitions = [clients.TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def mirror_chart(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mirror-chart")
    result = compile_specs(Options((str(SPEC / "mirror"),), out, verify=False))
    assert result.ok, [f"{f.span}: {f.message}" for f in result.findings if f.is_error]
    (chart,) = result.charts
    assert chart.name == "east-west-mirrormaker2"
    return chart


@pytest.fixture(scope="module")
def mirror_home(e2e, tmp_path_factory) -> Path:
    """The image MirrorMaker 2 runs in: Kafka's, whose libs hold the MirrorMaker 2 connectors (here in
    plugin.path, /opt/kafka/plugins, since the test's Kafka is resolved without them), and Kafka's
    connect-distributed.sh."""
    home = tmp_path_factory.mktemp("mirror-home")
    kafka_home = e2e.kafka_home("4.3.1")
    for entry in kafka_home.iterdir():
        if entry.name != "bin":
            (home / entry.name).symlink_to(entry)
    shutil.copytree(kafka_home / "bin", home / "bin")
    shutil.copy2(CONNECT_DIST / "connect-distributed.sh", home / "bin" / "connect-distributed.sh")
    (home / "plugins" / "mirror").mkdir(parents=True)
    for jar in kafka_dist.connect_mirror_jars("4.3.1"):
        shutil.copy2(jar, home / "plugins" / "mirror" / jar.name)
    for path in [home, *home.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path.suffix == ".sh" else 0o644)
    return home


@pytest.fixture(scope="module")
def mirror(e2e, east, west, east_client, west_client, source_data, mirror_chart, mirror_home, tmp_path_factory):
    workers = podrunner.LocalCluster(
        mirror_chart, tmp_path_factory.mktemp("mirror-run"), kafka_home=mirror_home, shim=e2e.shim,
        java_home=e2e.java_home, namespace=NAMESPACE,
        secrets={"east-cluster-ca-cert": east.secrets["east-cluster-ca-cert"],
                 "west-cluster-ca-cert": west.secrets["west-cluster-ca-cert"],
                 "mirror-east": east_client["secret"], "mirror-west": {"password": PASSWORD.encode()}},
        address_prefix=e2e.slot.address_prefix(24), registry=e2e.slot.registry)
    # One cluster DNS: the workers find both Kafkas' Services and pods, and so do the test's clients.
    workers.dns.update(east.dns)
    workers.dns.update(west.dns)
    try:
        with resolving(workers):
            workers.start()
            workers.wait_ready(timeout=300)
            yield workers
    finally:
        workers.close()


def worker(workers) -> podrunner.Pod:
    return next(iter(workers.pods.values()))


def apply_connectors(workers, chart: Path, folder: Path) -> list[dict]:
    """The connectors Job as the chart renders it: its ConfigMap's files and its script, run
    against the worker's REST API."""
    manifests = manifests_of(chart, namespace=NAMESPACE)
    data = next(m for m in manifests if m["kind"] == "ConfigMap"
                and m["metadata"]["name"] == "east-west-mirrormaker2-connectors")["data"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in data.items():
        (folder / name).write_text(text)
    done = subprocess.run(
        ["sh", str(folder / "connectors-apply.sh")], capture_output=True, text=True, timeout=300,
        env={"PATH": os.environ["PATH"], "KAFKAC_CONNECT_API": f"http://{worker(workers).address}:8083",
             "KAFKAC_CONNECTORS_DIR": str(folder), "KAFKAC_MANAGED_BY": "east-west", "KAFKAC_WAIT_SECONDS": "120"})
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def applied(mirror, mirror_chart, tmp_path_factory) -> list[dict]:
    return apply_connectors(mirror, mirror_chart, tmp_path_factory.mktemp("mirror-job"))


def topics(bootstrap: str, **options) -> set[str]:
    client = clients.admin(bootstrap, **options)
    try:
        return set(client.list_topics())
    finally:
        client.close()


def group_offsets(bootstrap: str, group: str, topic: str, **options) -> dict[int, int]:
    client = clients.admin(bootstrap, **options)
    try:
        offsets = client.list_group_offsets({group: None}).get(group, {})
    finally:
        client.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def test_the_connectors_job_creates_the_mirror_connectors_by_strimzis_names(applied):
    assert sorted((r["connector"], r["action"]) for r in applied) == [
        ("east->west.MirrorCheckpointConnector", "created"), ("east->west.MirrorSourceConnector", "created")]


def test_records_of_a_matching_topic_arrive_under_the_replication_policys_name(mirror, applied, west_client):
    mirror.wait_until(lambda: MIRRORED in topics(WEST, **west_client), 180, f"{MIRRORED} exists on west")
    mirror.wait_until(lambda: sorted(clients.consume_all(WEST, MIRRORED, **west_client)) == sorted(FIRST), 180,
                      f"every record of {SOURCE_TOPIC} is in {MIRRORED}")
    log = worker(mirror).log_text()
    assert PASSWORD not in log


def test_a_topic_outside_the_pattern_is_not_mirrored(mirror, applied, west_client):
    mirror.wait_until(lambda: MIRRORED in topics(WEST, **west_client), 180, f"{MIRRORED} exists on west")
    assert not {f"east.{OTHER_TOPIC}", OTHER_TOPIC} & topics(WEST, **west_client)


def test_a_groups_committed_offsets_are_translated_to_the_target(mirror, applied, source_data, west_client):
    def translated() -> bool:
        offsets = group_offsets(WEST, GROUP, MIRRORED, **west_client)
        print(f"offsets of {GROUP} on west: {offsets}, on east: {source_data}")
        return offsets == source_data

    mirror.wait_until(translated, 240, f"the offsets of {GROUP} are translated to {MIRRORED} on west")


def test_a_restarted_mirror_maker_resumes_without_loss(mirror, mirror_chart, applied, east_client, west_client,
                                                       tmp_path):
    mirror.wait_until(lambda: MIRRORED in topics(WEST, **west_client), 180, f"{MIRRORED} exists on west")
    pod = worker(mirror)
    mirror.stop_container(pod)
    clients.produce(EAST, SOURCE_TOPIC, WHILE_DOWN, **east_client["options"])
    mirror.start_container(pod)
    mirror.wait_ready([pod], timeout=300)
    again = apply_connectors(mirror, mirror_chart, tmp_path / "job")
    assert sorted(r["action"] for r in again) == ["unchanged", "unchanged"]
    mirror.wait_until(lambda: set(FIRST + WHILE_DOWN) <= set(clients.consume_all(WEST, MIRRORED, **west_client)),
                      240, f"every record, those sent while MirrorMaker 2 was down too, is in {MIRRORED}")


def test_with_the_identity_policy_records_keep_their_topics_name(mirror, applied, east_client, west_client,
                                                                  tmp_path):
    """The same MirrorMaker 2 recompiled with IdentityReplicationPolicy on both connectors: the Job
    updates them, and records sent from then on arrive on the target in `orders` itself."""
    spec = (SPEC / "mirror" / "mirror-maker-2.yaml").read_text()
    identity = "          replication.policy.class: org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n"
    spec = spec.replace("          offset-syncs.topic.location: target\n",
                        "          offset-syncs.topic.location: target\n" + identity)
    assert spec.count(identity) == 2
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "mirror-maker-2.yaml").write_text(spec)
    result = compile_specs(Options((str(tmp_path / "spec"),), tmp_path / "out", verify=False))
    assert result.ok, [f"{f.span}: {f.message}" for f in result.findings if f.is_error]
    (chart,) = result.charts
    updated = apply_connectors(mirror, chart, tmp_path / "job")
    assert sorted(r["action"] for r in updated) == ["updated", "updated"]
    mirror.wait_until(lambda: SOURCE_TOPIC in topics(WEST, **west_client), 180, f"{SOURCE_TOPIC} exists on west")
    # The task copying with the old policy stops a moment after the connector takes the new
    # options: a record a second, until one arrives under the topic's own name.
    probes = iter(f"probe {i}".encode() for i in range(1000))

    def copied_with_the_new_policy() -> bool:
        clients.produce(EAST, SOURCE_TOPIC, [next(probes)], **east_client["options"])
        return bool(clients.consume_all(WEST, SOURCE_TOPIC, **west_client))

    mirror.wait_until(copied_with_the_new_policy, 240, f"a record arrives in {SOURCE_TOPIC} on west")
    later = [f"later {i}".encode() for i in range(10)]
    clients.produce(EAST, SOURCE_TOPIC, later, **east_client["options"])
    mirror.wait_until(lambda: set(later) <= set(clients.consume_all(WEST, SOURCE_TOPIC, **west_client)), 240,
                      f"the records sent after the change are in {SOURCE_TOPIC} on west")
    assert not set(later) & set(clients.consume_all(WEST, MIRRORED, **west_client))
