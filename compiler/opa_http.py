"""OPA's REST API over HTTP/1.1, with the standard library.

kafkac asks an OPA server three things: whether it is up (`GET /health`),
whether it answers at all (`GET /v1/policies`, for a server given by URL), and
a rule's value (`POST /v1/data/<path>`). One keep-alive connection serves a
run's requests. A client library would cost more to import than a whole
`kafkac check` takes (the one kafkac used imports aiohttp), and even
`http.client` takes 40 ms, with the email package and OpenSSL: a plain
`http://` server, as the one kafkac starts, is spoken to over a socket here;
`http.client` is imported for an `https://` one only.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

__all__ = ["Connection", "HTTPException", "OpaRefused", "UrlError"]

MAX_HEADER_LINES = 100


class UrlError(ValueError):
    """Not an http:// or https:// URL with a host."""


class HTTPException(Exception):
    """The server's answer is not HTTP as expected (or it closed the connection instead)."""


class _Closed(HTTPException):
    """The server closed the connection without answering."""


class OpaRefused(Exception):
    """OPA answered with an HTTP error status; `body` is what it said."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


class Connection:
    """A connection to the OPA at `url` (`http://host:port`, `https://...`; no scheme means http)."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UrlError(url)
        port = parts.port or (443 if parts.scheme == "https" else 8181)
        self._http = (_Https if parts.scheme == "https" else _Plain)(parts.hostname, port, timeout)
        self._used = False

    def get(self, path: str):
        return self._request("GET", path, None)

    def post(self, path: str, document):
        return self._request("POST", path, json.dumps(document).encode())

    def healthy(self) -> bool:
        """Whether OPA answers `GET /health` with 200 (it has loaded what it was given)."""
        try:
            self.get("/health")
            return True
        except (OSError, HTTPException, OpaRefused, ValueError):
            self.close()
            return False

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, body: bytes | None):
        try:
            status, said = self._exchange(method, path, body)
        except (_Closed, ConnectionResetError, BrokenPipeError):
            if not self._used:
                raise
            # The server closed the kept-alive connection between two requests: once more, anew.
            status, said = self._exchange(method, path, body)
        self._used = True
        if status >= 400:
            raise OpaRefused(status, said.decode(errors="replace"))
        return json.loads(said) if said else None

    def _exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        try:
            return self._http.exchange(method, path, body)
        except (OSError, HTTPException):
            self.close()  # the next request opens a fresh connection
            raise


class _Plain:
    """HTTP/1.1 on a socket: requests with a length, answers with a length or in chunks."""

    def __init__(self, host: str, port: int, timeout: float):
        self.address = (host, port)
        self.timeout = timeout
        self.socket: socket.socket | None = None
        self.reader = None

    def exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.socket is None:
            self.socket = socket.create_connection(self.address, timeout=self.timeout)
            self.reader = self.socket.makefile("rb")
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.address[0]}:{self.address[1]}",
                "Accept: application/json"]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.socket.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b""))
        status, headers = self._head()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            said = self._chunks()
        elif "content-length" in headers:
            said = self._exactly(_number(headers["content-length"], 10))
        else:
            said = self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, said

    def _head(self) -> tuple[int, dict[str, str]]:
        line = self.reader.readline(65537)
        if not line:
            raise _Closed("the server closed the connection without answering")
        parts = line.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HTTPException(f"not an HTTP answer: {line[:100]!r}")
        status = _number(parts[1], 10)
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            line = self.reader.readline(65537).decode("latin-1").rstrip("\r\n")
            if not line:
                return status, headers
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        raise HTTPException(f"more than {MAX_HEADER_LINES} header lines")

    def _chunks(self) -> bytes:
        said = bytearray()
        while True:
            size = _number(self.reader.readline(1026).split(b";")[0].strip().decode("latin-1"), 16)
            if size == 0:
                while self.reader.readline(65537).strip():  # trailer fields, if any
                    pass
                return bytes(said)
            said += self._exactly(size)
            self._exactly(2)  # the CRLF after each chunk

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) != size:
            raise _Closed(f"the answer ended after {len(data)} of {size} bytes")
        return data

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        if self.socket is not None:
            self.socket.close()
        self.socket = self.reader = None


class _Https:
    """http.client's HTTPSConnection, its errors as this module's."""

    def __init__(self, host: str, port: int, timeout: float):
        from http.client import HTTPSConnection

        self.http = HTTPSConnection(host, port, timeout=timeout)

    def exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        from http.client import HTTPException as ClientException, RemoteDisconnected

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.http.request(method, path, body=body, headers=headers)
            response = self.http.getresponse()
            return response.status, response.read()
        except RemoteDisconnected as exc:
            raise _Closed(str(exc)) from None
        except ClientException as exc:
            raise HTTPException(str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        self.http.close()


def _number(text: str, base: int) -> int:
    try:
        value = int(text, base)
    except ValueError:
        raise HTTPException(f"not a number in the answer's head: {text[:40]!r}") from None
    if value < 0:
        raise HTTPException(f"a negative number in the answer's head: {text!r}")
    return value
