"""opa_http against a real OPA server, and against what is not one."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from compiler import opa_http, tools

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def opa(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policy")
    (folder / "p.rego").write_text("package t\n\nanswer := {\"doubled\": input.n * 2}\n"
                                   "conflict := 1 if input.both\nconflict := 2 if input.both\n")
    with socket.socket() as free:
        free.bind((tools.OPA_HOST, 0))
        port = free.getsockname()[1]
    server = subprocess.Popen([str(tools.path("opa")), "run", "--server", "--addr", f"{tools.OPA_HOST}:{port}",
                               "--skip-version-check", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = opa_http.Connection(f"http://{tools.OPA_HOST}:{port}", timeout=5)
    try:
        for _ in range(500):
            if connection.healthy():
                break
            threading.Event().wait(0.02)
        yield connection
    finally:
        connection.close()
        server.terminate()
        server.wait(10)


def test_a_rule_is_queried_with_its_input(opa):
    assert opa.query("t", "answer", {"n": 21}) == {"result": {"doubled": 42}}
    assert opa.query("t", "missing", {}) == {}  # undefined: no result
    assert opa.policies() and opa.healthy()


def test_an_error_of_evaluation_is_refused_with_what_opa_said(opa):
    with pytest.raises(opa_http.OpaRefused) as refused:
        opa.query("t", "conflict", {"both": True})
    assert refused.value.status == 500 and "eval_conflict_error" in refused.value.body


def test_nothing_listening_is_an_os_error_and_unhealthy():
    with socket.socket() as free:
        free.bind((tools.OPA_HOST, 0))
        port = free.getsockname()[1]
    connection = opa_http.Connection(f"http://{tools.OPA_HOST}:{port}", timeout=1)
    assert not connection.healthy()
    with pytest.raises(OSError):
        connection.policies()


@pytest.mark.parametrize("url", ["ftp://opa:8181", "http://", "file:///tmp/x"])
def test_only_http_urls_with_a_host(url):
    with pytest.raises(opa_http.UrlError):
        opa_http.Connection(url, timeout=1)


def test_the_asyncio_client_and_aiohttp_are_not_imported():
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom compiler.opa_http import Connection\n"
                           "Connection('http://127.0.0.1:1', 1)\n"
                           "print('aiohttp' in sys.modules)"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
