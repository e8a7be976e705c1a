"""opa_http speaks HTTP/1.1 as a Go server answers: with a length, in chunks, or until it closes."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from compiler.opa_http import Connection, HTTPException, OpaRefused, UrlError


@contextmanager
def server(*answers: bytes) -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server that answers each request it reads with the next of `answers`
    (a None closes the connection at once); yields its port and the requests it read."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    seen: list[bytes] = []

    def serve() -> None:
        pending = list(answers)
        while pending:
            connection, _ = listener.accept()
            with connection, connection.makefile("rb") as reader:
                while pending:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = reader.readline()
                        if not line:
                            break
                        head += line
                    if not head:
                        break
                    length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")]
                    seen.append(head + (reader.read(length[0]) if length else b""))
                    answer = pending.pop(0)
                    if answer is None:
                        break
                    connection.sendall(answer)
                    if b"Connection: close" in answer:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        listener.close()


def _answer(body: bytes, status: str = "200 OK", head: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{head}\r\n").encode() + body


def test_a_post_sends_json_and_reads_an_answer_of_known_length():
    with server(_answer(b'{"result": [1]}'), _answer(b"{}")) as (port, seen):
        connection = Connection(f"http://127.0.0.1:{port}", timeout=5)
        assert connection.post("/v1/data/a/b", {"input": {"x": "é"}}) == {"result": [1]}
        assert connection.get("/health") == {}  # the same connection, kept alive
        connection.close()
    assert seen[0].startswith(b"POST /v1/data/a/b HTTP/1.1\r\n")
    assert json.loads(seen[0].split(b"\r\n\r\n", 1)[1]) == {"input": {"x": "é"}}
    assert seen[1].startswith(b"GET /health HTTP/1.1\r\n")


def test_a_chunked_answer_is_put_together():
    body = json.dumps({"result": list(range(3000))}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                      for i in range(0, len(body), 1000))
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    with server(answer, _answer(b"{}")) as (port, _):
        connection = Connection(f"127.0.0.1:{port}", timeout=5)
        assert connection.post("/v1/data/x", {}) == {"result": list(range(3000))}
        assert connection.get("/health") == {}
        connection.close()


def test_an_answer_without_length_ends_with_the_connection():
    with server(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"a": 1}', _answer(b"{}")) as (port, _):
        connection = Connection(f"http://127.0.0.1:{port}", timeout=5)
        assert connection.get("/x") == {"a": 1}
        assert connection.get("/health") == {}  # a new connection
        connection.close()


def test_an_error_status_is_refused_with_what_opa_said():
    said = b'{"code": "invalid_parameter", "message": "bad"}'
    with server(_answer(said, "400 Bad Request")) as (port, _):
        connection = Connection(f"http://127.0.0.1:{port}", timeout=5)
        with pytest.raises(OpaRefused) as refused:
            connection.post("/v1/data/x", {})
        connection.close()
    assert refused.value.status == 400 and json.loads(refused.value.body)["message"] == "bad"


def test_a_kept_alive_connection_the_server_closed_is_opened_again():
    with server(_answer(b"{}"), None, _answer(b'{"b": 2}')) as (port, _):
        connection = Connection(f"http://127.0.0.1:{port}", timeout=5)
        assert connection.get("/health") == {}
        assert connection.get("/y") == {"b": 2}
        connection.close()


def test_nothing_listening_and_not_http_are_errors_and_unhealthy():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    connection = Connection(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(OSError):
        connection.get("/health")
    assert not connection.healthy()
    with server(b"SSH-2.0-OpenSSH\r\n\r\n") as (port, _):
        connection = Connection(f"http://127.0.0.1:{port}", timeout=5)
        with pytest.raises(HTTPException):
            connection.get("/health")


@pytest.mark.parametrize("url", ["ftp://host:1", "http://", "://x"])
def test_only_http_urls_with_a_host(url):
    with pytest.raises(UrlError):
        Connection(url, timeout=1)
