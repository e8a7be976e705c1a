"""CAs the user provides (generateCertificateAuthority: false), run for real.

The CAs are what a user brings: made here with openssl (a root CA each, as
`openssl req -x509` makes it), put in Strimzi's two Secrets per CA (ca.crt in
`<cluster>-cluster-ca-cert`, ca.key in `<cluster>-cluster-ca`, the same for the
clients CA) before the chart's Jobs run. The certificates Job and the users
Job then run as rendered (certjob.py: this machine's openssl, the real kubectl
against the tests' API server with the Jobs' own ServiceAccounts, whose audit
log tells what they wrote), and a node of own-ca-spec/ boots with what they
made. openssl reads back the results.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


from ..kube.api_namespace import ApiNamespace
from ..util import manifests_of
from . import certjob, clients
from .conftest import NAMESPACE, boot, compile_example

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "own-ca-spec"
CA_CERT, CA, NODE = "own-ca-cluster-ca-cert", "own-ca-cluster-ca", "own-ca-kafka-node-certs"
CLIENTS_CA_CERT, CLIENTS_CA = "own-ca-clients-ca-cert", "own-ca-clients-ca"
USER = "app"
TLS = 9093


def openssl(*args: str, data: bytes | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60, cwd=cwd)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def users_own_ca(folder: Path, name: str) -> dict[str, bytes]:
    """A root CA as a user makes one with openssl: ca.crt and its unencrypted PEM ca.key."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "400", "-subj", f"/O=Example Corp/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    return {"ca.crt": (folder / "ca.crt").read_bytes(), "ca.key": (folder / "ca.key").read_bytes()}


def ca_secrets(cluster_ca: dict[str, bytes], clients_ca: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
    """The four Secrets of Strimzi's contract for CAs you provide."""
    return {CA_CERT: {"ca.crt": cluster_ca["ca.crt"]}, CA: {"ca.key": cluster_ca["ca.key"]},
            CLIENTS_CA_CERT: {"ca.crt": clients_ca["ca.crt"]}, CLIENTS_CA: {"ca.key": clients_ca["ca.key"]}}


def verifies(ca_pem: bytes, cert_pem: bytes, folder: Path, purpose: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ca.crt").write_bytes(ca_pem)
    (folder / "cert.crt").write_bytes(cert_pem)
    done = subprocess.run(["openssl", "verify", "-CAfile", "ca.crt", "-purpose", purpose, "cert.crt"],
                          capture_output=True, timeout=60, cwd=folder)
    return done.returncode == 0


@pytest.fixture(scope="module")
def cas(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("own-cas")
    return {"cluster": users_own_ca(folder / "cluster", "Example cluster CA"),
            "clients": users_own_ca(folder / "clients", "Example clients CA")}


@pytest.fixture(scope="module")
def manifests(e2e, tmp_path_factory) -> list[dict]:
    chart = compile_example(str(SPEC), tmp_path_factory.mktemp("own-ca") / "chart")
    return manifests_of(chart)


@pytest.fixture(scope="module")
def api(e2e):
    """The chart's namespace in the tests' API server, for the whole module; each Namespace below
    starts it again without Secrets."""
    with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
        yield api


class Namespace:
    """One namespace's Secrets, and the Jobs run against them as installs and upgrades would."""

    def __init__(self, manifests: list[dict], java_home: Path, api: ApiNamespace):
        self.manifests, self.java_home, self.api = manifests, java_home, api
        self.folder = certjob.shared_folder("kafkac-e2e-own-ca-")
        self.runs = 0
        api.delete_all("secrets")
        self.done = len(api.writes())  # the writes before this namespace's

    def put_secrets(self, secrets: dict[str, dict[str, bytes]]) -> None:
        self.api.put_secrets(secrets)

    def certificates(self, check: bool = True) -> certjob.JobRun:
        self.runs += 1
        return certjob.run_certificate_job(self.manifests, self.api,
                                           self.folder / f"run-{self.runs}", self.java_home, check=check)

    def users(self, check: bool = True) -> certjob.JobRun:
        self.runs += 1
        return certjob.run_certificate_job(self.manifests, self.api,
                                           self.folder / f"run-{self.runs}", self.java_home,
                                           job_suffix="-kafka-users", steps=("fetch", "issue", "store"),
                                           check=check)

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return self.api.secrets()

    def writes(self) -> list[str]:
        """What the Jobs wrote since this namespace started: "<verb> secret <namespace>/<name>"."""
        return self.api.writes()[self.done:]


@pytest.fixture
def namespace(manifests, e2e, api):
    made = Namespace(manifests, e2e.java_home, api)
    try:
        yield made
    finally:
        subprocess.run(["rm", "-rf", str(made.folder)], check=False)


def test_the_job_signs_with_your_cas_and_never_writes_their_secrets(namespace, cas, tmp_path):
    namespace.put_secrets(ca_secrets(cas["cluster"], cas["clients"]))
    before = namespace.secrets()
    run = namespace.certificates()
    assert namespace.writes() == [f"create secret {NAMESPACE}/{NODE}"], run.log
    secrets = namespace.secrets()
    assert {name: secrets[name] for name in before} == before, "a Secret of yours changed"
    issued = run.output("issue")
    assert "cluster CA: yours (spec.clusterCa.generateCertificateAuthority: false)" in issued
    assert "clients CA: yours (spec.clientsCa.generateCertificateAuthority: false)" in issued

    node = secrets[NODE]["node.crt"]
    assert verifies(cas["cluster"]["ca.crt"], node, tmp_path / "node", "sslserver")
    assert not verifies(cas["clients"]["ca.crt"], node, tmp_path / "not-clients", "sslserver")
    assert openssl("x509", "-noout", "-issuer", "-nameopt", "RFC2253", data=node).strip() == \
        "issuer=CN=Example cluster CA,O=Example Corp"

    # Running again changes nothing.
    writes, versions = namespace.writes(), namespace.api.versions()
    again = namespace.certificates()
    assert namespace.writes() == writes and "node certificate: kept" in again.output("issue")
    assert namespace.api.versions() == versions

    # The users Job signs with your clients CA; the user's ca.crt is yours.
    users = namespace.users()
    user = namespace.secrets()[USER]
    assert user["ca.crt"] == cas["clients"]["ca.crt"], users.log
    assert verifies(cas["clients"]["ca.crt"], user["user.crt"], tmp_path / "user", "sslclient")
    assert openssl("pkey", "-pubout", data=user["user.key"]) == \
        openssl("x509", "-noout", "-pubkey", data=user["user.crt"])


@pytest.mark.parametrize("absent, named", [
    ((CA,), f"Secret {CA} with the key ca.key"),
    ((CA_CERT, CA), f"Secret {CA_CERT} with the key ca.crt (the CA certificate, PEM); Secret {CA} with"),
    ((CLIENTS_CA_CERT,), f"Secret {CLIENTS_CA_CERT} with the key ca.crt"),
])
def test_a_missing_secret_of_yours_fails_the_job_with_what_is_missing(namespace, cas, absent, named):
    provided = {name: data for name, data in ca_secrets(cas["cluster"], cas["clients"]).items() if name not in absent}
    namespace.put_secrets(provided)
    run = namespace.certificates(check=False)
    assert [s.name for s in run.steps] == ["fetch", "issue"] and run.steps[-1].returncode != 0
    assert "generateCertificateAuthority is false" in run.output("issue")
    assert named in run.output("issue"), run.output("issue")
    assert namespace.writes() == []


def test_a_key_that_is_not_the_certificates_fails_the_job(namespace, cas):
    mixed = ca_secrets(cas["cluster"], cas["clients"])
    mixed[CA] = {"ca.key": cas["clients"]["ca.key"]}
    namespace.put_secrets(mixed)
    run = namespace.certificates(check=False)
    assert run.steps[-1].returncode != 0
    assert f"openssl cannot sign with ca.key of Secret {CA} and ca.crt of Secret {CA_CERT}" \
        in run.output("issue")
    assert namespace.writes() == []


def test_a_node_signed_by_your_ca_serves_clients_that_trust_only_your_ca_crt(e2e, api, cas, manifests,
                                                                              tmp_path_factory):
    work = tmp_path_factory.mktemp("own-ca-kafka")
    provided = ca_secrets(cas["cluster"], cas["clients"])
    # The user's certificate, from the users Job with your clients CA (then the namespace is
    # emptied: the node boots from what boot()'s certificates Job makes).
    users = Namespace(manifests, e2e.java_home, api)
    try:
        users.put_secrets(provided)
        users.users()
        user = users.secrets()[USER]
    finally:
        subprocess.run(["rm", "-rf", str(users.folder)], check=False)
    api.delete_all("secrets")
    (work / "ca.crt").write_bytes(cas["cluster"]["ca.crt"])
    (work / "user.crt").write_bytes(user["user.crt"])
    (work / "user.key").write_bytes(user["user.key"])
    options = {"security_protocol": "SSL", "ssl_cafile": str(work / "ca.crt"), "ssl_check_hostname": True,
               "ssl_certfile": str(work / "user.crt"), "ssl_keyfile": str(work / "user.key")}
    with boot(str(SPEC), e2e, work, address_block=13, ca_secrets=provided) as cluster:
        assert cluster.secrets[CA_CERT] == provided[CA_CERT]
        assert [b["broker_id"] for b in clients.brokers(cluster.bootstrap(TLS), **options)] == [0]
