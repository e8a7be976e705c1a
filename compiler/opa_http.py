"""kafkac's client of OPA's REST API: opa-python-client's synchronous OpaClient.

kafkac asks an OPA server three things: whether it is up (`GET /health`),
whether it answers at all (`GET /v1/policies`, for a server given by URL), and
a rule's value (`POST /v1/data/<package>/<rule>`). Failures come out as the
three exceptions below (and OSError, which requests' errors are), so that the
callers never see the library's types.

The package's `__init__` also imports its asyncio client, and with it aiohttp:
0.4 s on every `kafkac check` and `compile`, for a client kafkac never uses.
`_sync_client_class` imports the synchronous client with that half stood in
for by an empty module.
"""

from __future__ import annotations

import sys
import types
from urllib.parse import urlsplit

__all__ = ["Connection", "HTTPException", "OpaRefused", "UrlError"]


class UrlError(ValueError):
    """Not an http:// or https:// URL with a host."""


class HTTPException(Exception):
    """The server's answer is not what OPA answers (not JSON, or no answer at all)."""


class OpaRefused(Exception):
    """OPA answered with an HTTP error status; `body` is what it said."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


def _sync_client_class():
    if "opa_client" not in sys.modules:
        asyncio_half = types.ModuleType("opa_client.opa_async")
        asyncio_half.AsyncOpaClient = None
        sys.modules.setdefault("opa_client.opa_async", asyncio_half)
    from opa_client.opa import OpaClient
    return OpaClient


class Connection:
    """The OPA at `url` (`http://host:port`, `https://...`; no scheme means http)."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UrlError(url)
        port = parts.port or (443 if parts.scheme == "https" else 8181)
        self._client = _sync_client_class()(host=parts.hostname, port=port, ssl=parts.scheme == "https",
                                            retries=0, timeout=timeout)

    def healthy(self) -> bool:
        """OPA answers `GET /health` with 200."""
        return self._client.check_health()

    def policies(self) -> list:
        """The modules the server holds (`GET /v1/policies`)."""
        return self._answer(self._client.get_policies_list)

    def query(self, package: str, rule: str, input_document) -> dict:
        """OPA's answer to `POST /v1/data/<package>/<rule>` with `input_document` as the input."""
        return self._answer(self._client.query_rule, input_document, package, rule)

    def close(self) -> None:
        self._client.close_connection()

    @staticmethod
    def _answer(request, *args):
        import requests

        try:
            return request(*args)
        except requests.HTTPError as exc:
            response = exc.response
            raise OpaRefused(response.status_code if response is not None else 0,
                             response.text if response is not None else str(exc)) from None
        except requests.JSONDecodeError as exc:
            raise HTTPException(f"the answer is not JSON: {exc}") from None
