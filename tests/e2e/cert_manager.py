"""cert-manager's part, for the end-to-end tests of CAs of type cert-manager.io.

cert-manager itself does not run here (its controller needs images and
webhooks the tests do not have), so `CertManagerStandIn` does what its CA
issuer does for the Certificates the chart's Job creates in a namespace of the
tests' API server (real certificates.cert-manager.io/v1 objects, cert-manager's
own CRD: tests/kube/crds.py): for each Certificate that is not Ready for its
current generation, it issues a key and a certificate exactly as the
Certificate's spec asks (commonName, organizations, dnsNames, ipAddresses,
usages, duration, issuerRef) with openssl, writes them into Secret
spec.secretName with cert-manager's keys (tls.crt: the certificate and the
issuer's chain, tls.key: PKCS#8 PEM, ca.crt: the issuer's CA), as the admin,
and sets the Ready condition with its observedGeneration through the status
subresource. A Certificate whose issuer it does not know gets Ready False, as
cert-manager reports a missing issuer.

The issuers are made here: a root CA, and under it an intermediate CA that
signs (so tls.crt carries a chain, as with most real issuers); what clients
trust is the root.
"""

from __future__ import annotations

import base64
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..kube import crds
from ..kube.api_namespace import ApiNamespace

EXTENDED_USAGES = {"server auth": "serverAuth", "client auth": "clientAuth"}
KEY_USAGES = {"digital signature": "digitalSignature", "key encipherment": "keyEncipherment"}


def openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert done.returncode == 0, done.stderr


@dataclass(frozen=True)
class Issuer:
    """A CA issuer: the intermediate CA that signs, and the root that clients trust."""

    folder: Path

    @property
    def root_pem(self) -> bytes:
        return (self.folder / "root.crt").read_bytes()

    @property
    def chain_pem(self) -> bytes:
        return (self.folder / "intermediate.crt").read_bytes()

    @staticmethod
    def make(folder: Path, name: str) -> "Issuer":
        folder.mkdir(parents=True, exist_ok=True)
        ca = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.crt",
                "-days", "400", "-subj", f"/O=Example Corp/CN={name} root", *ca, cwd=folder)
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "intermediate.key",
                "-out", "intermediate.csr", "-subj", f"/O=Example Corp/CN={name} issuing", cwd=folder)
        (folder / "intermediate.ext").write_text(
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        openssl("x509", "-req", "-in", "intermediate.csr", "-CA", "root.crt", "-CAkey", "root.key",
                "-CAcreateserial", "-days", "390", "-extfile", "intermediate.ext", "-out", "intermediate.crt",
                cwd=folder)
        return Issuer(folder)

    def issue(self, spec: dict, work: Path) -> dict[str, bytes]:
        """Key and certificate for a Certificate's spec, in cert-manager's Secret keys."""
        work.mkdir(parents=True, exist_ok=True)
        subject = "".join(f"/O={o}" for o in spec.get("subject", {}).get("organizations", []))
        subject += f"/CN={spec['commonName']}"
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{spec['privateKey']['size']}",
                "-out", "tls.key", cwd=work)
        openssl("req", "-new", "-key", "tls.key", "-subj", subject, "-out", "tls.csr", cwd=work)
        names = [f"DNS:{n}" for n in spec.get("dnsNames", [])] + [f"IP:{a}" for a in spec.get("ipAddresses", [])]
        key_usages = [KEY_USAGES[u] for u in spec["usages"] if u in KEY_USAGES]
        extended_usages = [EXTENDED_USAGES[u] for u in spec["usages"] if u in EXTENDED_USAGES]
        extensions = ["basicConstraints=critical,CA:FALSE", "subjectKeyIdentifier=hash",
                      "authorityKeyIdentifier=keyid"]
        if key_usages:
            extensions.append("keyUsage=critical," + ",".join(key_usages))
        if extended_usages:
            extensions.append("extendedKeyUsage=" + ",".join(extended_usages))
        if names:
            extensions.append("subjectAltName=" + ",".join(names))
        (work / "tls.ext").write_text("\n".join(extensions) + "\n")
        days = max(1, int(spec["duration"].removesuffix("h")) // 24)
        openssl("x509", "-req", "-in", "tls.csr", "-CA", str(self.folder / "intermediate.crt"),
                "-CAkey", str(self.folder / "intermediate.key"), "-CAcreateserial", "-days", str(days),
                "-extfile", "tls.ext", "-out", "tls.crt", cwd=work)
        return {"tls.crt": (work / "tls.crt").read_bytes() + self.chain_pem,
                "tls.key": (work / "tls.key").read_bytes(), "ca.crt": self.root_pem}


class CertManagerStandIn:
    """Issues the Certificates of a namespace of the tests' API server, in a thread, inside each `with`."""

    def __init__(self, api: ApiNamespace, issuers: dict[str, Issuer], work: Path):
        self.api, self.issuers, self.work = api, issuers, work
        self.issued: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        crds.ensure(api.plane, crds.CERTIFICATES)

    def __enter__(self) -> "CertManagerStandIn":
        self._stop.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        if self._failure is not None and exc[0] is None:
            raise AssertionError(f"the tests' cert-manager failed: {self._failure}") from self._failure

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except BaseException as problem:  # reported by __exit__
                self._failure = problem
                return
            time.sleep(0.2)

    def certificates(self) -> list[dict]:
        return self.api.items(crds.CERTIFICATES)

    def reconcile(self, renew: tuple[str, ...] = ()) -> None:
        """Issue what is not Ready for its generation, and the Certificates named in `renew`."""
        for certificate in self.certificates():
            name, generation = certificate["metadata"]["name"], certificate["metadata"]["generation"]
            ready = [c for c in certificate.get("status", {}).get("conditions", [])
                     if c["type"] == "Ready" and c["status"] == "True" and c.get("observedGeneration") == generation]
            if ready and name not in renew:
                continue
            issuer = self.issuers.get(certificate["spec"]["issuerRef"]["name"])
            if issuer is None:
                condition = {"type": "Ready", "status": "False", "reason": "IssuerNotFound",
                             "message": "Referenced issuer does not exist", "observedGeneration": generation}
            else:
                data = issuer.issue(certificate["spec"], self.work / f"{name}-{len(self.issued)}")
                self._write_secret(certificate["spec"]["secretName"], data)
                self.issued.append(name)
                condition = {"type": "Ready", "status": "True", "reason": "Ready",
                             "message": "Certificate is up to date and has not expired",
                             "observedGeneration": generation}
            # The status for the generation read: a spec changed since is issued on the next pass.
            self.api.patch(crds.CERTIFICATES, name, {"status": {"conditions": [condition]}}, subresource="status")

    def _write_secret(self, name: str, data: dict[str, bytes]) -> None:
        encoded = {k: base64.b64encode(v).decode() for k, v in data.items()}
        if self.api.get("secret", name) is not None:
            self.api.patch("secret", name, {"data": encoded})
        else:
            self.api.create({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                             "metadata": {"name": name, "namespace": self.api.name}, "data": encoded})
