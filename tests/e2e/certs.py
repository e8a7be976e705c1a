"""A throwaway CA and a listener (or client) certificate, made with the openssl command line.

What a user (or cert-manager) would put in the Secret that a TLS listener's
`brokerCertChainAndKey` names: `tls.crt`, the PEM chain (server certificate,
then the CA), and `tls.key`, the PKCS#8 PEM key.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ListenerCertificate:
    ca_file: Path
    chain: bytes  # tls.crt
    key: bytes  # tls.key

    def secret(self) -> dict[str, bytes]:
        return {"tls.crt": self.chain, "tls.key": self.key}


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def _signed_by_a_throwaway_ca(folder: Path, subject: str, extensions: str) -> None:
    """A new CA (ca.crt, ca.key) and, signed by it, tls.key (PKCS#8) and server.crt."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "2", "-subj", "/CN=kafkac end-to-end test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    # genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), the form the chart documents.
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "tls.key",
             cwd=folder)
    _openssl("req", "-new", "-key", "tls.key", "-subj", subject, "-out", "tls.csr", cwd=folder)
    (folder / "ext.cnf").write_text(extensions)
    _openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt", cwd=folder)


def listener_certificate(folder: Path, dns_names: list[str]) -> ListenerCertificate:
    _signed_by_a_throwaway_ca(folder, "/CN=kafka", (
        "subjectAltName=" + ",".join(f"DNS:{name}" for name in dns_names) + "\n"
        "extendedKeyUsage=serverAuth\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"))
    chain = (folder / "server.crt").read_bytes() + (folder / "ca.crt").read_bytes()
    key = (folder / "tls.key").read_bytes()
    if b"BEGIN PRIVATE KEY" not in key:
        raise RuntimeError("openssl did not write a PKCS#8 key")
    return ListenerCertificate(folder / "ca.crt", chain, key)


def client_certificate(folder: Path, subject: str) -> tuple[bytes, bytes]:
    """A client certificate (PEM) with `subject` (openssl's /K=V/... form) and its PKCS#8 key,
    signed by a CA of its own that no cluster trusts."""
    _signed_by_a_throwaway_ca(folder, subject, (
        "extendedKeyUsage=clientAuth\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"))
    return (folder / "server.crt").read_bytes(), (folder / "tls.key").read_bytes()
