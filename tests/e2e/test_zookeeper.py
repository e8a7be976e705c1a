"""examples/zookeeper, run for real: three ZooKeeper nodes and three Kafka 3.9 brokers declared
in the Kafka, ZooKeeper's quorum and clients over TLS with the node certificate.

The chart's users and topics Jobs then run against it as `helm install` runs them (certjob.py
for the users Job's Secret steps, topicjob.py for the steps that talk to Kafka): the SCRAM user
registers through the brokers' admin API and its ACLs go to the AclAuthorizer's ZooKeeper."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from .. import kafka_dist
from ..log_format import LOG_LINE_RE
from ..util import manifests_of
from . import certjob, clients, tls, topicjob
from .conftest import NAMESPACE, boot

pytestmark = pytest.mark.e2e

REPLICATION = 9091
ZOOKEEPER_CLIENT = 2181
TLS = 9093
CA_SECRET = "legacy-cluster-ca-cert"
NODE_SECRET = "legacy-kafka-node-certs"
USER_SECRET_STEPS = ("fetch", "issue", "store")
TOPIC_AUTHORIZATION_FAILED = 29


@pytest.fixture(scope="module")
def cluster(e2e, tmp_path_factory):
    # The brokers' metrics agent, which Strimzi's image has in libs/ (the example's metricsConfig).
    with boot("zookeeper", e2e, tmp_path_factory.mktemp("zookeeper"), address_block=17,
              extra_jars=(kafka_dist.jmx_exporter_agent(),)) as running:
        yield running


@pytest.fixture(scope="module")
def node_options(cluster, tmp_path_factory) -> dict:
    """A client of the replication listener with the node certificate (a super user)."""
    folder = tmp_path_factory.mktemp("node")
    (folder / "ca.crt").write_bytes(cluster.secrets[CA_SECRET]["ca.crt"])
    node = cluster.secrets[NODE_SECRET]
    pem = tls.pkcs12_to_pem(node["node.p12"], node["node.password"], folder / "node")
    return {"security_protocol": "SSL", "ssl_cafile": str(folder / "ca.crt"), "ssl_certfile": str(pem),
            "ssl_keyfile": str(pem), "ssl_check_hostname": True}


def zookeepers(cluster) -> list:
    return [p for p in cluster.pods.values() if p.statefulset == "legacy-zookeeper"]


def test_the_ensemble_forms_over_tls_and_the_brokers_register(cluster, node_options):
    assert sorted(p.name for p in zookeepers(cluster)) == [f"legacy-zookeeper-{n}" for n in range(3)]
    modes = []
    for pod in zookeepers(cluster):
        done = cluster.exec(pod, ["/bin/sh", "/opt/kafka/kafkac/zookeeper-ready.sh"])
        assert done.returncode == 0, f"{pod.name}: {done.stdout}{done.stderr}"
        modes.append(done.stdout.split()[-1])
    assert sorted(modes) == ["follower", "follower", "leader"]
    brokers = clients.brokers(cluster.bootstrap(REPLICATION), **node_options)
    assert sorted(b["broker_id"] for b in brokers) == [0, 1, 2]
    assert {b["host"] for b in brokers} == {
        f"legacy-kafka-{i}.legacy-kafka-brokers.{NAMESPACE}.svc" for i in range(3)}


def ruok(address: tuple[str, int], ca: Path | None = None, client_pem: Path | None = None) -> bytes:
    """ZooKeeper's four-letter word ruok, over TLS with `ca` (the server's name checked), else plain."""
    try:
        with socket.create_connection(address, timeout=10) as raw:
            sock = raw
            if ca is not None:
                context = ssl.create_default_context(cafile=str(ca))
                if client_pem is not None:
                    context.load_cert_chain(str(client_pem))
                sock = context.wrap_socket(raw, server_hostname="legacy-zookeeper-client")
            sock.sendall(b"ruok")
            answer = b""
            while chunk := sock.recv(64):
                answer += chunk
            return answer
    except (ssl.SSLError, OSError):
        return b""


def test_zookeeper_serves_only_tls_clients_with_a_certificate_of_the_cluster_ca(cluster, tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_bytes(cluster.secrets[CA_SECRET]["ca.crt"])
    node = cluster.secrets[NODE_SECRET]
    node_pem = tls.pkcs12_to_pem(node["node.p12"], node["node.password"], tmp_path / "node")
    pod = zookeepers(cluster)[0]
    address = (f"{pod.name}.legacy-zookeeper-nodes.{NAMESPACE}.svc", ZOOKEEPER_CLIENT)
    assert ruok(address, ca, node_pem) == b"imok"
    assert ruok(address, ca) != b"imok"
    assert ruok(address) != b"imok"


def test_a_topic_with_three_replicas_takes_and_serves_records(cluster, node_options):
    bootstrap = cluster.bootstrap(REPLICATION)
    clients.create_topic(bootstrap, "zk-mode", partitions=3, replication_factor=3,
                         configs={"min.insync.replicas": "2"}, **node_options)
    sent = [f"record-{i}".encode() for i in range(100)]
    clients.produce(bootstrap, "zk-mode", sent, **node_options)
    assert sorted(clients.consume_all(bootstrap, "zk-mode", **node_options)) == sorted(sent)


def test_the_brokers_and_zookeeper_log_their_events_in_the_charts_format(cluster):
    """Kafka 3.x and its ZooKeeper log through log4j 1 with the chart's log4j.properties: each
    event on one line in the chart's format (a stack trace, which log4j 1 cannot encode, on
    the lines after its event)."""
    loggers = {}
    for pod in cluster.pods.values():
        text = "".join(path.read_text(errors="replace") for path in pod.logs)
        parsed = [m for m in map(LOG_LINE_RE.match, text.splitlines()) if m]
        loggers[pod.name] = {m["logger"] for m in parsed}
    for pod in cluster.pods.values():
        prefix = "org.apache.zookeeper." if pod in zookeepers(cluster) else "kafka."
        assert any(name.startswith(prefix) for name in loggers[pod.name]), (pod.name, sorted(loggers[pod.name]))


@pytest.fixture(scope="module")
def jobs(cluster, e2e) -> dict:
    """The users Job (its Secret steps, then its apply step in a pod of the cluster) and the topics
    Job, each run once as on install; the Secrets the users Job made, by name."""
    manifests = manifests_of(cluster.chart_dir, namespace=NAMESPACE)
    folder = certjob.shared_folder("kafkac-e2e-zookeeper-")
    store = folder / "store"
    certjob.put_secrets(store, NAMESPACE, cluster.secrets)
    secrets = certjob.run_certificate_job(manifests, NAMESPACE, store, folder / "users", e2e.java_home,
                                          job_suffix="-kafka-users", steps=USER_SECRET_STEPS)
    users_api = topicjob.api_server(cluster, manifests, "-kafka-users")
    users_api.apply(manifests)
    applied = topicjob.run_topics_job(cluster, manifests, users_api, job_suffix="-kafka-users", steps=("apply",),
                                      empty_dir_seeds={"work": folder / "users" / "volumes" / "work"})
    assert applied.exit_code == 0, f"{secrets.log}\n{applied.log}"
    topics_api = topicjob.api_server(cluster, manifests)
    topics_api.apply(manifests)
    topics = topicjob.run_topics_job(cluster, manifests, topics_api)
    assert topics.exit_code == 0, topics.log
    return {"users": applied, "topics": topics, "secrets": certjob.secrets_in(store, NAMESPACE)}


def scram_options(cluster, password: str, folder: Path) -> dict:
    """payments-app on the TLS listener: SCRAM-SHA-512 over TLS, the broker's name checked."""
    (folder / "ca.crt").write_bytes(cluster.secrets[CA_SECRET]["ca.crt"])
    return {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "payments-app", "sasl_plain_password": password,
            "ssl_cafile": str(folder / "ca.crt"), "ssl_check_hostname": True}


def topic_error(bootstrap: str, topic: str, **config) -> int:
    """The error code of describing `topic`: 0, or 29 when the principal may not see it."""
    admin = clients.admin(bootstrap, **config)
    try:
        (described,) = admin.describe_topics([topic])
        return described["error_code"]
    finally:
        admin.close()


def test_the_topics_job_creates_the_examples_topics(cluster, jobs, node_options):
    assert "payments" in jobs["topics"].report["created"], jobs["topics"].log
    partitions = clients.describe_topic(cluster.bootstrap(REPLICATION), "payments", **node_options)
    assert len(partitions) == 6 and {len(p["replica_nodes"]) for p in partitions} == {3}


def test_the_scram_user_is_registered_and_authorised_by_its_acls(cluster, jobs, node_options, tmp_path):
    report = jobs["users"].output("apply")
    assert "kafkac-users: user payments-app: registered its SCRAM-SHA-512 credentials" in report, report
    password = jobs["secrets"]["payments-app"]["password"].decode()
    assert password not in report
    options = scram_options(cluster, password, tmp_path)
    bootstrap = cluster.bootstrap(TLS)
    sent = [f"payment-{i}".encode() for i in range(20)]
    clients.produce(bootstrap, "payments", sent, **options)
    assert sorted(clients.consume_all(bootstrap, "payments", **options)) == sorted(sent)
    # zk-mode, made by the node in an earlier test, is not the user's.
    assert topic_error(bootstrap, "zk-mode", **options) == TOPIC_AUTHORIZATION_FAILED
    with pytest.raises(Exception):
        topic_error(bootstrap, "payments", **scram_options(cluster, "not-the-password", tmp_path))
