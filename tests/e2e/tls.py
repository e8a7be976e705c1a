"""Raw Kafka requests over TCP and TLS, to see what a listener accepts.

A Kafka client library hides why a connection failed; these helpers send one
ApiVersions request (version 0) on a socket the test controls and report
whether a Kafka response came back, so a test can tell "refused during the TLS
handshake" from "served" from "closed without an answer".
"""

from __future__ import annotations

import socket
import ssl
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

API_VERSIONS = 18
CORRELATION_ID = 4242
TIMEOUT = 15.0


@dataclass(frozen=True)
class Answer:
    served: bool  # a Kafka ApiVersions response came back
    detail: str


def api_versions_request() -> bytes:
    client_id = b"kafkac-e2e"
    body = struct.pack(">hhih", API_VERSIONS, 0, CORRELATION_ID, len(client_id)) + client_id
    return struct.pack(">i", len(body)) + body


def _read_answer(sock) -> Answer:
    data = b""
    try:
        while len(data) < 8:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ssl.SSLError, OSError) as exc:
        return Answer(False, f"{type(exc).__name__}: {exc}")
    if len(data) >= 8:
        _size, correlation = struct.unpack(">ii", data[:8])
        if correlation == CORRELATION_ID:
            return Answer(True, f"ApiVersions response of {len(data)} bytes or more")
    return Answer(False, f"closed after {len(data)} bytes: {data[:16]!r}")


def plaintext_request(address: tuple[str, int]) -> Answer:
    """Send ApiVersions without TLS."""
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        sock.sendall(api_versions_request())
        return _read_answer(sock)


def tls_request(address: tuple[str, int], server_name: str, ca_file: Path,
                client_pem: Path | None = None) -> Answer:
    """Send ApiVersions over TLS, checking the server's certificate against `ca_file` and `server_name`."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = True
    if client_pem is not None:
        context.load_cert_chain(str(client_pem))
    with socket.create_connection(address, timeout=TIMEOUT) as raw:
        try:
            sock = context.wrap_socket(raw, server_hostname=server_name)
        except (ssl.SSLError, OSError) as exc:
            return Answer(False, f"handshake: {type(exc).__name__}: {exc}")
        with sock:
            try:
                sock.sendall(api_versions_request())
            except (ssl.SSLError, OSError) as exc:
                return Answer(False, f"send: {type(exc).__name__}: {exc}")
            return _read_answer(sock)


def pkcs12_to_pem(keystore: bytes, password: bytes, folder: Path) -> Path:
    """The key and certificate chain of a PKCS#12 key store as one PEM file (openssl)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "store.p12").write_bytes(keystore)
    (folder / "store.password").write_bytes(password)
    pem = folder / "store.pem"
    subprocess.run(["openssl", "pkcs12", "-in", str(folder / "store.p12"), "-nodes",
                    "-passin", f"file:{folder / 'store.password'}", "-out", str(pem)],
                   check=True, capture_output=True, timeout=60)
    return pem
