"""CAs of type cert-manager.io, run for real but for cert-manager itself.

The certificates Job runs as rendered (certjob.py: its real scripts, this
machine's openssl, the real kubectl against the tests' API server, where
cert-manager's Certificate CRD is registered). cert-manager's controller does
not run here, so cert_manager.CertManagerStandIn plays its CA issuer: it
issues what each Certificate the Job created asks for, from issuers made here with openssl (an
intermediate CA under a root), into the Secret the Certificate names. The
Job's request step then finds them Ready, its issue step checks and copies
them, and a node of cert-manager-spec/ boots with what it copied; clients
trust only the issuers' root certificates.
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
from . import certjob, clients
from .cert_manager import CertManagerStandIn, Issuer
from .conftest import NAMESPACE, boot, compile_example
from .test_own_ca import openssl, verifies

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "cert-manager-spec"
NODE, EXPORTER = "cm-cluster-kafka-node-certs", "cm-cluster-kafka-exporter-certs"
CA_CERT, CLIENTS_CA_CERT = "cm-cluster-cluster-ca-cert", "cm-cluster-clients-ca-cert"
TLS = 9093


@pytest.fixture(scope="module")
def issuers(tmp_path_factory) -> dict[str, Issuer]:
    folder = tmp_path_factory.mktemp("issuers")
    return {"cluster-issuer": Issuer.make(folder / "cluster", "Example cluster"),
            "clients-issuer": Issuer.make(folder / "clients", "Example clients")}


def bundles(issuers: dict[str, Issuer], cluster_key: str = "ca.crt",
            clients_key: str = "ca.crt") -> dict[str, dict[str, bytes]]:
    """The Secrets a user makes before install: the root certificates to trust."""
    return {"cluster-ca-bundle": {cluster_key: issuers["cluster-issuer"].root_pem},
            "clients-ca-bundle": {clients_key: issuers["clients-issuer"].root_pem}}


@pytest.fixture(scope="module")
def manifests(e2e, tmp_path_factory) -> list[dict]:
    """examples/cert-manager rendered: three controllers, three brokers, Kafka Exporter."""
    chart = compile_example("cert-manager", tmp_path_factory.mktemp("cert-manager") / "chart")
    return manifests_of(chart)


@pytest.fixture(scope="module")
def api(e2e):
    """The chart's namespace in the tests' API server, for the whole module; each Namespace below
    starts it again without Secrets and Certificates."""
    with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
        yield api


class Namespace:
    """One namespace: its Secrets and Certificates, cert-manager's stand-in, and the certificates Job."""

    def __init__(self, manifests: list[dict], java_home: Path, issuers: dict[str, Issuer], api: ApiNamespace):
        self.manifests, self.java_home, self.api = manifests, java_home, api
        self.folder = certjob.shared_folder("kafkac-e2e-cert-manager-")
        self.cert_manager = CertManagerStandIn(api, issuers, self.folder / "issued")  # registers the CRD
        api.delete_all("secrets", crds.CERTIFICATES)
        self.done = len(api.writes())  # the writes before this namespace's
        self.runs = 0

    def put_secrets(self, secrets: dict[str, dict[str, bytes]]) -> None:
        self.api.put_secrets(secrets)

    def certificates(self, check: bool = True, env: dict | None = None) -> certjob.JobRun:
        self.runs += 1
        return certjob.run_certificate_job(self.manifests, self.api, self.folder / f"run-{self.runs}",
                                           self.java_home, check=check, env=env)

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return self.api.secrets()

    def certificate(self, name: str) -> dict:
        return self.api.get(crds.CERTIFICATES, name)

    def writes(self) -> list[str]:
        """What the Job wrote since this namespace started: "<verb> <secret|certificate> <namespace>/<name>"."""
        return self.api.writes()[self.done:]


@pytest.fixture
def namespace(manifests, e2e, issuers, api):
    made = Namespace(manifests, e2e.java_home, issuers, api)
    try:
        yield made
    finally:
        subprocess.run(["rm", "-rf", str(made.folder)], check=False)


def test_the_job_asks_cert_manager_and_copies_what_it_issued_with_strimzis_keys(namespace, issuers, tmp_path):
    namespace.put_secrets(bundles(issuers))
    with namespace.cert_manager:
        run = namespace.certificates()
    assert namespace.writes() == [
        f"create certificate {NAMESPACE}/{NODE}",
        f"create certificate {NAMESPACE}/{EXPORTER}",
        f"create secret {NAMESPACE}/{CA_CERT}", f"create secret {NAMESPACE}/{NODE}",
        f"create secret {NAMESPACE}/{EXPORTER}", f"create secret {NAMESPACE}/{CLIENTS_CA_CERT}"], run.log
    secrets = namespace.secrets()
    assert "cm-cluster-cluster-ca" not in secrets and "cm-cluster-clients-ca" not in secrets, "a CA key Secret"

    # The Certificate asks for every in-cluster name of the nodes, and cert-manager's
    # certificate is what the node Secret holds, in Strimzi's keys.
    spec = namespace.certificate(NODE)["spec"]
    assert {"cm-cluster-kafka-bootstrap.kafka.svc", "*.cm-cluster-kafka-brokers.kafka.svc.cluster.local"} \
        <= set(spec["dnsNames"])
    assert spec["issuerRef"] == {"name": "cluster-issuer", "kind": "Issuer", "group": "cert-manager.io"}
    issued = secrets[f"{NODE}-cm"]
    node = secrets[NODE]
    assert node["node.crt"] == issued["tls.crt"][:len(node["node.crt"])]
    assert verifies(issuers["cluster-issuer"].root_pem + issuers["cluster-issuer"].chain_pem, node["node.crt"],
                    tmp_path / "node", "sslserver")
    chain = openssl("pkcs12", "-in", "-", "-nokeys", "-passin", f"pass:{node['node.password'].decode()}",
                    data=node["node.p12"])
    assert chain.count("BEGIN CERTIFICATE") == 2, "node.p12 lacks the issuer's chain"
    assert secrets[CA_CERT]["ca.crt"] == issuers["cluster-issuer"].root_pem
    assert secrets[CLIENTS_CA_CERT]["ca.crt"] == issuers["clients-issuer"].root_pem
    exporter = secrets[EXPORTER]
    assert exporter["kafka-exporter.key"].startswith(b"-----BEGIN PRIVATE KEY-----")
    assert openssl("pkey", "-pubout", data=exporter["kafka-exporter.key"]) == \
        openssl("x509", "-noout", "-pubkey", data=exporter["kafka-exporter.crt"])

    # Running again asks for nothing new and writes nothing.
    writes, versions = namespace.writes(), namespace.api.versions()
    with namespace.cert_manager:
        again = namespace.certificates()
    assert namespace.writes() == writes and namespace.api.versions() == versions, again.log
    assert "Certificate cm-cluster-kafka-node-certs: kept" in again.output("request")
    assert "node certificate: kept" in again.output("issue")


def test_a_certificate_cert_manager_renewed_is_copied_on_the_next_run(namespace, issuers):
    namespace.put_secrets(bundles(issuers))
    with namespace.cert_manager:
        namespace.certificates()
    before = namespace.secrets()[NODE]["node.crt"]
    namespace.cert_manager.reconcile(renew=(NODE,))
    writes = namespace.writes()
    with namespace.cert_manager:
        run = namespace.certificates()
    assert namespace.writes()[len(writes):] == [f"update secret {NAMESPACE}/{NODE}"], run.log
    assert namespace.secrets()[NODE]["node.crt"] != before
    assert "cert-manager issued a new certificate" in run.output("issue")


def test_a_changed_certificate_spec_is_updated_and_issued_anew(namespace, issuers, manifests):
    namespace.put_secrets(bundles(issuers))
    with namespace.cert_manager:
        namespace.certificates()
    # The next chart asks for one more name (as a new listener host would).
    changed = json.loads(json.dumps(manifests))
    (config_map,) = [m for m in changed if m["metadata"]["name"] == "cm-cluster-kafka-certificates-scripts"]
    certificates = json.loads(config_map["data"][APPLIED_MANIFESTS_KEY])
    certificates[0]["spec"]["dnsNames"].append("kafka.example.com")
    config_map["data"][APPLIED_MANIFESTS_KEY] = json.dumps(certificates)
    namespace.manifests = changed
    writes = namespace.writes()
    with namespace.cert_manager:
        run = namespace.certificates()
    assert namespace.writes()[len(writes):] == [f"update certificate {NAMESPACE}/{NODE}",
                                                f"update secret {NAMESPACE}/{NODE}"], run.log
    assert namespace.certificate(NODE)["metadata"]["generation"] == 2
    assert "DNS:kafka.example.com" in openssl("x509", "-noout", "-ext", "subjectAltName",
                                              data=namespace.secrets()[NODE]["node.crt"])


def test_a_new_ca_in_the_bundle_reaches_the_ca_certificate_secret_as_the_next_generation(namespace, issuers,
                                                                                          tmp_path):
    namespace.put_secrets(bundles(issuers))
    with namespace.cert_manager:
        namespace.certificates()
    # The user adds the CA of a next issuer to the bundle, before switching the issuer to it.
    both = issuers["cluster-issuer"].root_pem + issuers["clients-issuer"].root_pem
    namespace.put_secrets({"cluster-ca-bundle": {"ca.crt": both}})
    writes = namespace.writes()
    with namespace.cert_manager:
        run = namespace.certificates()
    assert namespace.writes()[len(writes):] == [f"update secret {NAMESPACE}/{CA_CERT}"], run.log
    ca_cert = namespace.secrets()[CA_CERT]
    assert ca_cert["ca.crt"] == both
    (tmp_path / "ca.p12").write_bytes(ca_cert["ca.p12"])
    listed = subprocess.run(["keytool", "-list", "-keystore", str(tmp_path / "ca.p12"), "-storetype", "PKCS12",
                             "-storepass", ca_cert["ca.password"].decode()], capture_output=True,
                            timeout=60).stdout.decode()
    assert "contains 2 entries" in listed, listed
    annotations = namespace.api.get("secret", CA_CERT)["metadata"]["annotations"]
    assert annotations == {"strimzi.io/ca-cert-generation": "1"}


def test_a_certificate_that_the_bundle_does_not_trust_fails_the_job(namespace, issuers):
    wrong = bundles(issuers)
    wrong["cluster-ca-bundle"] = {"ca.crt": issuers["clients-issuer"].root_pem}
    namespace.put_secrets(wrong)
    with namespace.cert_manager:
        run = namespace.certificates(check=False)
    assert run.steps[-1].name == "issue" and run.steps[-1].returncode != 0
    assert f"the node certificate cert-manager issued (Secret {NODE}-cm) does not verify against the CA " \
           "certificates in key ca.crt of Secret cluster-ca-bundle" in run.output("issue"), run.log
    assert not [w for w in namespace.writes() if " secret " in w]


def test_a_missing_bundle_fails_the_job_naming_it(namespace, issuers):
    namespace.put_secrets({"clients-ca-bundle": bundles(issuers)["clients-ca-bundle"]})
    with namespace.cert_manager:
        run = namespace.certificates(check=False)
    assert run.steps[-1].returncode != 0
    assert "spec.clusterCa.certManager.caCert names key ca.crt of Secret cluster-ca-bundle, which does not exist" \
        in run.output("issue"), run.log


def test_without_cert_manager_the_job_fails_naming_the_certificate_and_issuer(namespace, issuers):
    namespace.put_secrets(bundles(issuers))
    run = namespace.certificates(check=False, env={"request": {"KAFKAC_CERT_MANAGER_WAIT_SECONDS": "3"}})
    assert [s.name for s in run.steps] == ["request"] and run.steps[0].returncode != 0
    said = run.output("request")
    assert f"Certificate {NODE} is not Ready after 3s (no Ready condition yet)" in said, said
    assert "Issuer cluster-issuer exists" in said and f"kubectl describe certificate {NODE}" in said


def test_a_node_with_cert_managers_certificate_serves_clients_that_trust_only_the_issuers_root(
        e2e, api, issuers, tmp_path_factory):
    work = tmp_path_factory.mktemp("cert-manager-kafka")
    # A client certificate from the clients issuer, as cert-manager would issue for an application.
    client = issuers["clients-issuer"].issue(
        {"commonName": "app", "usages": ["digital signature", "key encipherment", "client auth"],
         "duration": "720h", "privateKey": {"size": 2048}}, work / "client")
    (work / "ca.crt").write_bytes(issuers["cluster-issuer"].root_pem)
    (work / "user.crt").write_bytes(client["tls.crt"])
    (work / "user.key").write_bytes(client["tls.key"])
    options = {"security_protocol": "SSL", "ssl_cafile": str(work / "ca.crt"), "ssl_check_hostname": True,
               "ssl_certfile": str(work / "user.crt"), "ssl_keyfile": str(work / "user.key")}
    provided = bundles(issuers, clients_key="bundle.pem")
    api.delete_all("secrets", crds.CERTIFICATES)  # boot()'s Job starts from an empty namespace
    with boot(str(SPEC), e2e, work, address_block=15, ca_secrets=provided,
              certificate_issuer=lambda api: CertManagerStandIn(api, issuers, work / "issued")) \
            as cluster:
        assert [b["broker_id"] for b in clients.brokers(cluster.bootstrap(TLS), **options)] == [0]
        # A client without a certificate of the clients issuer is refused.
        other = Issuer.make(work / "other", "Other").issue(
            {"commonName": "app", "usages": ["client auth"], "duration": "720h", "privateKey": {"size": 2048}},
            work / "other-client")
        (work / "other.crt").write_bytes(other["tls.crt"])
        (work / "other.key").write_bytes(other["tls.key"])
        with pytest.raises(Exception):
            clients.brokers(cluster.bootstrap(TLS), **{**options, "ssl_certfile": str(work / "other.crt"),
                                                       "ssl_keyfile": str(work / "other.key")})
