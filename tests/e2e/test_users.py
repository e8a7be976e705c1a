"""The users Job of a compiled chart, run for real.

First without Kafka: the chart of examples/secure is rendered by the real
`helm template`; its certificates Job makes the clients CA, then the users
Job's fetch, issue and store steps run as rendered (certjob.py: this machine's
openssl, the real kubectl against the tests' API server, with the Job's own
ServiceAccount; its audit log tells what the Job wrote), in a namespace of
their own.
openssl, a tool the Job does not use, reads back what it made.

Then with Kafka (users-spec/: three nodes, a tls and a scram listener, ACL
authorization, a prefix to the users' Secret names): the same three steps make the Secrets, and the apply step runs
in a pod of the running cluster (topicjob.py) with the Kafka tools. Each run is
one pod: the apply step finds in its emptyDir what the issue step left. What
the Job did is checked with clients logging in with the Secrets it made, and
with Kafka's own tools as a super user; a TLS user's renewed certificate, too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest


from ..kube.api_namespace import ApiNamespace
from ..util import manifests_of
from . import certjob, clients, kafka_tools, tls, topicjob
from .conftest import NAMESPACE, boot, compile_example

pytestmark = pytest.mark.e2e

SECRET_STEPS = ("fetch", "issue", "store")
CLIENTS_CA_CERT = "secure-clients-ca-cert"
# The Job runs without Kafka in a namespace of its own, apart from the cluster booted below.
SECRETS_NAMESPACE = "users-secrets"


@pytest.fixture(scope="module")
def manifests(e2e, tmp_path_factory) -> list[dict]:
    chart = compile_example("secure", tmp_path_factory.mktemp("users") / "chart")
    return manifests_of(chart, namespace=SECRETS_NAMESPACE)


class Store:
    """One namespace's Secrets, and the Jobs run against them as installs and upgrades would."""

    def __init__(self, manifests: list[dict], java_home: Path, api: ApiNamespace):
        self.manifests, self.java_home, self.api = manifests, java_home, api
        self.folder = certjob.shared_folder("kafkac-e2e-users-")
        self.runs = 0

    def certificates(self) -> certjob.JobRun:
        self.runs += 1
        return certjob.run_certificate_job(self.manifests, self.api, self.folder / f"run-{self.runs}",
                                           self.java_home)

    def users(self, check: bool = True) -> certjob.JobRun:
        self.runs += 1
        return certjob.run_certificate_job(self.manifests, self.api, self.folder / f"run-{self.runs}",
                                           self.java_home, job_suffix="-kafka-users", steps=SECRET_STEPS,
                                           check=check)

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return self.api.secrets()

    def writes(self) -> list[str]:
        """The Jobs' writes in the namespace so far, "<verb> secret <namespace>/<name>" (audit log)."""
        return self.api.writes()


@pytest.fixture(scope="module")
def store(manifests, e2e) -> Store:
    with ApiNamespace.created(e2e.plane, SECRETS_NAMESPACE) as api:
        store = Store(manifests, e2e.java_home, api)
        store.certificates()
        yield store
        shutil.rmtree(store.folder, ignore_errors=True)


def openssl(*args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def not_after(pem: bytes) -> datetime:
    line = openssl("x509", "-noout", "-enddate", data=pem).strip()
    return datetime.strptime(line.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)


def assert_tls_user_secret(secret: dict[str, bytes], user: str, folder: Path) -> None:
    """Strimzi's keys of a TLS user: a certificate CN=<user> that verifies against ca.crt, its key
    as PKCS#8 PEM, and a key store that opens with user.password and holds key and chain."""
    folder.mkdir(parents=True, exist_ok=True)
    assert secret["user.key"].startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert openssl("pkey", "-pubout", data=secret["user.key"]) == \
        openssl("x509", "-noout", "-pubkey", data=secret["user.crt"])
    for key in ("ca.crt", "user.crt", "user.p12"):
        (folder / key).write_bytes(secret[key])
    assert "user.crt: OK" in openssl("verify", "-CAfile", str(folder / "ca.crt"), str(folder / "user.crt"))
    subject = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", str(folder / "user.crt"))
    assert subject.strip() == f"subject=CN={user}"
    dump = openssl("pkcs12", "-in", str(folder / "user.p12"), "-nodes", "-passin", "stdin",
                   data=secret["user.password"])
    assert "PRIVATE KEY" in dump and dump.count("BEGIN CERTIFICATE") == 2


def test_the_first_run_creates_each_users_secret_with_strimzis_keys(store, tmp_path):
    run = store.users()
    secrets = store.secrets()

    scram = secrets["orders-app"]
    assert set(scram) == {"password", "sasl.jaas.config"}
    password = scram["password"].decode()
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password)
    assert scram["sasl.jaas.config"].decode() == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="orders-app" password="{password}";')
    assert password not in run.log

    tls = secrets["billing"]
    assert set(tls) == {"ca.crt", "user.crt", "user.key", "user.p12", "user.password"}
    assert tls["ca.crt"] == secrets[CLIENTS_CA_CERT]["ca.crt"]
    assert_tls_user_secret(tls, "billing", tmp_path)
    assert not_after(tls["user.crt"]) - datetime.now(timezone.utc) > timedelta(days=364)

    manifest = store.api.get("secret", "orders-app")
    assert manifest["metadata"]["labels"]["strimzi.io/kind"] == "KafkaUser"
    assert manifest["metadata"]["labels"]["strimzi.io/cluster"] == "secure"
    assert manifest["metadata"]["labels"]["app"] == "orders"
    assert "creating Secret orders-app with a new random password" in run.output("issue")


def test_a_second_run_changes_nothing_and_says_so(store):
    before, done = store.api.versions(), store.writes()
    run = store.users()
    assert store.api.versions() == before and store.writes() == done
    assert "user orders-app: Secret orders-app kept" in run.output("issue")
    assert "user billing: Secret billing kept" in run.output("issue")
    assert "nothing to write" in run.output("store")


def test_a_deleted_secret_is_made_again_and_the_others_kept(store):
    billing = store.secrets()["billing"]
    store.api.delete("secret", "orders-app")
    done = store.writes()
    run = store.users()
    assert store.writes()[len(done):] == [f"create secret {SECRETS_NAMESPACE}/orders-app"], run.log
    secrets = store.secrets()
    assert secrets["billing"] == billing
    assert re.fullmatch(r"[A-Za-z0-9]{32}", secrets["orders-app"]["password"].decode())
    assert "creating Secret orders-app" in run.output("issue")


def test_a_force_renew_annotation_reissues_a_tls_users_certificate_once(store, tmp_path):
    before = store.secrets()
    store.api.annotate("secret", "billing", "kafkac.io/force-renew", "true")
    done = store.writes()
    run = store.users()
    assert "user billing: re-issuing its certificate (a new key, CN=billing, valid 365 days, signed by the " \
           "clients CA), because Secret billing has the annotation kafkac.io/force-renew=true" in run.output("issue")
    assert store.writes()[len(done):] == [f"update secret {SECRETS_NAMESPACE}/billing"], run.log
    assert "Secret billing was updated" in run.output("store")
    after = store.secrets()
    assert after["orders-app"] == before["orders-app"]
    for key in ("user.crt", "user.key", "user.p12", "user.password"):
        assert after["billing"][key] != before["billing"][key], key
    assert after["billing"]["ca.crt"] == before["billing"]["ca.crt"]
    assert_tls_user_secret(after["billing"], "billing", tmp_path)
    manifest = store.api.get("secret", "billing")
    assert "kafkac.io/force-renew" not in (manifest["metadata"].get("annotations") or {})
    assert manifest["metadata"]["labels"]["strimzi.io/kind"] == "KafkaUser"

    # Renewed, the Secret is current: the next run writes nothing.
    unchanged, done = store.api.versions(), store.writes()
    run = store.users()
    assert store.api.versions() == unchanged and store.writes() == done
    assert "nothing to write" in run.output("store")


def test_a_renewed_clients_ca_certificate_replaces_only_ca_crt(store, tmp_path):
    """The clients CA certificate renewed for the same key (certs-issue.sh): the user's certificate
    still verifies, so the user keeps its key and certificate and gets the new ca.crt."""
    before = store.secrets()
    store.api.annotate("secret", CLIENTS_CA_CERT, "kafkac.io/force-renew", "true")
    store.certificates()
    renewed = store.secrets()[CLIENTS_CA_CERT]["ca.crt"]
    assert renewed != before[CLIENTS_CA_CERT]["ca.crt"]
    done = store.writes()
    run = store.users()
    assert "user billing: updating ca.crt in Secret billing to the current clients CA certificate" \
        in run.output("issue")
    assert store.writes()[len(done):] == [f"update secret {SECRETS_NAMESPACE}/billing"], run.log
    after = store.secrets()
    assert after["billing"]["ca.crt"] == renewed
    assert {k: v for k, v in after["billing"].items() if k != "ca.crt"} == \
        {k: v for k, v in before["billing"].items() if k != "ca.crt"}
    assert after["orders-app"] == before["orders-app"]
    assert_tls_user_secret(after["billing"], "billing", tmp_path)

    unchanged, done = store.api.versions(), store.writes()
    store.users()
    assert store.api.versions() == unchanged and store.writes() == done


def test_a_certificate_of_another_clients_ca_or_a_secret_without_a_key_is_reissued(store, tmp_path):
    # A new clients CA (a new key): its two Secrets deleted, the certificates Job makes them again.
    before = store.secrets()
    store.api.delete("secret", CLIENTS_CA_CERT, CLIENTS_CA_CERT.removesuffix("-cert"))
    store.certificates()
    new_ca = store.secrets()[CLIENTS_CA_CERT]["ca.crt"]
    assert openssl("x509", "-noout", "-pubkey", data=new_ca) != \
        openssl("x509", "-noout", "-pubkey", data=before[CLIENTS_CA_CERT]["ca.crt"])
    run = store.users()
    assert "user billing: re-issuing its certificate (a new key, CN=billing, valid 365 days, signed by the " \
           "clients CA), because its certificate is not signed by the clients CA" in run.output("issue")
    after = store.secrets()
    assert after["billing"]["ca.crt"] == new_ca and after["billing"]["user.crt"] != before["billing"]["user.crt"]
    assert_tls_user_secret(after["billing"], "billing", tmp_path / "new-ca")
    assert after["orders-app"] == before["orders-app"]

    # A Secret without user.key (as an older chart made them).
    store.api.patch("secret", "billing", {"data": {"user.key": None}})
    assert "user.key" not in store.secrets()["billing"]
    run = store.users()
    assert "because Secret billing has no key user.key" in run.output("issue")
    assert_tls_user_secret(store.secrets()["billing"], "billing", tmp_path / "no-key")


# --- with Kafka ------------------------------------------------------------------------------

SPEC = Path(__file__).resolve().parent / "users-spec"
TLS, SCRAM = 9093, 9094
CLUSTER_CA_CERT = "users-cluster-ca-cert"
ALLOWED, OTHER = "allowed", "other"
TOPIC_AUTHORIZATION_FAILED = 29
REMOVED_QUOTA = "    consumerByteRate: 2097152\n"
REMOVED_ACL = "      - resource: {type: topic, name: audit}\n        operations: [Describe]\n"
TLS_AUTHENTICATION = "    type: tls\n"
SHORT_VALIDITY = "    validityDays: 20\n    renewalDays: 10\n"
# users-spec's Kafka has userOperator.secretPrefix "kafka-": the users' Secrets carry it, their
# names in Kafka do not.
WRITER_SECRET, READER_SECRET = "kafka-writer", "kafka-reader"


class Deployment:
    """The booted cluster, its Secrets as the API server keeps them (the cluster's namespace,
    where the certificates Job made them), and the users Job's runs."""

    def __init__(self, cluster, work: Path, java_home: Path):
        self.cluster, self.work, self.java_home = cluster, work, java_home
        self.namespace: ApiNamespace = cluster.api
        self.specs = work / "specs"
        shutil.copytree(SPEC, self.specs)
        self.folder = certjob.shared_folder("kafkac-e2e-users-kafka-")
        self.runs = 0
        self.manifests = self._render()
        self.api = topicjob.api_server(cluster, self.manifests, "-kafka-users")
        self.api.apply(self.manifests)

    def _render(self) -> list[dict]:
        chart = compile_example(str(self.specs), self.work / f"chart-{self.runs}")
        return manifests_of(chart)

    def upgrade(self, old: str, new: str) -> None:
        """Change users.yaml (one exact piece of text), recompile, apply the chart's ConfigMaps."""
        users = self.specs / "users.yaml"
        text = users.read_text()
        assert text.count(old) == 1, old
        users.write_text(text.replace(old, new))
        self.manifests = self._render()
        self.api.apply(self.manifests)

    def run_job(self) -> dict[str, str]:
        """One run of the Job's pod: its steps' output by step name; every step must succeed."""
        self.runs += 1
        work = self.folder / f"run-{self.runs}"
        secrets = certjob.run_certificate_job(self.manifests, self.namespace, work, self.java_home,
                                              job_suffix="-kafka-users", steps=SECRET_STEPS)
        applied = topicjob.run_topics_job(self.cluster, self.manifests, self.api, job_suffix="-kafka-users",
                                          steps=("apply",),
                                          empty_dir_seeds={"work": work / "volumes" / "work"})
        assert applied.exit_code == 0, f"{secrets.log}\n{applied.log}"
        return {**{s.name: s.output for s in secrets.steps}, "apply": applied.output("apply")}

    def secret(self, name: str) -> dict[str, bytes]:
        return self.namespace.secrets()[name]

    def node_tool(self, tool: str, *args: str) -> str:
        """A Kafka tool inside the first broker as the node (a super user)."""
        return kafka_tools.as_node(self.cluster, "users", tool, *args)


@pytest.fixture(scope="module")
def deployment(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("users-kafka")
    with boot(str(SPEC), e2e, work, address_block=9) as cluster:
        yield Deployment(cluster, work, e2e.java_home)


@pytest.fixture(scope="module")
def first_run(deployment) -> dict[str, str]:
    for topic in (ALLOWED, OTHER):
        deployment.node_tool("kafka-topics.sh", "--create", "--topic", topic, "--partitions", "3",
                             "--replication-factor", "3")
    return deployment.run_job()


def scram_options(user: str, password: str) -> dict:
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user, "sasl_plain_password": password}


def topic_error(bootstrap: str, topic: str, **config) -> int:
    """The error code of describing `topic`: 0, or 29 when the principal may not see it."""
    admin = clients.admin(bootstrap, **config)
    try:
        (described,) = admin.describe_topics([topic])
        return described["error_code"]
    finally:
        admin.close()


def test_the_first_run_registers_the_users_acls_and_quotas(deployment, first_run):
    report = first_run["apply"]
    assert "kafkac-users: user writer: registered its SCRAM-SHA-512 credentials" in report
    assert "kafkac-users: ACL added for User:writer: ALLOW WRITE on TOPIC allowed (LITERAL), host *" in report
    assert "kafkac-users: ACL added for User:CN=reader: ALLOW READ on TOPIC allowed (LITERAL), host *" in report
    secret = deployment.secret(WRITER_SECRET)
    password = secret["password"].decode()
    assert password not in "\n".join(first_run.values())
    assert b'ScramLoginModule required username="writer" ' in secret["sasl.jaas.config"]
    assert "kafkac-users: user writer: creating Secret kafka-writer with a new random password" in first_run["issue"]
    acls = deployment.node_tool("kafka-acls.sh", "--list", "--principal", "User:writer")
    assert "operation=WRITE" in acls and "name=writer-, patternType=PREFIXED" in acls


def test_the_scram_user_writes_and_reads_its_topic_and_nothing_else(deployment, first_run):
    password = deployment.secret(WRITER_SECRET)["password"].decode()
    bootstrap = deployment.cluster.bootstrap(SCRAM)
    sent = [f"record-{i}".encode() for i in range(10)]
    clients.produce(bootstrap, ALLOWED, sent, **scram_options("writer", password))
    assert sorted(clients.consume_all(bootstrap, ALLOWED, **scram_options("writer", password))) == sorted(sent)
    assert topic_error(bootstrap, OTHER, **scram_options("writer", password)) == TOPIC_AUTHORIZATION_FAILED
    with pytest.raises(Exception):
        topic_error(bootstrap, ALLOWED, **scram_options("writer", "not-the-password"))


def assert_reader_authenticates(deployment: Deployment, secret: dict[str, bytes], folder: Path) -> None:
    """reader, with the certificate of `secret`, sees the topic it may read and not the other."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cluster-ca.crt").write_bytes(deployment.cluster.secrets[CLUSTER_CA_CERT]["ca.crt"])
    bootstrap = deployment.cluster.bootstrap(TLS)
    # As a Java client: the PKCS#12 key store (here converted, the Python client reads PEM only);
    # as clients that take PEM: user.crt and user.key as they are in the Secret.
    pem = tls.pkcs12_to_pem(secret["user.p12"], secret["user.password"], folder / "reader")
    (folder / "user.crt").write_bytes(secret["user.crt"])
    (folder / "user.key").write_bytes(secret["user.key"])
    for certificate in ({"ssl_certfile": str(pem)},
                        {"ssl_certfile": str(folder / "user.crt"), "ssl_keyfile": str(folder / "user.key")}):
        options = {"security_protocol": "SSL", "ssl_cafile": str(folder / "cluster-ca.crt"),
                   "ssl_check_hostname": True, **certificate}
        assert topic_error(bootstrap, ALLOWED, **options) == 0
        assert topic_error(bootstrap, OTHER, **options) == TOPIC_AUTHORIZATION_FAILED


def test_the_tls_user_authenticates_with_the_certificate_of_its_secret(deployment, first_run, tmp_path):
    assert_reader_authenticates(deployment, deployment.secret(READER_SECRET), tmp_path)


def test_the_quotas_are_set_on_the_users_entity(deployment, first_run):
    described = deployment.node_tool("kafka-configs.sh", "--describe", "--entity-type", "users",
                                     "--entity-name", "writer")
    assert "producer_byte_rate=1048576" in described and "consumer_byte_rate=2097152" in described, described


def acl_lines(listing: str) -> list[str]:
    """kafka-acls --list output as sorted lines (Kafka lists resources in no fixed order)."""
    return sorted(line.strip() for line in listing.splitlines() if line.strip())


def test_a_second_run_against_kafka_changes_nothing_and_says_so(deployment, first_run):
    before, done = deployment.namespace.versions(), deployment.namespace.writes()
    acls = acl_lines(deployment.node_tool("kafka-acls.sh", "--list"))
    quotas = deployment.node_tool("kafka-configs.sh", "--describe", "--entity-type", "users")
    output = deployment.run_job()
    assert "kafkac-users: every user is as the spec says: nothing changed" in output["apply"], output["apply"]
    assert "registered" not in output["apply"] and "ACL added" not in output["apply"]
    assert deployment.namespace.versions() == before and deployment.namespace.writes() == done
    assert acl_lines(deployment.node_tool("kafka-acls.sh", "--list")) == acls
    assert deployment.node_tool("kafka-configs.sh", "--describe", "--entity-type", "users") == quotas


def test_an_acl_and_a_quota_removed_from_the_spec_are_removed_from_kafka(deployment, first_run):
    assert "name=audit" in deployment.node_tool("kafka-acls.sh", "--list", "--principal", "User:writer")
    deployment.upgrade(REMOVED_ACL, "")
    deployment.upgrade(REMOVED_QUOTA, "")
    output = deployment.run_job()
    assert "kafkac-users: ACL removed for User:writer: ALLOW DESCRIBE on TOPIC audit (LITERAL), host *" \
        in output["apply"], output["apply"]
    assert "kafkac-users: quotas of writer: consumer_byte_rate removed (was 2097152.0);" in output["apply"]
    acls = deployment.node_tool("kafka-acls.sh", "--list", "--principal", "User:writer")
    assert "name=audit" not in acls and "name=allowed" in acls
    described = deployment.node_tool("kafka-configs.sh", "--describe", "--entity-type", "users",
                                     "--entity-name", "writer")
    assert "consumer_byte_rate" not in described and "producer_byte_rate=1048576" in described, described


def test_a_certificate_within_its_renewal_days_is_reissued_and_authenticates(deployment, first_run, tmp_path):
    # A chart whose reader certificate lives 20 days, and a force-renew request: a short-lived
    # certificate. Then the chart back to the clients CA's days (365, renewal 30): it is due.
    deployment.upgrade(TLS_AUTHENTICATION, TLS_AUTHENTICATION + SHORT_VALIDITY)
    deployment.namespace.annotate("secret", READER_SECRET, "kafkac.io/force-renew", "true")
    output = deployment.run_job()
    assert "user reader: re-issuing its certificate (a new key, CN=reader, valid 20 days, signed by the " \
           "clients CA), because Secret kafka-reader has the annotation kafkac.io/force-renew=true" in output["issue"]
    short = deployment.secret(READER_SECRET)
    assert not_after(short["user.crt"]) - datetime.now(timezone.utc) < timedelta(days=20)
    assert_reader_authenticates(deployment, short, tmp_path / "short")

    deployment.upgrade(TLS_AUTHENTICATION + SHORT_VALIDITY, TLS_AUTHENTICATION)
    done = deployment.namespace.writes()
    output = deployment.run_job()
    issued = output["issue"]
    assert "user reader: re-issuing its certificate (a new key, CN=reader, valid 365 days, signed by the " \
           "clients CA), because its certificate expires on" in issued, issued
    assert "within renewalDays (30)" in issued
    assert deployment.namespace.writes()[len(done):] == [f"update secret {NAMESPACE}/{READER_SECRET}"]
    renewed = deployment.secret(READER_SECRET)
    assert renewed["user.key"] != short["user.key"] and renewed["user.crt"] != short["user.crt"]
    assert not_after(renewed["user.crt"]) - datetime.now(timezone.utc) > timedelta(days=364)
    assert_reader_authenticates(deployment, renewed, tmp_path / "renewed")

    # Renewed, it is current: the next run writes nothing.
    unchanged, done = deployment.namespace.versions(), deployment.namespace.writes()
    output = deployment.run_job()
    assert "user reader: Secret kafka-reader kept" in output["issue"]
    assert "nothing to write" in output["store"]
    assert deployment.namespace.versions() == unchanged and deployment.namespace.writes() == done
