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

Kafka Exporter is not run: no image registry is reachable from here, and the Go
module proxy refuses its module (github.com/danielqsj/kafka_exporter), so its
binary cannot be had. Its identity is proven with the real brokers instead:
Kafka's own kafka-consumer-groups.sh, inside a broker pod, connects where the
rendered Deployment's `--kafka.server` points, with the TLS files its `--tls.*`
arguments name (from the Secrets the certificates Job's own scripts made), and
lists and describes consumer groups as Kafka Exporter does.

JMX (jmxOptions with password authentication) is proven with a real JMX client
(jmx-client/JmxClient.java, run by the image's Java as a single-file program) in a
broker pod: every node answers with the user name and password of the Secret the
certificates Job made, read-only, and refuses without them or with another password.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.verify import render

from ..util import documents
from .. import kafka_dist
from . import certjob, certs, clients, kafka_tools, tls, topicjob
from .conftest import NAMESPACE, boot

pytestmark = pytest.mark.e2e

REPLICATION = 9091
NODE_SECRET, CLUSTER_CA_SECRET = "prod-kafka-node-certs", "prod-cluster-ca-cert"
EXPORTER = "prod-kafka-exporter"
EXPORTER_SECRET = "prod-kafka-exporter-certs"
JMX_SECRET, JMX_PORT = "prod-kafka-jmx", 9999
JMX_CLIENT = Path(__file__).resolve().parent / "jmx-client" / "JmxClient.java"
EXPORTER_SUBJECT = "/O=io.strimzi/CN=prod-kafka-exporter"  # openssl's form of CN=prod-kafka-exporter, O=io.strimzi
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
    manifests = documents(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], cluster.release, NAMESPACE))
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


# --- Kafka Exporter's identity -----------------------------------------------------------

LAG_TOPIC, LAG_GROUP = "exporter.lag-probe", "lag-probe"
TOOL_CONFIG = "/tmp/kafkac-e2e-exporter.properties"


def exporter_container(cluster) -> dict:
    (deployment,) = [o for o in cluster.objects if o.get("kind") == "Deployment"
                     and o["metadata"]["name"] == EXPORTER]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return deployment["spec"]["template"]["spec"], container


def exporter_option(container: dict, name: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in container["args"] if a.startswith(f"--{name}=")]
    return value


def mounted_secret_key(pod_spec: dict, container: dict, path: str) -> tuple[str, str]:
    """The Secret and key that the file at `path` in the container comes from."""
    secrets = {v["name"]: v["secret"] for v in pod_spec["volumes"] if "secret" in v}
    for mount in container["volumeMounts"]:
        if mount["name"] in secrets and mount.get("readOnly"):
            for item in secrets[mount["name"]]["items"]:
                if f"{mount['mountPath']}/{item['path']}" == path:
                    return secrets[mount["name"]]["secretName"], item["key"]
    raise AssertionError(f"{path} is on no read-only Secret volume of {EXPORTER}")


def exporter_files(cluster) -> dict[str, bytes]:
    """What Kafka Exporter would read for each --tls.* file option, from the Job's Secrets."""
    pod_spec, container = exporter_container(cluster)
    files = {}
    for option in ("tls.ca-file", "tls.cert-file", "tls.key-file"):
        secret, key = mounted_secret_key(pod_spec, container, exporter_option(container, option))
        assert secret in cluster.secrets, f"{option}: Secret {secret} was not made by the certificates Job"
        files[option] = cluster.secrets[secret][key]
    return files


def properties_value(text: bytes) -> str:
    """A value of a Java properties file holding a multi-line PEM text (newlines as \n)."""
    return text.decode().strip().replace("\\", "\\\\").replace("\n", "\\n")


def consumer_groups(cluster, certificate: bytes, key: bytes, ca: bytes, *args: str):
    """kafka-consumer-groups.sh in the first broker pod, as a client holding `certificate` and
    `key` and trusting `ca`, against the address Kafka Exporter's --kafka.server names."""
    _, container = exporter_container(cluster)
    pod = cluster.brokers[0]
    config = cluster.host_path(pod, TOOL_CONFIG)
    config.write_text("security.protocol=SSL\n"
                      "ssl.keystore.type=PEM\n"
                      f"ssl.keystore.certificate.chain={properties_value(certificate)}\n"
                      f"ssl.keystore.key={properties_value(key)}\n"
                      "ssl.truststore.type=PEM\n"
                      f"ssl.truststore.certificates={properties_value(ca)}\n")
    os.chmod(config, 0o644)
    command = ["/opt/kafka/bin/kafka-consumer-groups.sh",
               "--bootstrap-server", exporter_option(container, "kafka.server"),
               "--command-config", TOOL_CONFIG, "--timeout", "30000", *args]
    return cluster.exec(pod, command, timeout=180, env=kafka_tools.TOOL_ENV)


@pytest.fixture(scope="module")
def lagging_group(production, admin):
    """A topic with records, and a consumer group that committed offset 1 of each partition."""
    cluster, _ = production
    bootstrap, options = admin
    clients.create_topic(bootstrap, LAG_TOPIC, 3, 3, **options)
    clients.produce(bootstrap, LAG_TOPIC, [f"record-{i}".encode() for i in range(30)], **options)
    clients.commit_offsets(bootstrap, LAG_GROUP, LAG_TOPIC, {p: 1 for p in range(3)}, **options)
    return LAG_TOPIC, LAG_GROUP


def test_every_tls_file_of_kafka_exporter_is_a_key_the_certificates_job_made(production):
    cluster, _ = production
    files = exporter_files(cluster)
    assert files["tls.ca-file"] == cluster.secrets[CLUSTER_CA_SECRET]["ca.crt"]
    assert files["tls.key-file"].startswith(b"-----BEGIN PRIVATE KEY-----\n"), "an unencrypted PKCS#8 key"
    work = certjob.shared_folder("kafkac-e2e-exporter-")
    try:
        for name, option in (("ca.crt", "tls.ca-file"), ("exporter.crt", "tls.cert-file"),
                             ("exporter.key", "tls.key-file")):
            (work / name).write_bytes(files[option])
        described = subprocess.run(
            ["openssl", "x509", "-in", "exporter.crt", "-noout", "-subject", "-ext", "extendedKeyUsage",
             "-nameopt", "RFC2253"], cwd=work, capture_output=True, text=True, check=True).stdout
        assert "subject=CN=prod-kafka-exporter,O=io.strimzi" in described, described
        assert "TLS Web Client Authentication" in described, described
        verified = subprocess.run(["openssl", "verify", "-CAfile", "ca.crt", "exporter.crt"], cwd=work,
                                  capture_output=True, text=True)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        public_keys = [subprocess.run(command, cwd=work, capture_output=True, check=True).stdout for command in (
            ["openssl", "x509", "-in", "exporter.crt", "-noout", "-pubkey"],
            ["openssl", "pkey", "-in", "exporter.key", "-pubout"])]
        assert public_keys[0] == public_keys[1], "the key is not the certificate's"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_kafka_exporter_identity_lists_and_describes_consumer_groups(production, lagging_group):
    """Under simple authorization a client sees only the groups it may describe: the group
    listed and its lag described show that the brokers take the certificate as the super
    user User:CN=prod-kafka-exporter,O=io.strimzi."""
    cluster, _ = production
    topic, group = lagging_group
    files = exporter_files(cluster)
    identity = (files["tls.cert-file"], files["tls.key-file"], files["tls.ca-file"])
    listed = consumer_groups(cluster, *identity, "--list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert group in listed.stdout.split(), listed.stdout
    described = consumer_groups(cluster, *identity, "--describe", "--group", group)
    assert described.returncode == 0, described.stdout + described.stderr
    rows = [line.split() for line in described.stdout.splitlines() if line.split()[:2] == [group, topic]]
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert sorted(int(row[2]) for row in rows) == [0, 1, 2], described.stdout
    assert all(int(row[3]) == 1 and int(row[5]) == int(row[4]) - 1 for row in rows), described.stdout
    assert sum(int(row[4]) for row in rows) == 30, described.stdout


def test_a_certificate_of_another_ca_is_refused(production, lagging_group, tmp_path):
    """The same subject, signed by a CA the brokers do not trust: no handshake, no groups."""
    cluster, _ = production
    _, group = lagging_group
    certificate, key = certs.client_certificate(tmp_path / "other-ca", EXPORTER_SUBJECT)
    refused = consumer_groups(cluster, certificate, key, exporter_files(cluster)["tls.ca-file"], "--list")
    output = refused.stdout + refused.stderr
    # The tool reports the failure and still exits 0: what it says is what counts.
    assert group not in refused.stdout.split(), output
    assert "Error: Executing consumer group command failed" in output, output
    assert "SSLHandshakeException: Received fatal alert: bad_certificate" in output, output


def test_the_certificates_job_over_its_own_secrets_writes_nothing(production):
    """The Kafka Exporter certificate is kept, as the others are, when the Job runs again."""
    cluster, chart = production
    folder = certjob.shared_folder("kafkac-e2e-exporter-job-")
    try:
        manifests = documents(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], cluster.release, NAMESPACE))
        # The cluster's namespace, where boot() ran the Job on install: it made the exporter's Secret.
        api = cluster.api
        assert f"create secret {NAMESPACE}/{EXPORTER_SECRET}" in api.writes()
        assert set(api.secrets()[EXPORTER_SECRET]) == {"kafka-exporter.crt", "kafka-exporter.key"}
        assert api.secrets()[EXPORTER_SECRET] == cluster.secrets[EXPORTER_SECRET]
        before, writes = api.versions(), api.writes()
        again = certjob.run_certificate_job(manifests, api, folder / "work", kafka_dist.java_home())
        assert "Kafka Exporter certificate: kept" in again.output("issue"), again.log
        assert f"JMX credentials: kept (Secret {JMX_SECRET} exists)" in again.output("issue"), again.log
        assert "nothing to write" in again.output("store"), again.log
        assert api.versions() == before and api.writes() == writes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- JMX ------------------------------------------------------------------------------------

def jmx_client(cluster, target, credentials: tuple[str, str] | None) -> subprocess.CompletedProcess:
    """JmxClient.java in the first broker pod, against `target`'s JMX port by its DNS name."""
    pod = cluster.brokers[0]
    source = cluster.host_path(pod, "/tmp/JmxClient.java")
    source.write_text(JMX_CLIENT.read_text())
    os.chmod(source, 0o644)
    env = {"JMX_USERNAME": credentials[0], "JMX_PASSWORD": credentials[1]} if credentials else {}
    host = f"{target.name}.prod-kafka-brokers.{NAMESPACE}.svc"
    return cluster.exec(pod, ["java", "-Xmx128m", "/tmp/JmxClient.java", host, str(JMX_PORT)],
                        timeout=180, env=env)


def test_every_node_answers_jmx_with_the_secrets_credentials_read_only(production):
    cluster, _ = production
    secret = cluster.secrets[JMX_SECRET]
    credentials = (secret["jmx-username"].decode(), secret["jmx-password"].decode())
    assert len(set(credentials)) == 2 and all(len(word) == 32 for word in credentials)
    for target in (cluster.controllers[0], cluster.brokers[-1]):
        done = jmx_client(cluster, target, credentials)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert int(lines[0].removeprefix("kafka.server MBeans: ")) > 0, done.stdout
        assert lines[1] == "write: refused", done.stdout  # the user's access is readonly, as Strimzi's
    # The files the JVM reads hold the credentials in the pod's scratch space, for its user alone.
    for name in ("jmx.access", "jmx.password"):
        assert os.stat(cluster.host_path(cluster.brokers[-1], f"/tmp/kafka/{name}")).st_mode & 0o077 == 0


def test_jmx_refuses_a_client_without_the_secrets_password(production):
    cluster, _ = production
    user = cluster.secrets[JMX_SECRET]["jmx-username"].decode()
    target = cluster.brokers[-1]
    for credentials, reason in ((None, "Credentials required"), ((user, "not-the-password"), "Invalid username")):
        done = jmx_client(cluster, target, credentials)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "connection refused: Authentication failed!" in done.stdout and reason in done.stdout, done.stdout
