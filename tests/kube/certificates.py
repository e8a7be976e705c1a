"""The control plane's certificates, made with the machine's openssl.

One CA signs the API server's serving certificate (127.0.0.1 and localhost) and
the client certificates of the admin (group system:masters) and of
kube-controller-manager (its own user, whose rights RBAC's bootstrap policy
grants). A separate RSA key pair signs and checks ServiceAccount tokens.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = "2"  # a test session never lasts longer; keeps a leaked key useless


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Certificates:
    ca: Pair
    apiserver: Pair
    admin: Pair
    controller_manager: Pair
    service_account_key: Path
    service_account_public: Path


def make(folder: Path) -> Certificates:
    folder.mkdir(parents=True, exist_ok=True)
    ca = Pair(folder / "ca.crt", folder / "ca.key")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca.key, "-out", ca.cert,
             "-days", DAYS, "-subj", "/CN=kafkac-test-kubernetes-ca",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
    apiserver = _issue(folder, "apiserver", "/CN=kube-apiserver", ca, server=True)
    admin = _issue(folder, "admin", "/O=system:masters/CN=kafkac-test-admin", ca)
    controller_manager = _issue(folder, "controller-manager", "/CN=system:kube-controller-manager", ca)
    sa_key, sa_public = folder / "service-account.key", folder / "service-account.pub"
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", sa_key)
    _openssl("pkey", "-in", sa_key, "-pubout", "-out", sa_public)
    return Certificates(ca, apiserver, admin, controller_manager, sa_key, sa_public)


def _issue(folder: Path, name: str, subject: str, ca: Pair, server: bool = False) -> Pair:
    pair = Pair(folder / f"{name}.crt", folder / f"{name}.key")
    request = folder / f"{name}.csr"
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", pair.key, "-out", request,
             "-subj", subject)
    extensions = folder / f"{name}.ext"
    usage = "serverAuth" if server else "clientAuth"
    lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
             f"extendedKeyUsage={usage}"]
    if server:
        lines.append("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                     "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")
    extensions.write_text("\n".join(lines) + "\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
             "-out", pair.cert, "-days", DAYS, "-extfile", extensions)
    return pair


def _openssl(*args: str | Path) -> None:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))} failed: {done.stderr.strip()}")
