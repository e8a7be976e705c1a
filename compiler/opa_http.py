"""OPA's REST API, spoken with the standard library's HTTP client.

kafkac asks an OPA server three things: whether it is up (`GET /health`),
whether it answers at all (`GET /v1/policies`, for a server given by URL), and
a rule's value (`POST /v1/data/<path>`). One keep-alive connection serves a
run's requests. A general client library would cost more to import than a
whole `kafkac check` takes (the one kafkac used imports aiohttp).
"""

from __future__ import annotations

import json
from http.client import HTTPConnection, HTTPException, HTTPSConnection, RemoteDisconnected
from urllib.parse import urlsplit

__all__ = ["Connection", "HTTPException", "OpaRefused", "UrlError"]


class UrlError(ValueError):
    """Not an http:// or https:// URL with a host."""


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
        if parts.scheme == "https":
            self._http = HTTPSConnection(parts.hostname, port, timeout=timeout)
        else:
            self._http = HTTPConnection(parts.hostname, port, timeout=timeout)
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

    def _exchange(self, method: str, path: str, body: bytes | None, headers: dict):
        try:
            self._http.request(method, path, body=body, headers=headers)
            response = self._http.getresponse()
            return response, response.read()
        except (OSError, HTTPException):
            self.close()  # the next request opens a fresh connection
            raise

    def _request(self, method: str, path: str, body: bytes | None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            response, said = self._exchange(method, path, body, headers)
        except (RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not self._used:
                raise
            # The server closed the kept-alive connection between two requests: once more, anew.
            response, said = self._exchange(method, path, body, headers)
        self._used = True
        if response.status >= 400:
            raise OpaRefused(response.status, said.decode(errors="replace"))
        return json.loads(said) if said else None
