"""examples/zookeeper, run for real: three ZooKeeper nodes and three Kafka 3.9 brokers declared
in the Kafka, ZooKeeper's quorum and clients over TLS with the node certificate.

The chart's users and topics Jobs then run against it as `helm install` runs them (certjob.py
for the users Job's Secret steps, topicjob.py for the steps that talk to Kafka): the SCRAM user
registers through the brokers' admin API and its ACLs go to the AclAuthorizer's ZooKeeper.

Then the way off ZooKeeper, on the same processes: the charts of examples/zookeeper-migration at
each strimzi.io/kraft step are applied in order as `helm upgrade` applies them (ConfigMaps set,
new StatefulSets' pods started, removed ones' pods deleted, changed ones rolled from the highest
ordinal, each StatefulSet in parallel): disabled, migration, rollback (with the znodes deleted
as the compile notes say) and disabled again, then migration, enabled and spec.zookeeper
removed. A producer at acks=all runs from the first step to the last; no acknowledged record
may be lost. The figures (time of each step, records) are printed at the end."""

from __future__ import annotations

import shutil
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from compiler import tools
from compiler.verify import render

from .. import kafka_dist
from ..conftest import EXAMPLES
from ..log_format import LOG_LINE_RE
from ..util import documents, manifests_of
from . import certjob, clients, podrunner, tls, topicjob
from .conftest import NAMESPACE, boot, compile_example
from .test_scaling import Traffic

pytestmark = pytest.mark.e2e

REPLICATION = 9091
ZOOKEEPER_CLIENT = 2181
TLS = 9093
CA_SECRET = "legacy-cluster-ca-cert"
NODE_SECRET = "legacy-kafka-node-certs"
USER_SECRET_STEPS = ("fetch", "issue", "store")
TOPIC_AUTHORIZATION_FAILED = 29


MIGRATION_SPEC = EXAMPLES / "zookeeper-migration"
MIGRATION_TOPIC = "migration"
MIGRATION_FINISHED = "Completed migration of metadata from ZooKeeper to KRaft"
ROLL_TIMEOUT = 420.0


@pytest.fixture(scope="module")
def cluster(e2e, tmp_path_factory):
    # The brokers' metrics agent, which Strimzi's image has in libs/ (the example's metricsConfig).
    with boot("zookeeper", e2e, tmp_path_factory.mktemp("zookeeper"), address_block=17,
              extra_jars=(kafka_dist.jmx_exporter_agent(),)) as running:
        yield running
        print("\nZooKeeper to KRaft migration figures:", MIGRATION_FIGURES)


MIGRATION_FIGURES: dict[str, dict] = {}


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
    # The cluster's namespace in the tests' API server, with the Secrets its certificates Job made.
    secrets = certjob.run_certificate_job(manifests, cluster.api, folder / "users", e2e.java_home,
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
    return {"users": applied, "topics": topics, "secrets": cluster.api.secrets()}


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


# --- the way off ZooKeeper ------------------------------------------------------------------


class Upgrades:
    """The charts of examples/zookeeper-migration at each step, applied to the running cluster."""

    def __init__(self, cluster: podrunner.LocalCluster, work: Path):
        self.cluster, self.work = cluster, work
        self.traffic: Traffic | None = None
        self.failures: list[str] = []

    def manifests(self, step: str) -> list[dict]:
        """The chart of strimzi.io/kraft: `step`; "kraft" is enabled without spec.zookeeper."""
        specs = self.work / f"specs-{step}-{time.monotonic_ns()}"
        shutil.copytree(MIGRATION_SPEC, specs)
        kafka = specs / "kafka.yaml"
        text = kafka.read_text().replace("strimzi.io/kraft: migration",
                                         f"strimzi.io/kraft: {'enabled' if step == 'kraft' else step}")
        if step == "kraft":
            text = text[:text.index("  zookeeper:\n")] + text[text.index("  entityOperator:\n"):]
        kafka.write_text(text)
        chart = compile_example(str(specs), self.work / f"chart-{specs.name}")
        return documents(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], self.cluster.release, NAMESPACE))

    def apply(self, step: str) -> dict:
        """What `helm upgrade` does to the pods; the StatefulSets' pods that started or rolled, by name."""
        started = time.monotonic()
        cluster = self.cluster
        manifests = self.manifests(step)
        cluster.config_maps.update({m["metadata"]["name"]: m for m in manifests if m["kind"] == "ConfigMap"})
        cluster.services.update({m["metadata"]["name"]: m for m in manifests if m["kind"] == "Service"})
        sets = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "StatefulSet"}
        for name in [n for n in cluster.statefulsets if n not in sets]:
            for pod in self.pods_of(name):
                cluster.delete_pod(pod)
                del cluster.pods[pod.name]
            del cluster.statefulsets[name]
        added = [name for name in sets if name not in cluster.statefulsets]
        changed = [name for name in sets if name in cluster.statefulsets
                   and sets[name]["spec"]["template"] != cluster.statefulsets[name]["spec"]["template"]]
        for name in added:
            self._add_pods(sets[name])
        cluster.statefulsets.update(sets)
        cluster.dns = cluster._dns_names()
        new = [pod for name in added for pod in self.pods_of(name)]
        cluster.start(new)
        rolls = [threading.Thread(target=self._roll, args=(sets[name],), daemon=True) for name in changed]
        for roll in rolls:
            roll.start()
        cluster.wait_ready(new, timeout=ROLL_TIMEOUT, restarts=3)
        for roll in rolls:
            roll.join(ROLL_TIMEOUT * 3)
        assert not any(roll.is_alive() for roll in rolls), f"{step}: a roll did not end"
        assert not self.failures, self.failures
        MIGRATION_FIGURES[f"step {len(MIGRATION_FIGURES) + 1}: {step}"] = {
            "seconds": round(time.monotonic() - started), "started": added, "rolled": changed}
        return {"started": added, "rolled": changed}

    def pods_of(self, statefulset: str) -> list[podrunner.Pod]:
        return sorted((p for p in self.cluster.pods.values() if p.statefulset == statefulset),
                      key=lambda p: p.ordinal)

    def _add_pods(self, sts: dict) -> None:
        prefix, _ = next(iter(self.cluster.pods.values())).address.rsplit(".", 1)
        last = max(int(p.address.rsplit(".", 1)[1]) for p in self.cluster.pods.values())
        start = (sts["spec"].get("ordinals") or {}).get("start", 0)
        name = sts["metadata"]["name"]
        for index, ordinal in enumerate(range(start, start + sts["spec"]["replicas"]), start=1):
            self.cluster.pods[f"{name}-{ordinal}"] = podrunner.Pod(
                name=f"{name}-{ordinal}", statefulset=name, ordinal=ordinal, address=f"{prefix}.{last + index}",
                spec=sts["spec"]["template"]["spec"], labels=sts["spec"]["template"]["metadata"].get("labels", {}),
                claim_names=[c["metadata"]["name"] for c in sts["spec"].get("volumeClaimTemplates") or []],
                dir=self.cluster.work_dir / "pods" / f"{name}-{ordinal}")

    def _roll(self, sts: dict) -> None:
        """A StatefulSet's RollingUpdate: each pod from the highest ordinal, the next once it is ready."""
        try:
            for pod in reversed(self.pods_of(sts["metadata"]["name"])):
                self.cluster.delete_pod(pod)
                pod.spec = sts["spec"]["template"]["spec"]
                pod.labels = sts["spec"]["template"]["metadata"].get("labels", {})
                self.cluster.start_container(pod)
                self.cluster.wait_ready([pod], timeout=ROLL_TIMEOUT, restarts=3)
        except Exception as failure:  # reported by apply()
            self.failures.append(f"{sts['metadata']['name']}: {failure}")

    def log_of(self, statefulset: str) -> str:
        """The latest run's output of each pod of the StatefulSet."""
        return "".join(pod.log_text() for pod in self.pods_of(statefulset))

    def wait_for_log(self, statefulset: str, text: str, timeout: float = 300) -> float:
        started = time.monotonic()
        self.cluster.wait_until(lambda: text in self.log_of(statefulset), timeout, f"{statefulset} logs {text!r}")
        return time.monotonic() - started

    def zookeeper_shell(self, *command: str, check: bool = True) -> str:
        """ZooKeeper's shell on a ZooKeeper node's loopback port, as the compile notes show it."""
        done = self.cluster.exec(self.cluster.pods["legacy-zookeeper-0"],
                                 ["/opt/kafka/bin/zookeeper-shell.sh", "localhost:12181", *command],
                                 env={"KAFKA_HEAP_OPTS": "-Xmx64m", "KAFKA_LOG4J_OPTS": ""}, timeout=120)
        assert done.returncode == 0 or not check, f"{command}: {done.stdout}{done.stderr}"
        return done.stdout

    def quorum_replication(self) -> str:
        """kafka-metadata-quorum describe --replication in a controller, with the readiness probe's
        client settings (the node certificate)."""
        pod = self.pods_of("legacy-controller")[0]
        done = self.cluster.exec(pod, ["/opt/kafka/bin/kafka-metadata-quorum.sh", "--bootstrap-controller",
                                       "localhost:9090", "--command-config", "/tmp/kafka/ready-client.properties",
                                       "describe", "--replication"],
                                 env={"KAFKA_HEAP_OPTS": "-Xmx128m", "KAFKA_LOG4J_OPTS": ""}, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def cluster_id(self, pod: podrunner.Pod, node_id: int) -> str:
        meta = self.cluster.host_path(pod, f"/var/lib/kafka/data/kafka-log{node_id}/meta.properties")
        return next(line.split("=", 1)[1] for line in meta.read_text().splitlines() if line.startswith("cluster.id="))


@pytest.fixture(scope="module")
def upgrades(cluster, node_options, tmp_path_factory):
    upgrades = Upgrades(cluster, tmp_path_factory.mktemp("migration"))
    bootstrap = cluster.bootstrap(REPLICATION)
    clients.create_topic(bootstrap, MIGRATION_TOPIC, partitions=3, replication_factor=3,
                         configs={"min.insync.replicas": "2"}, **node_options)
    upgrades.traffic = Traffic(bootstrap, MIGRATION_TOPIC, **node_options)
    yield upgrades
    if upgrades.traffic is not None:
        upgrades.traffic.stop()


def test_before_the_migration_the_brokers_stay_in_zookeeper(upgrades):
    applied = upgrades.apply("disabled")
    assert "legacy-controller" not in applied["started"]
    assert [p.name for p in upgrades.pods_of("legacy-kafka")] == [f"legacy-kafka-{n}" for n in range(3)]


def test_the_migration_copies_the_metadata_to_controllers_of_zookeepers_cluster_id(upgrades):
    applied = upgrades.apply("migration")
    assert applied["started"] == ["legacy-controller"] and "legacy-kafka" in applied["rolled"]
    waited = upgrades.wait_for_log("legacy-controller", MIGRATION_FINISHED)
    MIGRATION_FIGURES["migration finished, after the rolls"] = {"seconds": round(waited)}
    broker_id = upgrades.cluster_id(upgrades.cluster.pods["legacy-kafka-0"], 0)
    for pod in upgrades.pods_of("legacy-controller"):
        assert upgrades.cluster_id(pod, pod.ordinal) == broker_id, pod.name
    assert f"formatting with ZooKeeper's cluster id {broker_id}" in upgrades.log_of("legacy-controller")


def test_the_rollback_from_migration_returns_the_brokers_to_zookeeper(upgrades):
    applied = upgrades.apply("rollback")
    assert "legacy-controller" not in upgrades.cluster.statefulsets and applied["rolled"] == []
    upgrades.zookeeper_shell("deleteall", "/controller")
    upgrades.zookeeper_shell("deleteall", "/migration")
    applied = upgrades.apply("disabled")
    assert applied["rolled"] == ["legacy-kafka"]
    upgrades.cluster.wait_until(lambda: '"brokerid"' in upgrades.zookeeper_shell("get", "/controller", check=False), 120,
                                "a broker is ZooKeeper's controller again")
    # The controllers' claims go before the next migration, as the notes say.
    for ordinal in (3, 4, 5):
        shutil.rmtree(topicjob._claims_dir(upgrades.cluster) / f"data-legacy-controller-{ordinal}",
                      ignore_errors=True)


def test_migration_then_enabled_move_the_brokers_and_then_the_controllers_off_zookeeper(upgrades):
    upgrades.apply("migration")
    waited = upgrades.wait_for_log("legacy-controller", MIGRATION_FINISHED)
    MIGRATION_FIGURES["migration (again) finished, after the rolls"] = {"seconds": round(waited)}
    applied = upgrades.apply("enabled")
    assert sorted(applied["rolled"]) == ["legacy-controller", "legacy-kafka"]
    observers = sorted(int(line.split()[0]) for line in upgrades.quorum_replication().splitlines()
                       if line.split() and line.split()[-1] == "Observer")
    assert observers == [0, 1, 2]
    for pod in upgrades.pods_of("legacy-controller"):
        properties = upgrades.cluster.host_path(pod, "/tmp/kafka/server.properties").read_text()
        assert "zookeeper.metadata.migration.enable" not in properties, pod.name


def test_without_spec_zookeeper_the_ensemble_goes_and_no_acknowledged_record_was_lost(upgrades, node_options):
    upgrades.apply("kraft")
    assert "legacy-zookeeper" not in upgrades.cluster.statefulsets
    traffic = upgrades.traffic
    time.sleep(5)
    traffic.stop()
    upgrades.traffic = None
    stored = set(clients.consume_all(upgrades.cluster.bootstrap(REPLICATION), MIGRATION_TOPIC, timeout=300,
                                     **node_options))
    lost = traffic.acked - stored
    MIGRATION_FIGURES["records"] = {"produced (acknowledged)": len(traffic.acked), "lost": len(lost),
                                    "send failures": traffic.failed}
    assert traffic.acked and not lost, f"{len(lost)} of {len(traffic.acked)} acknowledged records lost"
