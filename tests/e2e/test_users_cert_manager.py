"""TLS KafkaUsers with a clients CA of type cert-manager.io, run for real but for cert-manager itself.

The cluster is cert-manager-spec/ with the user operator and one TLS user,
reader (validityDays 60, renewalDays 10). A node boots with the certificates
Job's Secrets; then the users Job's request, fetch, issue and store steps run
as rendered (certjob.py: the real scripts, the real kubectl against the tests'
API server, in the cluster's namespace, where cert-manager's Certificate CRD is
registered). cert-manager's controller does not run here, so
cert_manager.CertManagerStandIn plays its CA issuer: for the
Certificate the request step created from the rendered chart, it issues
Secret reader-cm with openssl from a test issuer (an intermediate CA under a
root), exactly as the Certificate's spec asks. The broker's clients CA trust
is that issuer's root (spec.clientsCa.certManager.caCert), and reader then
authenticates with what the Job copied into its Secret (describing the
cluster needs no ACL). The apply step (ACLs and quotas in Kafka) is the
default mode's, tested in test_users.py; here the user's subject, its
principal in Kafka, is checked instead.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from compiler.verify import APPLIED_MANIFESTS_KEY

from ..kube import crds
from ..kube.api_namespace import ApiNamespace
from ..util import manifests_of
from . import certjob, clients, tls
from .cert_manager import CertManagerStandIn, Issuer
from .conftest import NAMESPACE, boot, compile_example
from .test_cert_manager import bundles
from .test_own_ca import openssl, verifies

pytestmark = pytest.mark.e2e

CERT_MANAGER_SPEC = Path(__file__).resolve().parent / "cert-manager-spec"
USERS = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: reader
  labels:
    strimzi.io/cluster: cm
spec:
  authentication:
    type: tls
    validityDays: 60
    renewalDays: 10
"""
USER_STEPS = ("request", "fetch", "issue", "store")
TLS = 9093


def spec_folder(folder: Path) -> Path:
    """cert-manager-spec/ with the user operator, and users.yaml."""
    folder.mkdir(parents=True)
    kafka = (CERT_MANAGER_SPEC / "kafka.yaml").read_text()
    assert kafka.count("  clusterCa:\n") == 1
    (folder / "kafka.yaml").write_text(kafka.replace("  clusterCa:\n", "  entityOperator:\n    userOperator: {}\n"
                                                                       "  clusterCa:\n"))
    (folder / "users.yaml").write_text(USERS)
    return folder


class UsersJob:
    """The users Job's Secret steps in a namespace of the tests' API server, with cert-manager's
    stand-in beside them."""

    def __init__(self, manifests: list[dict], java_home: Path, api: ApiNamespace, issuers: dict[str, Issuer]):
        self.manifests, self.java_home, self.api = manifests, java_home, api
        self.folder = certjob.shared_folder("kafkac-e2e-users-cert-manager-")
        self.cert_manager = CertManagerStandIn(api, issuers, self.folder / "issued")
        self.done = len(api.writes())  # the writes before the users Job's
        self.runs = 0

    def __call__(self) -> certjob.JobRun:
        self.runs += 1
        with self.cert_manager:
            return certjob.run_certificate_job(self.manifests, self.api,
                                               self.folder / f"run-{self.runs}", self.java_home,
                                               job_suffix="-kafka-users", steps=USER_STEPS)

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return self.api.secrets()

    def certificate(self, name: str) -> dict:
        return self.api.get(crds.CERTIFICATES, name)

    def writes(self) -> list[str]:
        """What the users Job wrote: "<verb> <secret|certificate> <namespace>/<name>"."""
        return self.api.writes()[self.done:]


def rendered_certificate(manifests: list[dict], name: str) -> dict:
    """The cert-manager Certificate `name` as the chart renders it, in the users Job's ConfigMap."""
    (files,) = [m for m in manifests if m.get("kind") == "ConfigMap"
                and m["metadata"]["name"].endswith("-kafka-users-files")]
    (certificate,) = [c for c in json.loads(files["data"][APPLIED_MANIFESTS_KEY]) if c["metadata"]["name"] == name]
    return certificate


def authenticates(bootstrap: str, secret: dict[str, bytes], server_ca: bytes, folder: Path) -> bool:
    """A client with the Secret's certificate, as PEM (user.crt, user.key) and as PKCS#12 (user.p12),
    is let in by the broker."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server-ca.crt").write_bytes(server_ca)
    (folder / "user.crt").write_bytes(secret["user.crt"])
    (folder / "user.key").write_bytes(secret["user.key"])
    pem = tls.pkcs12_to_pem(secret["user.p12"], secret["user.password"], folder / "p12")
    for certificate in ({"ssl_certfile": str(folder / "user.crt"), "ssl_keyfile": str(folder / "user.key")},
                        {"ssl_certfile": str(pem)}):
        options = {"security_protocol": "SSL", "ssl_cafile": str(folder / "server-ca.crt"),
                   "ssl_check_hostname": True, **certificate}
        if [b["broker_id"] for b in clients.brokers(bootstrap, **options)] != [0]:
            return False
    return True


def test_a_tls_user_gets_cert_managers_certificate_and_authenticates_with_it(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("users-cert-manager")
    issuers = {"cluster-issuer": Issuer.make(work / "issuers" / "cluster", "Example cluster"),
               "clients-issuer": Issuer.make(work / "issuers" / "clients", "Example clients")}
    spec = spec_folder(work / "spec")
    chart = compile_example(str(spec), work / "users-chart")
    manifests = manifests_of(chart)
    provided = bundles(issuers, clients_key="bundle.pem")
    server_ca = issuers["cluster-issuer"].root_pem
    with boot(str(spec), e2e, work / "kafka", address_block=16, ca_secrets=provided,
              certificate_issuer=lambda api: CertManagerStandIn(api, issuers, work / "issued")) \
            as cluster:
        # The cluster's namespace, with the Secrets and Certificates of the certificates Job.
        job = UsersJob(manifests, e2e.java_home, cluster.api, issuers)
        try:
            run = job()
            assert job.writes() == [f"create certificate {NAMESPACE}/reader",
                                    f"create secret {NAMESPACE}/reader"], run.log
            assert "creating Secret reader with the certificate cert-manager issued" in run.output("issue")

            # cert-manager was asked for exactly what the chart renders.
            asked = job.certificate("reader")["spec"]
            assert asked == rendered_certificate(manifests, "reader")["spec"]
            assert asked["secretName"] == "reader-cm" and asked["commonName"] == "reader"
            assert "subject" not in asked and "client auth" in asked["usages"]
            assert asked["privateKey"] == {"algorithm": "RSA", "size": 2048, "encoding": "PKCS8",
                                           "rotationPolicy": "Always"}
            assert (asked["duration"], asked["renewBefore"]) == ("1440h", "240h")
            assert asked["issuerRef"] == {"name": "clients-issuer", "kind": "ClusterIssuer",
                                          "group": "cert-manager.io"}

            # Strimzi's keys, from what cert-manager wrote into reader-cm.
            secrets = job.secrets()
            issued, secret = secrets["reader-cm"], secrets["reader"]
            assert set(secret) == {"ca.crt", "user.crt", "user.key", "user.p12", "user.password"}
            assert secret["user.crt"] == issued["tls.crt"]
            assert secret["ca.crt"] == issuers["clients-issuer"].root_pem
            assert secret["user.key"].startswith(b"-----BEGIN PRIVATE KEY-----\n")
            assert openssl("pkey", "-pubout", data=secret["user.key"]) == \
                openssl("x509", "-noout", "-pubkey", data=secret["user.crt"])
            subject = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", data=secret["user.crt"])
            assert subject.strip() == "subject=CN=reader"
            assert verifies(issuers["clients-issuer"].root_pem + issuers["clients-issuer"].chain_pem,
                            secret["user.crt"], work / "verify", "sslclient")
            assert authenticates(cluster.bootstrap(TLS), secret, server_ca, work / "first")

            # Nothing new: the next run writes nothing.
            writes, versions = job.writes(), job.api.versions()
            run = job()
            assert job.writes() == writes and job.api.versions() == versions, run.log
            assert "Certificate reader: kept" in run.output("request")
            assert "user reader: Secret reader kept" in run.output("issue")

            # cert-manager renews it (renewBefore): the next run copies the new one.
            job.cert_manager.reconcile(renew=("reader",))
            writes = job.writes()
            run = job()
            assert job.writes()[len(writes):] == [f"update secret {NAMESPACE}/reader"], run.log
            assert "because cert-manager issued a new certificate (Secret reader-cm)" in run.output("issue")
            renewed = job.secrets()["reader"]
            assert renewed["user.crt"] != secret["user.crt"] and renewed["user.key"] != secret["user.key"]
            assert authenticates(cluster.bootstrap(TLS), renewed, server_ca, work / "renewed")
        finally:
            subprocess.run(["rm", "-rf", str(job.folder)], check=False)


def test_a_certificate_the_clients_ca_does_not_trust_fails_the_job_and_writes_no_secret(e2e, tmp_path):
    issuers = {"cluster-issuer": Issuer.make(tmp_path / "cluster", "Example cluster"),
               "clients-issuer": Issuer.make(tmp_path / "clients", "Example clients")}
    chart = compile_example(str(spec_folder(tmp_path / "spec")), tmp_path / "chart")
    manifests = manifests_of(chart)
    # The clients CA Secret trusts another CA than the one the issuer signs with.
    trusted = {"cm-clients-ca-cert": {"ca.crt": Issuer.make(tmp_path / "other", "Other").root_pem}}
    with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
        api.put_secrets(trusted)
        job = UsersJob(manifests, e2e.java_home, api, issuers)
        try:
            with job.cert_manager:
                run = certjob.run_certificate_job(manifests, api, job.folder / "run", e2e.java_home,
                                                  job_suffix="-kafka-users", steps=USER_STEPS, check=False)
            assert run.steps[-1].name == "issue" and run.steps[-1].returncode != 0
            assert "the user reader's certificate cert-manager issued (Secret reader-cm) does not verify against " \
                   "the clients CA certificates (ca.crt of Secret cm-clients-ca-cert)" in run.output("issue"), \
                run.log
            assert job.writes() == [f"create certificate {NAMESPACE}/reader"], run.log
        finally:
            subprocess.run(["rm", "-rf", str(job.folder)], check=False)
