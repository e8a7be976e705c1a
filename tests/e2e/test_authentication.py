"""Listener authentication and ACL authorization, run for real (authentication-spec/).

Three nodes, each controller and broker; the certificates Job's scripts make
the cluster CA, the clients CA and the node certificate. A `tls` listener
(9093) takes only certificates the clients CA signed, a `scram` listener
(9094) only SCRAM-SHA-512 logins, and Kafka's StandardAuthorizer denies
whatever no ACL allows, except to super users: the nodes' own identity and
the spec's superUsers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from . import clients, kafka_tools, tls
from .conftest import NAMESPACE, boot

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "authentication-spec"
CONTROLPLANE, REPLICATION, TLS, SCRAM = 9090, 9091, 9093, 9094
CLUSTER_CA_CERT = "secured-cluster-ca-cert"
CLIENTS_CA = "secured-clients-ca"
NODE_SECRET = "secured-kafka-node-certs"
TOPIC = "guarded"
TOPIC_AUTHORIZATION_FAILED = 29


@pytest.fixture(scope="module")
def cluster(e2e, tmp_path_factory):
    with boot(str(SPEC), e2e, tmp_path_factory.mktemp("authentication"), address_block=7) as running:
        yield running


def fqdn(pod) -> str:
    return f"{pod.name}.secured-kafka-brokers.{NAMESPACE}.svc"


def openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"openssl {' '.join(args)}:\n{done.stderr}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clients")


@pytest.fixture(scope="module")
def cluster_ca(cluster, folder) -> Path:
    """ca.crt of the cluster CA: what the brokers' certificate on every listener is checked against."""
    path = folder / "cluster-ca.crt"
    path.write_bytes(cluster.secrets[CLUSTER_CA_CERT]["ca.crt"])
    return path


@pytest.fixture(scope="module")
def node_pem(cluster, folder) -> Path:
    """The node certificate and key: the identity the chart's Jobs use, a super user."""
    node = cluster.secrets[NODE_SECRET]
    return tls.pkcs12_to_pem(node["node.p12"], node["node.password"], folder / "node")


def client_certificate(cluster, folder: Path, common_name: str) -> Path:
    """A client key and certificate signed with the clients CA's key from the Job's Secret,
    as the users Job issues them; one PEM file with both."""
    work = folder / common_name
    work.mkdir()
    ca = cluster.secrets[CLIENTS_CA]
    (work / "ca.p12").write_bytes(ca["ca.p12"])
    (work / "ca.password").write_bytes(ca["ca.password"])
    openssl("pkcs12", "-in", "ca.p12", "-passin", "file:ca.password", "-nodes", "-nocerts", "-out", "ca.key",
            cwd=work)
    openssl("pkcs12", "-in", "ca.p12", "-passin", "file:ca.password", "-nokeys", "-out", "ca.crt", cwd=work)
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-subj", f"/CN={common_name}",
            "-out", "client.csr", cwd=work)
    (work / "ext.cnf").write_text("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-extfile", "ext.cnf", "-out", "client.crt", cwd=work)
    pem = work / "client.pem"
    pem.write_bytes((work / "client.crt").read_bytes() + (work / "client.key").read_bytes())
    return pem


def tls_options(ca: Path, pem: Path) -> dict:
    return {"security_protocol": "SSL", "ssl_cafile": str(ca), "ssl_certfile": str(pem),
            "ssl_check_hostname": True}


def scram_options(user: str, password: str) -> dict:
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user, "sasl_plain_password": password}


def topic_error(bootstrap: str, **config) -> int:
    """The error code of describing TOPIC: 0, or 29 when the principal may not see it."""
    admin = clients.admin(bootstrap, **config)
    try:
        (described,) = admin.describe_topics([TOPIC])
        return described["error_code"]
    finally:
        admin.close()


@pytest.fixture(scope="module")
def guarded_topic(cluster, cluster_ca, node_pem):
    """A topic made, written and read by the node identity over the replication listener."""
    options = tls_options(cluster_ca, node_pem)
    bootstrap = ",".join(f"{fqdn(pod)}:{REPLICATION}" for pod in cluster.brokers)
    clients.create_topic(bootstrap, TOPIC, partitions=3, replication_factor=3, **options)
    sent = [f"guarded-{i}".encode() for i in range(20)]
    clients.produce(bootstrap, TOPIC, sent, **options)
    assert sorted(clients.consume_all(bootstrap, TOPIC, **options)) == sorted(sent)
    return TOPIC


def test_the_cluster_forms_with_authorization_on_and_the_node_identity_is_a_super_user(cluster, guarded_topic):
    for config_map in cluster.config_maps.values():
        text = config_map["data"].get("server.properties")
        if text is None:
            continue
        lines = text.splitlines()
        assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in lines
        assert "super.users=User:CN=secured-kafka,O=io.strimzi;User:CN=admin;User:root" in lines
        assert "allow.everyone.if.no.acl.found=false" in lines
    # Replicated over the TLS replication listener: every replica in sync.
    described = kafka_tools.as_node(cluster, "secured", "kafka-topics.sh", "--describe", "--topic", guarded_topic)
    isr = [line.split("Isr:")[1].split()[0] for line in described.splitlines() if "Isr:" in line]
    assert len(isr) == 3 and all(len(entry.split(",")) == 3 for entry in isr), described


def test_a_client_without_a_certificate_is_refused_on_the_tls_listener(cluster, cluster_ca):
    broker = cluster.brokers[0]
    answer = tls.tls_request((fqdn(broker), TLS), fqdn(broker), cluster_ca)
    assert not answer.served, answer


def test_plaintext_is_refused_on_the_tls_port(cluster):
    broker = cluster.brokers[0]
    answer = tls.plaintext_request((fqdn(broker), TLS))
    assert not answer.served, answer


def test_the_node_certificate_is_no_client_identity_on_the_tls_listener(cluster, cluster_ca, node_pem):
    """The listener trusts the clients CA only: a certificate of the cluster CA is refused."""
    broker = cluster.brokers[0]
    answer = tls.tls_request((fqdn(broker), TLS), fqdn(broker), cluster_ca, client_pem=node_pem)
    assert not answer.served, answer


def test_a_clients_ca_certificate_authenticates_and_acls_decide(cluster, cluster_ca, folder, guarded_topic):
    pem = client_certificate(cluster, folder, "reader")
    broker = cluster.brokers[0]
    assert tls.tls_request((fqdn(broker), TLS), fqdn(broker), cluster_ca, client_pem=pem).served
    bootstrap = cluster.bootstrap(TLS)
    assert topic_error(bootstrap, **tls_options(cluster_ca, pem)) == TOPIC_AUTHORIZATION_FAILED
    # Its principal is its subject, as Kafka writes it: an ACL for User:CN=reader lets it in.
    kafka_tools.as_node(cluster, "secured", "kafka-acls.sh", "--add", "--allow-principal", "User:CN=reader",
                        "--operation", "Read", "--operation", "Describe", "--topic", guarded_topic)
    assert topic_error(bootstrap, **tls_options(cluster_ca, pem)) == 0
    # A super user of the spec needs no ACL.
    admin = client_certificate(cluster, folder, "admin")
    assert topic_error(bootstrap, **tls_options(cluster_ca, admin)) == 0


def test_the_scram_listener_refuses_clients_without_valid_credentials(cluster, guarded_topic):
    broker = cluster.brokers[0]
    bootstrap = cluster.bootstrap(SCRAM)
    kafka_tools.as_node(cluster, "secured", "kafka-configs.sh", "--alter", "--entity-type", "users",
                        "--entity-name", "writer",
                        "--add-config", "SCRAM-SHA-512=[iterations=4096,password=writer-secret]")
    # No SASL at all: the broker answers ApiVersions, then closes on anything but a SASL handshake.
    with pytest.raises(Exception):
        topic_error(bootstrap, security_protocol="PLAINTEXT", api_version=(3, 0))
    with pytest.raises(Exception) as wrong:
        topic_error(bootstrap, **scram_options("writer", "not-the-password"))
    print(f"{broker.name}:{SCRAM} with a wrong password: {wrong.value!r}")
    assert topic_error(bootstrap, **scram_options("writer", "writer-secret")) == TOPIC_AUTHORIZATION_FAILED
    # A SCRAM principal is User:<name>.
    kafka_tools.as_node(cluster, "secured", "kafka-acls.sh", "--add", "--allow-principal", "User:writer",
                        "--operation", "Describe", "--topic", guarded_topic)
    assert topic_error(bootstrap, **scram_options("writer", "writer-secret")) == 0
