"""examples/kraft-3x3, run for real: three controllers, three brokers, TLS between them,
a plain listener, a TLS listener with the cluster CA's node certificate and one with a
certificate from a Secret the user made."""

from __future__ import annotations

import re
import threading
import time

import pytest

from . import certs, clients, kafka_tools, tls
from .conftest import NAMESPACE, assert_within_size_limits, boot

pytestmark = pytest.mark.e2e

PLAIN, TLS, CUSTOM = 9092, 9093, 9094
CONTROLPLANE, REPLICATION = 9090, 9091
TLS_SECRET = "my-cluster-listener-tls"
CA_SECRET = "my-cluster-cluster-ca-cert"
NODE_SECRET = "my-cluster-kafka-node-certs"
# What a client may wait for while one broker of three restarts.
RESTART_TIMEOUT = 300.0
# The ids Strimzi gives the pools of examples/kraft-3x3, by pool name.
BROKER_IDS = (0, 1, 2)
CONTROLLER_IDS = (3, 4, 5)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    names = [f"*.my-cluster-kafka-brokers.{NAMESPACE}.svc",
             f"*.my-cluster-kafka-brokers.{NAMESPACE}.svc.cluster.local",
             f"my-cluster-kafka-bootstrap.{NAMESPACE}.svc",
             f"my-cluster-kafka-bootstrap.{NAMESPACE}.svc.cluster.local"]
    return certs.listener_certificate(tmp_path_factory.mktemp("certs"), names)


@pytest.fixture(scope="module")
def cluster(e2e, certificate, tmp_path_factory):
    with boot("kraft-3x3", e2e, tmp_path_factory.mktemp("kraft-3x3"), address_block=2,
              secrets={TLS_SECRET: certificate.secret()}) as running:
        yield running


def fqdn(pod) -> str:
    return f"{pod.name}.my-cluster-kafka-brokers.{NAMESPACE}.svc"


def client_config(cluster, pod) -> str:
    return kafka_tools.node_client_config(cluster, pod, NODE_SECRET)


def test_controllers_form_a_quorum_and_three_brokers_register(cluster):
    controller = cluster.controllers[0]
    status = kafka_tools.run(cluster, controller, "/opt/kafka/bin/kafka-metadata-quorum.sh",
                             "--bootstrap-controller", f"{fqdn(controller)}:{CONTROLPLANE}",
                             "--command-config", client_config(cluster, controller), "describe", "--status")
    voters = re.search(r"CurrentVoters:\s*(.*)", status).group(1)
    # Strimzi's NodeIdAssignor takes pools by name: "broker" gets 0-2, "controller" 3-5.
    assert sorted(p.ordinal for p in cluster.controllers) == list(CONTROLLER_IDS)
    assert [p.name for p in cluster.brokers] == [f"my-cluster-broker-{i}" for i in BROKER_IDS]
    assert sorted(int(i) for i in re.findall(r'"id":\s*(\d+)', voters)) == list(CONTROLLER_IDS), status
    leader = int(re.search(r"LeaderId:\s*(-?\d+)", status).group(1))
    assert leader in CONTROLLER_IDS, status

    statuses = quorum_status(cluster, controller)
    assert sorted(s for i, s in statuses.items() if i in CONTROLLER_IDS) == ["Follower", "Follower", "Leader"]
    assert {i for i, s in statuses.items() if s == "Observer"} == set(BROKER_IDS), statuses

    brokers = clients.brokers(cluster.bootstrap(PLAIN))
    assert {b["broker_id"]: b["is_fenced"] for b in brokers} == {i: False for i in BROKER_IDS}
    assert {b["host"] for b in brokers} == {
        f"my-cluster-broker-{i}.my-cluster-kafka-brokers.{NAMESPACE}.svc" for i in BROKER_IDS}
    # Every pod says ready (polled: one probe may time out on a busy machine).
    cluster.wait_ready(timeout=120)


def test_tls_listener_serves_the_secret_certificate(cluster, certificate):
    options = {"security_protocol": "SSL", "ssl_cafile": str(certificate.ca_file),
               "ssl_check_hostname": True}
    bootstrap = cluster.bootstrap(CUSTOM)
    clients.create_topic(bootstrap, "over-tls", partitions=3, replication_factor=3, **options)
    sent = [f"secret-{i}".encode() for i in range(50)]
    clients.produce(bootstrap, "over-tls", sent, **options)
    assert sorted(clients.consume_all(bootstrap, "over-tls", **options)) == sorted(sent)


@pytest.fixture(scope="module")
def cluster_ca(cluster, tmp_path_factory):
    """ca.crt of the Secret the certificates Job made, as a client application gets it."""
    path = tmp_path_factory.mktemp("cluster-ca") / "ca.crt"
    path.write_bytes(cluster.secrets[CA_SECRET]["ca.crt"])
    return path


def test_tls_listener_serves_the_node_certificate_to_clients_of_the_cluster_ca(cluster, cluster_ca):
    """tls: true without a certificate of its own: the cluster CA's node certificate,
    whose names cover the bootstrap Service and every broker (host names checked)."""
    options = {"security_protocol": "SSL", "ssl_cafile": str(cluster_ca), "ssl_check_hostname": True}
    bootstrap = cluster.bootstrap(TLS)
    clients.create_topic(bootstrap, "over-cluster-ca", partitions=3, replication_factor=3, **options)
    sent = [f"cluster-ca-{i}".encode() for i in range(50)]
    clients.produce(bootstrap, "over-cluster-ca", sent, **options)
    assert sorted(clients.consume_all(bootstrap, "over-cluster-ca", **options)) == sorted(sent)
    # Every advertised broker address was reached with its name checked.
    assert {b["host"] for b in clients.brokers(bootstrap, **options)} == {fqdn(p) for p in cluster.brokers}
    # A name the certificate does not cover is refused by the client.
    broker = cluster.brokers[0]
    wrong = tls.tls_request((fqdn(broker), TLS), "kafka.example.com", cluster_ca)
    assert not wrong.served and "certificate" in wrong.detail.lower(), wrong


def test_plaintext_client_is_refused_on_the_tls_port(cluster):
    broker = cluster.brokers[0]
    assert tls.plaintext_request((fqdn(broker), PLAIN)).served  # the same request, where it belongs
    for port in (TLS, REPLICATION):
        answer = tls.plaintext_request((fqdn(broker), port))
        assert not answer.served, f"port {port} answered a plaintext request: {answer}"
    answer = tls.plaintext_request((fqdn(cluster.controllers[0]), CONTROLPLANE))
    assert not answer.served, answer


def test_internal_listeners_require_a_node_certificate(cluster, cluster_ca, tmp_path):
    """Controller and replication listeners: TLS, host names checked, client certificate required."""
    broker, controller = cluster.brokers[0], cluster.controllers[0]
    node = cluster.secrets[NODE_SECRET]
    node_pem = tls.pkcs12_to_pem(node["node.p12"], node["node.password"], tmp_path / "node")
    for pod, port in ((broker, REPLICATION), (controller, CONTROLPLANE)):
        address = (fqdn(pod), port)
        served = tls.tls_request(address, fqdn(pod), cluster_ca, client_pem=node_pem)
        assert served.served, f"{pod.name}:{port} with the node certificate: {served}"
        anonymous = tls.tls_request(address, fqdn(pod), cluster_ca)
        print(f"{pod.name}:{port}: with the node certificate: {served.detail}; "
              f"without a certificate: {anonymous.detail}")
        assert not anonymous.served, f"{pod.name}:{port} served a client without a certificate"
    # The static configuration says so, and holds no password: that is added at start-up.
    for config_map in cluster.config_maps.values():
        text = config_map["data"].get("server.properties")
        if text is None:
            continue
        lines = text.splitlines()
        assert any(l.startswith("listener.security.protocol.map=CONTROLPLANE-9090:SSL,REPLICATION-9091:SSL")
                   for l in lines), text
        assert "listener.name.controlplane-9090.ssl.client.auth=required" in lines
        assert "password" not in text
    runtime = cluster.host_path(broker, "/tmp/kafka/server.properties")
    assert "listener.name.replication-9091.ssl.keystore.password=" in runtime.read_text()
    assert runtime.stat().st_mode & 0o077 == 0, "the runtime configuration is readable by others"


class Writer(threading.Thread):
    """Produces numbered records with acks=all until stopped; remembers which were acknowledged."""

    def __init__(self, bootstrap: str, topic: str):
        super().__init__(daemon=True)
        self.bootstrap, self.topic = bootstrap, topic
        self.acked: set[int] = set()
        self.failed: dict[int, str] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def count(self) -> int:
        if self.error is not None:
            raise AssertionError(f"the producer stopped: {self.error!r}")
        with self.lock:
            return len(self.acked)

    def _ack(self, number: int):
        def on_success(_metadata):
            with self.lock:
                self.acked.add(number)
        return on_success

    def _fail(self, number: int):
        def on_error(error):
            with self.lock:
                self.failed[number] = repr(error)
        return on_error

    def run(self) -> None:
        try:
            producer = clients.KafkaProducer(
                bootstrap_servers=self.bootstrap, acks="all", linger_ms=5,
                request_timeout_ms=30000, delivery_timeout_ms=180000, retries=2**31 - 1)
            try:
                number = 0
                while not self.stopping.is_set():
                    value = str(number).encode()
                    future = producer.send(self.topic, key=value, value=value)
                    future.add_callback(self._ack(number)).add_errback(self._fail(number))
                    number += 1
                    time.sleep(0.004)  # a steady stream, a few hundred records a second
                producer.flush(180)
            finally:
                producer.close(timeout=60)
        except BaseException as exc:  # reported by count() and after join()
            self.error = exc


def wait_for(what: str, condition, timeout: float, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:g} s")
        time.sleep(interval)


def test_broker_restart_under_writes_loses_no_acknowledged_record(cluster):
    bootstrap = cluster.bootstrap(PLAIN)
    topic = "durable"
    clients.create_topic(bootstrap, topic, partitions=6, replication_factor=3,
                         configs={"min.insync.replicas": "2"})
    victim = next(p for p in cluster.brokers if p.ordinal == BROKER_IDS[1])
    data_dirs = [cluster.host_path(victim, f"/var/lib/kafka/data-{i}") / f"kafka-log{victim.ordinal}"
                 for i in (0, 1)]
    meta_before = [(d / "meta.properties").read_text() for d in data_dirs]

    writer = Writer(bootstrap, topic)
    writer.start()
    try:
        wait_for("500 acknowledged records", lambda: writer.count() >= 500, 120)

        # A rolling update deletes the pod (SIGTERM, then SIGKILL after the grace
        # period); its volume claims stay.
        cluster.delete_pod(victim)
        acked_while_down = writer.count()
        wait_for("writes go on with one broker down", lambda: writer.count() >= acked_while_down + 300,
                 RESTART_TIMEOUT)

        # The new pod exists before Kafka runs in it: the chart's probe must say no.
        cluster.create_pod(victim)
        down = cluster.probe(victim)
        assert not down.ok, f"ready while the broker is down: {down.output}"

        cluster.start_container(victim)
        started = time.monotonic()
        observed = []  # (seconds since start, ready, listening, probe output)

        def ready() -> bool:
            # The readiness probe starts a JVM: asked only once the broker listens, as wait_ready
            # asks it, so that the probes do not take the CPU the restarting broker needs.
            listening = cluster.probe(victim, "livenessProbe").ok
            result = cluster.probe(victim) if listening else None
            observed.append((round(time.monotonic() - started, 1), bool(result and result.ok), listening,
                             result.output if result else "not listening"))
            return bool(result and result.ok)

        cluster.wait_until(ready, RESTART_TIMEOUT, "restarted broker ready", interval=0.2, pods=[victim])
        print("readiness of the restarted broker (s, ready, listening, output):", *observed, sep="\n  ")
        # Ready means registered and unfenced: the other brokers list it.
        assert {b["broker_id"]: b["is_fenced"] for b in clients.brokers(bootstrap)}[victim.ordinal] is False

        # Caught up: back in the ISR of every partition it replicates.
        wait_for(f"broker {victim.ordinal} back in every ISR", lambda: all(
            victim.ordinal in p["isr_nodes"] for p in clients.describe_topic(bootstrap, topic)),
            RESTART_TIMEOUT, 1)
        cluster.wait_ready([victim], timeout=120)
        probes = {pod.name: cluster.probe(pod) for pod in cluster.pods.values()}
        print("readiness probes under writes:",
              *(f"{name}: {r.ok} in {r.seconds:.1f} s" for name, r in probes.items()), sep="\n  ")
        print("resident memory (MiB):",
              {name: rss // 2**20 for name, rss in cluster.memory().items()})
        after_restart = writer.count()
        wait_for("writes after the restart", lambda: writer.count() >= after_restart + 300, RESTART_TIMEOUT)
    finally:
        writer.stopping.set()
        writer.join(240)
    assert not writer.is_alive(), "the producer did not finish"
    assert writer.error is None, f"the producer failed: {writer.error!r}"

    print(f"acknowledged {len(writer.acked)} records, {acked_while_down} before the broker went down")
    stored = {int(v) for v in clients.consume_all(bootstrap, topic)}
    lost = writer.acked - stored
    assert not lost, f"{len(lost)} acknowledged records are missing, e.g. {sorted(lost)[:10]}"
    assert not writer.failed, f"{len(writer.failed)} writes failed, e.g. {list(writer.failed.items())[:3]}"

    # The restarted broker found its storage and did not format it again.
    second_start = victim.log_text()
    assert "already formatted" in second_start
    assert "Formatting" not in second_start
    assert [(d / "meta.properties").read_text() for d in data_dirs] == meta_before
    assert_within_size_limits(cluster)


def quorum_status(cluster, pod) -> dict[int, str]:
    """Leader, Follower or Observer for each node, as the quorum leader reports it."""
    replication = kafka_tools.run(cluster, pod, "/opt/kafka/bin/kafka-metadata-quorum.sh",
                                  "--bootstrap-controller", f"{fqdn(pod)}:{CONTROLPLANE}",
                                  "--command-config", client_config(cluster, pod), "describe", "--replication")
    return {int(line.split()[0]): line.split()[-1]
            for line in replication.splitlines()[1:] if line.strip()}


def test_restarted_quorum_leader_is_ready_only_back_in_the_quorum(cluster):
    statuses = quorum_status(cluster, cluster.controllers[0])
    leader_id = next(node for node, status in statuses.items() if status == "Leader")
    victim = next(p for p in cluster.controllers if p.ordinal == leader_id)
    others = [p for p in cluster.controllers if p is not victim]
    metadata_dir = cluster.host_path(victim, "/var/lib/kafka/data") / f"kafka-log{leader_id}"
    meta_before = (metadata_dir / "meta.properties").read_text()

    cluster.delete_pod(victim)
    # The two left elect a leader between them and stay ready.
    cluster.wait_ready(others, timeout=RESTART_TIMEOUT)
    cluster.create_pod(victim)
    down = cluster.probe(victim)
    assert not down.ok, f"ready while the controller is down: {down.output}"

    cluster.start_container(victim)
    cluster.wait_ready([victim], timeout=RESTART_TIMEOUT)
    statuses = quorum_status(cluster, others[0])
    assert statuses[leader_id] in ("Leader", "Follower"), statuses
    assert sorted(s for i, s in statuses.items() if i in CONTROLLER_IDS) == ["Follower", "Follower", "Leader"]
    second_start = victim.log_text()
    assert "already formatted" in second_start and "Formatting" not in second_start
    assert (metadata_dir / "meta.properties").read_text() == meta_before
    # The brokers still serve after the change of leader.
    cluster.wait_ready(cluster.brokers, timeout=RESTART_TIMEOUT)
