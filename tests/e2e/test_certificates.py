"""The certificates Job of a compiled chart, run for real (see certjob.py).

Its scripts run as rendered, this machine's openssl makes the keys,
certificates and key stores, and the Secrets go to the tests' API server, in
the chart's namespace, written by the real kubectl with the Job's own
ServiceAccount (what the API server's audit log records of them is what the
Job wrote). openssl and keytool, used apart from the Job's scripts, read back
what it made (keytool: Java reads the stores).
"""

from __future__ import annotations

import base64
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest


from ..kube.api_namespace import ApiNamespace
from ..util import manifests_of
from . import certjob, clients
from .conftest import NAMESPACE, boot, compile_example

pytestmark = pytest.mark.e2e

CA_CERT, CA, NODE = "my-cluster-cluster-ca-cert", "my-cluster-cluster-ca", "my-cluster-kafka-node-certs"
CLIENTS_CA_CERT, CLIENTS_CA = "my-cluster-clients-ca-cert", "my-cluster-clients-ca"
EXPORTER = "my-cluster-kafka-exporter-certs"  # kraft-3x3 runs Kafka Exporter
EXPECTED_NAMES = sorted(
    f"{name}{suffix}"
    for name in ("my-cluster-kafka-bootstrap", "my-cluster-kafka-brokers", "*.my-cluster-kafka-brokers")
    for suffix in ("", f".{NAMESPACE}", f".{NAMESPACE}.svc", f".{NAMESPACE}.svc.cluster.local"))


@pytest.fixture(scope="module")
def manifests(e2e, tmp_path_factory) -> list[dict]:
    chart = compile_example("kraft-3x3", tmp_path_factory.mktemp("certificates") / "chart")
    return manifests_of(chart)


@pytest.fixture(scope="module")
def api(e2e):
    """The chart's namespace in the tests' API server, for the whole module; each JobRunner starts
    it again without Secrets."""
    with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
        yield api


class JobRunner:
    """Runs the Job again and again in the namespace, as successive installs and upgrades would,
    from a namespace without Secrets."""

    def __init__(self, manifests: list[dict], java_home: Path, api: ApiNamespace):
        self.manifests, self.java_home, self.api = manifests, java_home, api
        self.folder = certjob.shared_folder("kafkac-e2e-certificates-")
        self.runs = 0
        self.frozen: list[dict] | None = None  # the Secrets kept by freeze()
        self._empty()

    def _empty(self) -> None:
        self.api.delete_all("secrets")
        self.done = len(self.api.writes())  # the writes before this runner's

    def __call__(self, env: dict | None = None, check: bool = True, before: dict | None = None
                 ) -> certjob.JobRun:
        assert self.frozen is None, "a frozen runner runs no more"
        self.runs += 1
        return certjob.run_certificate_job(self.manifests, self.api, self.folder / f"run-{self.runs}",
                                           self.java_home, env=env, check=check, before=before)

    def freeze(self) -> None:
        """Keep the Secrets and writes as they are now, for tests after this one (the namespace is
        emptied by the next runner)."""
        self.frozen, self.frozen_writes = self.api.items("secrets"), self.writes()

    def seed(self, other: JobRunner) -> None:
        """Start from the Secrets another (frozen) runner made: copies, as a user would restore them
        from a backup, so that the tests stay apart."""
        self._empty()
        for secret in other.frozen:
            metadata = {key: value for key, value in secret["metadata"].items()
                        if key in ("name", "namespace", "labels", "annotations")}
            self.api.create({**secret, "metadata": metadata})

    def secrets(self) -> dict[str, dict[str, bytes]]:
        if self.frozen is not None:
            return {s["metadata"]["name"]: {key: base64.b64decode(value) for key, value in s["data"].items()}
                    for s in self.frozen}
        return self.api.secrets()

    def manifest(self, name: str) -> dict:
        if self.frozen is not None:
            return next(s for s in self.frozen if s["metadata"]["name"] == name)
        return self.api.get("secret", name)

    def writes(self) -> list[str]:
        """What the Job wrote since this runner started: "<verb> secret <namespace>/<name>"."""
        if self.frozen is not None:
            return self.frozen_writes
        return self.api.writes()[self.done:]

    def versions(self) -> dict[str, tuple[str, str]]:
        return self.api.versions()

    def annotate(self, name: str, key: str, value: str) -> None:
        """`kubectl annotate secret NAME KEY=VALUE`."""
        self.api.annotate("secret", name, key, value)

    def delete(self, name: str) -> None:
        self.api.delete("secret", name)


@pytest.fixture
def job(manifests, e2e, api):
    runner = JobRunner(manifests, e2e.java_home, api)
    try:
        yield runner
    finally:
        subprocess.run(["rm", "-rf", str(runner.folder)], check=False)


@pytest.fixture(scope="module")
def installed(manifests, e2e, api):
    """The Job's first run in an empty namespace, as `helm install` runs it."""
    runner = JobRunner(manifests, e2e.java_home, api)
    try:
        runner.first_run = runner()
        runner.freeze()
        yield runner
    finally:
        subprocess.run(["rm", "-rf", str(runner.folder)], check=False)


def openssl(*args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def certificate_text(pem: bytes) -> str:
    return openssl("x509", "-noout", "-text", "-nameopt", "RFC2253", data=pem)


def dns_names(pem: bytes) -> list[str]:
    text = certificate_text(pem)
    return sorted(re.findall(r"DNS:([^,\s]+)", text))


def not_after(pem: bytes) -> datetime:
    line = openssl("x509", "-noout", "-enddate", data=pem).strip()
    return datetime.strptime(line.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)


def verify(ca_pem: bytes, cert_pem: bytes, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ca.crt").write_bytes(ca_pem)
    (folder / "node.crt").write_bytes(cert_pem)
    return openssl("verify", "-CAfile", str(folder / "ca.crt"), "-purpose", "sslserver",
                   str(folder / "node.crt"))


def assert_pem_key_of(key_pem: bytes, certificate_pem: bytes) -> None:
    """An unencrypted PKCS#8 PEM key (as Strimzi writes ca.key), the key of that certificate."""
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n") and b"Bag Attributes" not in key_pem
    assert openssl("pkey", "-pubout", data=key_pem) == openssl("x509", "-noout", "-pubkey", data=certificate_pem)


def keytool_list(store: bytes, password: bytes, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "store.p12").write_bytes(store)
    done = subprocess.run(["keytool", "-J-Duser.language=en", "-list", "-keystore", str(folder / "store.p12"),
                           "-storetype", "PKCS12", "-storepass", password.decode()],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_first_run_creates_the_secrets_with_strimzis_keys(installed, tmp_path):
    job, run = installed, installed.first_run
    assert job.writes() == [f"create secret {NAMESPACE}/{name}"
                            for name in (CA, CA_CERT, NODE, EXPORTER, CLIENTS_CA, CLIENTS_CA_CERT)], run.log
    secrets = job.secrets()
    assert sorted(secrets[CA_CERT]) == ["ca.crt", "ca.p12", "ca.password"]
    assert sorted(secrets[CA]) == ["ca.key", "ca.p12", "ca.password"]
    assert sorted(secrets[NODE]) == ["node.crt", "node.p12", "node.password"]
    for name in (CA_CERT, CA, NODE):
        labels = job.manifest(name)["metadata"]["labels"]
        assert labels["strimzi.io/cluster"] == "my-cluster" and labels["strimzi.io/kind"] == "Kafka"
    assert job.manifest(CA_CERT)["metadata"]["annotations"] == {"strimzi.io/ca-cert-generation": "0"}
    assert job.manifest(CA)["metadata"]["annotations"] == {"strimzi.io/ca-key-generation": "0"}

    ca_pem = secrets[CA_CERT]["ca.crt"]
    ca_text = certificate_text(ca_pem)
    assert "Subject: CN=cluster-ca v0,O=io.strimzi" in ca_text
    assert "CA:TRUE" in ca_text and "Certificate Sign" in ca_text
    assert b"\r" not in ca_pem
    # ca.p12: a trust store holding exactly that certificate, opened with ca.password.
    trust = keytool_list(secrets[CA_CERT]["ca.p12"], secrets[CA_CERT]["ca.password"], tmp_path / "trust")
    assert "Your keystore contains 1 entry" in trust and "trustedCertEntry" in trust
    # The CA key store: the key and the same certificate.
    key = keytool_list(secrets[CA]["ca.p12"], secrets[CA]["ca.password"], tmp_path / "key")
    assert "PrivateKeyEntry" in key
    assert_pem_key_of(secrets[CA]["ca.key"], ca_pem)

    node_pem = secrets[NODE]["node.crt"]
    node_text = certificate_text(node_pem)
    assert "Subject: CN=my-cluster-kafka,O=io.strimzi" in node_text
    assert "Issuer: CN=cluster-ca v0,O=io.strimzi" in node_text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in node_text
    assert dns_names(node_pem) == EXPECTED_NAMES
    assert verify(ca_pem, node_pem, tmp_path / "verify").strip().endswith(": OK")
    lifetime = not_after(node_pem) - datetime.now(timezone.utc)
    assert timedelta(days=364) < lifetime <= timedelta(days=365), lifetime
    store = keytool_list(secrets[NODE]["node.p12"], secrets[NODE]["node.password"], tmp_path / "node")
    assert "Your keystore contains 1 entry" in store and "PrivateKeyEntry" in store
    for password in (secrets[CA_CERT]["ca.password"], secrets[CA]["ca.password"], secrets[NODE]["node.password"]):
        assert re.fullmatch(rb"[A-Za-z0-9]{32}", password)
    assert len({secrets[CA_CERT]["ca.password"], secrets[CA]["ca.password"], secrets[NODE]["node.password"]}) == 3


def test_first_run_creates_a_clients_ca_apart_from_the_cluster_ca(installed, tmp_path):
    secrets = installed.secrets()
    assert sorted(secrets[CLIENTS_CA_CERT]) == ["ca.crt", "ca.p12", "ca.password"]
    assert sorted(secrets[CLIENTS_CA]) == ["ca.key", "ca.p12", "ca.password"]
    assert_pem_key_of(secrets[CLIENTS_CA]["ca.key"], secrets[CLIENTS_CA_CERT]["ca.crt"])
    assert installed.manifest(CLIENTS_CA_CERT)["metadata"]["annotations"] == {"strimzi.io/ca-cert-generation": "0"}
    assert installed.manifest(CLIENTS_CA)["metadata"]["annotations"] == {"strimzi.io/ca-key-generation": "0"}
    clients_pem = secrets[CLIENTS_CA_CERT]["ca.crt"]
    text = certificate_text(clients_pem)
    assert "Subject: CN=clients-ca v0,O=io.strimzi" in text and "CA:TRUE" in text
    assert openssl("x509", "-noout", "-pubkey", data=clients_pem) != \
        openssl("x509", "-noout", "-pubkey", data=secrets[CA_CERT]["ca.crt"])
    key = keytool_list(secrets[CLIENTS_CA]["ca.p12"], secrets[CLIENTS_CA]["ca.password"], tmp_path / "key")
    assert re.search(r"^ca, .*, PrivateKeyEntry,", key, re.M), key
    trust = keytool_list(secrets[CLIENTS_CA_CERT]["ca.p12"], secrets[CLIENTS_CA_CERT]["ca.password"],
                         tmp_path / "trust")
    assert "Your keystore contains 1 entry" in trust and "trustedCertEntry" in trust
    # The node certificate is signed by the cluster CA, never by the clients CA.
    folder = tmp_path / "verify"
    folder.mkdir()
    (folder / "ca.crt").write_bytes(clients_pem)
    (folder / "node.crt").write_bytes(secrets[NODE]["node.crt"])
    refused = subprocess.run(["openssl", "verify", "-CAfile", str(folder / "ca.crt"), str(folder / "node.crt")],
                             capture_output=True, timeout=60)
    assert refused.returncode != 0


def test_second_run_creates_nothing_and_changes_no_byte(job, installed):
    job.seed(installed)
    before, writes = job.versions(), job.writes()
    run = job()
    assert job.versions() == before
    assert job.writes() == writes
    assert "cluster CA: kept" in run.output("issue")
    assert "clients CA: kept" in run.output("issue")
    assert "node certificate: kept" in run.output("issue")
    assert "nothing to write" in run.output("store")


def test_node_certificate_without_every_name_is_reissued_with_the_same_ca(job, tmp_path):
    # An older chart that certified fewer names; then the current one.
    fewer = [name for name in EXPECTED_NAMES if name.startswith("my-cluster-kafka-bootstrap")]
    job(env={"issue": {"KAFKAC_DNS_NAMES": " ".join(fewer)}})
    old = job.secrets()
    assert dns_names(old[NODE]["node.crt"]) == fewer
    run = job()
    issued = run.output("issue")
    assert "re-issuing it with the existing cluster CA, because its certificate does not cover" in issued
    assert "*.my-cluster-kafka-brokers.kafka.svc" in issued
    new = job.secrets()
    assert new[CA] == old[CA] and new[CA_CERT] == old[CA_CERT], "the CA changed"
    assert dns_names(new[NODE]["node.crt"]) == EXPECTED_NAMES
    assert verify(new[CA_CERT]["ca.crt"], new[NODE]["node.crt"], tmp_path / "verify").strip().endswith(": OK")
    assert job.writes() == [f"create secret {NAMESPACE}/{name}"
                            for name in (CA, CA_CERT, NODE, EXPORTER, CLIENTS_CA, CLIENTS_CA_CERT)] + \
        [f"update secret {NAMESPACE}/{NODE}"], run.log
    assert "restart the Kafka pods" in run.output("store")


def test_node_certificate_is_renewed_within_renewal_days_and_on_request(job, installed):
    job.seed(installed)
    ca = job.secrets()[CA]
    # kubectl annotate secret ... kafkac.io/force-renew=true, and a chart whose certificates
    # live 20 days: the next run issues one that expires within renewalDays (30).
    job.annotate(NODE, "kafkac.io/force-renew", "true")
    run = job(env={"issue": {"KAFKAC_VALIDITY_DAYS": "20"}})
    assert "because Secret my-cluster-kafka-node-certs has the annotation kafkac.io/force-renew=true" \
        in run.output("issue")
    short = job.secrets()[NODE]["node.crt"]
    assert not_after(short) - datetime.now(timezone.utc) < timedelta(days=20)
    assert "kafkac.io/force-renew" not in (job.manifest(NODE)["metadata"].get("annotations") or {})

    run = job()
    assert "within renewalDays (30)" in run.output("issue")
    renewed = job.secrets()[NODE]["node.crt"]
    assert not_after(renewed) - datetime.now(timezone.utc) > timedelta(days=364)
    assert job.secrets()[CA] == ca
    # Renewed, it is current again.
    writes = job.writes()
    job()
    assert job.writes() == writes


def test_a_lost_ca_certificate_secret_is_made_again_from_the_kept_ca(job, installed):
    job.seed(installed)
    before = job.secrets()
    job.delete(CA_CERT)
    run = job()
    after = job.secrets()
    assert after[CA_CERT]["ca.crt"] == before[CA_CERT]["ca.crt"]
    assert after[CA] == before[CA] and after[NODE] == before[NODE]
    assert "node certificate: kept" in run.output("issue")


def test_a_ca_certificate_without_its_key_fails_the_job_and_writes_nothing(job, installed):
    job.seed(installed)
    job.delete(CA)
    before, writes = job.versions(), job.writes()
    run = job(check=False)
    assert [s.name for s in run.steps] == ["fetch", "issue"] and run.steps[-1].returncode != 0
    assert "exists but my-cluster-cluster-ca, which holds the CA's private key, does not" in run.output("issue")
    assert job.versions() == before and job.writes() == writes


def test_a_secret_written_meanwhile_by_someone_else_is_never_overwritten(job, installed):
    """Between the Job's read and its write another writer acts: create and replace both fail."""
    def someone_creates_the_ca():
        job.api.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": CA, "namespace": NAMESPACE},
                        "data": {}})

    run = job(check=False, before={"store": someone_creates_the_ca})
    assert run.steps[-1].name == "store" and run.steps[-1].returncode != 0
    assert "AlreadyExists" in run.output("store")
    assert job.writes() == [] and sorted(job.secrets()) == [CA]

    job = JobRunner(job.manifests, job.java_home, job.api)
    job.seed(installed)
    job.annotate(NODE, "kafkac.io/force-renew", "true")
    before = job.secrets()[NODE]

    def someone_updates_the_node_secret():  # a new resourceVersion, as any write makes
        job.annotate(NODE, "example.com/touched", "true")

    try:
        writes = job.writes()
        run = job(check=False, before={"store": someone_updates_the_node_secret})
        assert "Conflict" in run.output("store")
        assert job.secrets()[NODE] == before and job.writes() == writes
    finally:
        subprocess.run(["rm", "-rf", str(job.folder)], check=False)


# --- renewing a CA ----------------------------------------------------------------------------

RENEWAL_SPEC = Path(__file__).resolve().parent / "renewal-spec"


def subject_key_identifier(pem: bytes) -> str:
    text = certificate_text(pem)
    return re.search(r"Subject Key Identifier:\s*\n\s*([0-9A-F:]+)", text).group(1)


def subject(pem: bytes) -> str:
    return openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", data=pem).strip()


def public_key(pem: bytes) -> str:
    return openssl("x509", "-noout", "-pubkey", data=pem)


def pkcs12_certificates(store: bytes, password: bytes, folder: Path) -> list[str]:
    """The certificates of a PKCS#12 key store, as PEM blocks (openssl)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "store.p12").write_bytes(store)
    (folder / "store.password").write_bytes(password)
    dump = openssl("pkcs12", "-in", str(folder / "store.p12"), "-nokeys",
                   "-passin", f"file:{folder / 'store.password'}")
    return re.findall(r"-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----", dump, re.S)


@pytest.fixture(scope="module")
def renewal_manifests(e2e, tmp_path_factory) -> list[dict]:
    chart = compile_example(str(RENEWAL_SPEC), tmp_path_factory.mktemp("renewal") / "chart")
    return manifests_of(chart)


def test_a_ca_certificate_due_is_renewed_for_the_same_key_and_clients_of_the_old_one_still_connect(
        e2e, api, renewal_manifests, tmp_path):
    job = JobRunner(renewal_manifests, e2e.java_home, api)
    try:
        # A cluster CA that lives 20 days (as a chart with spec.clusterCa.validityDays: 20 makes
        # it), then the chart as compiled: it expires within renewalDays (30).
        job(env={"issue": {"KAFKAC_VALIDITY_DAYS": "20"}})
        old = job.secrets()
        writes = job.writes()
        run = job()
        issued = run.output("issue")
        assert "cluster CA: renewed its certificate for the same key, because it expires on" in issued
        assert "within renewalDays (30)" in issued
        assert "node certificate: re-issuing it with the existing cluster CA, because the cluster CA " \
               "certificate was renewed" in issued
        assert job.writes()[len(writes):] == [f"update secret {NAMESPACE}/{name}" for name in (CA, CA_CERT, NODE)], \
            run.log
        new = job.secrets()
        assert new[CLIENTS_CA] == old[CLIENTS_CA] and new[CLIENTS_CA_CERT] == old[CLIENTS_CA_CERT]

        old_ca, new_ca = old[CA_CERT]["ca.crt"], new[CA_CERT]["ca.crt"]
        assert new_ca != old_ca
        assert new[CA]["ca.key"] == old[CA]["ca.key"] and new[CA]["ca.password"] == old[CA]["ca.password"]
        assert public_key(new_ca) == public_key(old_ca)
        assert subject(new_ca) == subject(old_ca) == "subject=CN=cluster-ca v0,O=io.strimzi"
        assert subject_key_identifier(new_ca) == subject_key_identifier(old_ca)
        assert "CA:TRUE" in certificate_text(new_ca) and "Certificate Sign" in certificate_text(new_ca)
        assert not_after(new_ca) - datetime.now(timezone.utc) > timedelta(days=364)
        # The key store and the trust store hold the new certificate; clients keep their password.
        assert pkcs12_certificates(new[CA]["ca.p12"], new[CA]["ca.password"], tmp_path / "key") == \
            [new_ca.decode().strip()]
        assert new[CA_CERT]["ca.password"] == old[CA_CERT]["ca.password"]
        assert pkcs12_certificates(new[CA_CERT]["ca.p12"], new[CA_CERT]["ca.password"], tmp_path / "trust") == \
            [new_ca.decode().strip()]
        # Old and new trust each other's certificates; the new node certificate's chain carries the new CA.
        old_node, new_node = old[NODE]["node.crt"], new[NODE]["node.crt"]
        assert verify(new_ca, old_node, tmp_path / "old-node").strip().endswith(": OK")
        assert verify(old_ca, new_node, tmp_path / "new-node").strip().endswith(": OK")
        chain = pkcs12_certificates(new[NODE]["node.p12"], new[NODE]["node.password"], tmp_path / "chain")
        assert chain == [new_node.decode().strip(), new_ca.decode().strip()]

        # Renewed, everything is current: the next run writes nothing.
        writes = job.writes()
        assert "nothing to write" in job().output("store")
        assert job.writes() == writes

        # The brokers restarted with the re-issued node certificate serve a client that holds
        # only the old ca.crt.
        (tmp_path / "old-ca.crt").write_bytes(old_ca)
        options = {"security_protocol": "SSL", "ssl_cafile": str(tmp_path / "old-ca.crt"),
                   "ssl_check_hostname": True}
        with boot(str(RENEWAL_SPEC), e2e, tmp_path / "kafka", address_block=14, secrets=new) as cluster:
            assert cluster.secrets[NODE] == new[NODE]
            assert [b["broker_id"] for b in clients.brokers(cluster.bootstrap(9093), **options)] == [0]
    finally:
        subprocess.run(["rm", "-rf", str(job.folder)], check=False)


def test_a_ca_certificate_is_renewed_on_request_and_a_ca_without_ca_key_gets_one(job, installed):
    job.seed(installed)
    before = job.secrets()
    job.annotate(CLIENTS_CA_CERT, "kafkac.io/force-renew", "true")
    job.annotate(CLIENTS_CA_CERT, "example.com/owner", "team-a")  # someone else's: it stays
    # A CA Secret made by an older chart, before ca.key.
    job.api.patch("secret", CA, {"data": {"ca.key": None}})
    assert "ca.key" not in job.secrets()[CA]
    run = job()
    issued = run.output("issue")
    assert "clients CA: renewed its certificate for the same key, because Secret my-cluster-clients-ca-cert " \
           "has the annotation kafkac.io/force-renew=true" in issued
    assert "cluster CA: updating Secret my-cluster-cluster-ca (ca.key, ca.p12, ca.password)" in issued
    assert "node certificate: kept" in issued
    after = job.secrets()
    assert after[CA] == before[CA] and after[CA_CERT] == before[CA_CERT] and after[NODE] == before[NODE]
    assert after[CLIENTS_CA]["ca.key"] == before[CLIENTS_CA]["ca.key"]
    renewed = after[CLIENTS_CA_CERT]["ca.crt"]
    assert renewed != before[CLIENTS_CA_CERT]["ca.crt"]
    assert public_key(renewed) == public_key(before[CLIENTS_CA_CERT]["ca.crt"])
    # Strimzi's generations: a new certificate of the same key.
    assert job.manifest(CLIENTS_CA_CERT)["metadata"]["annotations"] == {
        "strimzi.io/ca-cert-generation": "1", "example.com/owner": "team-a"}
    assert job.manifest(CA)["metadata"]["annotations"] == {"strimzi.io/ca-key-generation": "0"}
    writes = job.writes()
    job()
    assert job.writes() == writes


def test_a_certificate_secret_behind_its_key_secret_is_brought_up_to_date(job, installed):
    """As when a renewal wrote the key Secret but failed to write the certificate Secret: the
    next run publishes the key store's certificate, of the same key, rather than fail."""
    job.seed(installed)
    old_ca = job.secrets()[CA_CERT]["ca.crt"]
    job.annotate(CA_CERT, "kafkac.io/force-renew", "true")
    job()
    renewed = job.secrets()[CA_CERT]["ca.crt"]
    assert renewed != old_ca
    job.api.patch("secret", CA_CERT, {"data": {"ca.crt": base64.b64encode(old_ca).decode()}})
    run = job()
    assert "updating Secret my-cluster-cluster-ca-cert with the renewed certificate" in run.output("issue")
    assert job.secrets()[CA_CERT]["ca.crt"] == renewed
