"""Kafka Connect run for real (connect-spec/): a worker started with its chart's own start
script and configuration joins its group over TLS with SCRAM-SHA-512, with the FileStream
plugin fetched from Maven Central by the build context's own fetch step; the connectors Job's
script creates a source and a sink connector that move lines from a file through a topic to a
file, pauses and resumes one, deletes the one removed from the spec, and after a worker restart
finds nothing to create again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from compiler.pipeline import Options, compile_specs

from ..util import manifests_of
from . import kafka_tools, podrunner
from .conftest import NAMESPACE, boot, resolving

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "connect-spec"
CONNECT_DIST = Path(__file__).resolve().parent / "connect-dist"
CHART_FILES = Path(__file__).resolve().parents[2] / "charts" / "connect" / "files"
CLUSTER_CA_CERT = "linked-cluster-ca-cert"
PASSWORD = "pipeline-secret"
LINES = [f"line {i}" for i in range(20)]


@pytest.fixture(scope="module")
def kafka(e2e, tmp_path_factory):
    with boot(str(SPEC / "kafka"), e2e, tmp_path_factory.mktemp("connect-kafka"), address_block=20) as running:
        yield running


@pytest.fixture(scope="module")
def connect_chart(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("connect-chart")
    result = compile_specs(Options((str(SPEC / "connect"),), out, verify=False))
    assert result.ok, [f"{f.span}: {f.message}" for f in result.findings if f.is_error]
    (chart,) = result.charts
    return chart


def fetch(build: Path, plugins: Path, list_file: Path | None = None) -> subprocess.CompletedProcess:
    """The build context's fetch step, as the Containerfile runs it."""
    return subprocess.run(["sh", str(build / "fetch-plugins.sh"), str(list_file or build / "plugins.txt"),
                           str(plugins)], capture_output=True, text=True, timeout=300)


def test_the_fetch_step_refuses_a_wrong_checksum(connect_chart, tmp_path):
    build = connect_chart / "build"
    line = (build / "plugins.txt").read_text().split()
    line[3] = "0" * 128
    wrong = tmp_path / "plugins.txt"
    wrong.write_text(" ".join(line) + "\n")
    done = fetch(build, tmp_path / "plugins", wrong)
    assert done.returncode != 0 and "refusing to build" in done.stderr, done.stderr
    assert not list((tmp_path / "plugins").rglob("*.jar"))


@pytest.fixture(scope="module")
def connect_home(e2e, connect_chart, tmp_path_factory) -> Path:
    """The Connect image the build context makes: Kafka's, with the plugins the fetch step placed
    (checksums checked) in /opt/kafka/plugins, and Kafka's connect-distributed.sh."""
    home = tmp_path_factory.mktemp("connect-home")
    done = fetch(connect_chart / "build", home / "plugins")
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    kafka_home = e2e.kafka_home("4.3.1")
    for entry in kafka_home.iterdir():
        if entry.name != "bin":
            (home / entry.name).symlink_to(entry)
    shutil.copytree(kafka_home / "bin", home / "bin")
    shutil.copy2(CONNECT_DIST / "connect-distributed.sh", home / "bin" / "connect-distributed.sh")
    for path in [home, *home.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path.suffix == ".sh" else 0o644)
    return home


@pytest.fixture(scope="module")
def connect(e2e, kafka, connect_chart, connect_home, tmp_path_factory):
    kafka_tools.as_node(kafka, "linked", "kafka-configs.sh", "--alter", "--entity-type", "users",
                        "--entity-name", "pipeline",
                        "--add-config", f"SCRAM-SHA-512=[iterations=4096,password={PASSWORD}]")
    workers = podrunner.LocalCluster(
        connect_chart, tmp_path_factory.mktemp("connect-run"), kafka_home=connect_home, shim=e2e.shim,
        java_home=e2e.java_home, namespace=NAMESPACE,
        secrets={CLUSTER_CA_CERT: kafka.secrets[CLUSTER_CA_CERT], "pipeline": {"password": PASSWORD.encode()}},
        address_prefix=e2e.slot.address_prefix(21), registry=e2e.slot.registry)
    # One cluster DNS: the workers find the Kafka's Services and pods.
    workers.dns.update(kafka.dns)
    try:
        with resolving(workers):
            workers.start()
            workers.wait_ready(timeout=300)
            yield workers
    finally:
        workers.close()


def worker(workers) -> podrunner.Pod:
    return next(iter(workers.pods.values()))


def rest(workers, method: str, path: str):
    request = urllib.request.Request(f"http://{worker(workers).address}:8083{path}", method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as answer:
        body = answer.read()
    return json.loads(body) if body else None


def apply_connectors(workers, connect_chart: Path, folder: Path, *, states: dict | None = None,
                     removed: tuple[str, ...] = ()) -> list[dict]:
    """The connectors Job as the chart renders it: its ConfigMap's files and its script, run
    against the worker's REST API. `states` and `removed` change the spec the way an edit of the
    KafkaConnectors would."""
    manifests = manifests_of(connect_chart, namespace=NAMESPACE)
    data = next(m for m in manifests if m["kind"] == "ConfigMap"
                and m["metadata"]["name"] == "pipeline-connect-connectors")["data"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in data.items():
        (folder / name).write_text(text)
    lines = []
    for line in data["connectors.txt"].splitlines():
        name, state, restart = line.split()
        if name not in removed:
            lines.append(f"{name} {(states or {}).get(name, state)} {restart}")
    (folder / "connectors.txt").write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        ["sh", str(folder / "connectors-apply.sh")], capture_output=True, text=True, timeout=300,
        env={"PATH": os.environ["PATH"], "KAFKAC_CONNECT_API": f"http://{worker(workers).address}:8083",
             "KAFKAC_CONNECTORS_DIR": str(folder), "KAFKAC_MANAGED_BY": "pipeline", "KAFKAC_WAIT_SECONDS": "120"})
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_worker_joins_its_group_over_tls_with_scram(connect):
    pod = worker(connect)
    assert connect.probe(pod).ok
    assert rest(connect, "GET", "/health")["status"] == "healthy"
    log = pod.log_text()
    assert "SASL_SSL" in (connect.host_path(pod, "/tmp/kafka/connect.properties").read_text())
    assert PASSWORD not in log


def test_connectors_move_lines_through_a_topic_pause_resume_and_delete(connect, connect_chart, tmp_path):
    pod = worker(connect)
    source = connect.host_path(pod, "/tmp/lines-in.txt")
    source.write_text("\n".join(LINES) + "\n")
    os.chmod(source, 0o666)
    created = apply_connectors(connect, connect_chart, tmp_path / "job")
    assert {(r["connector"], r["action"]) for r in created} == {("lines-in", "created"), ("lines-out", "created")}
    sink = connect.host_path(pod, "/tmp/lines-out.txt")
    connect.wait_until(lambda: sink.is_file() and sink.read_text().splitlines() == LINES, 180,
                       "the sink connector writes every line of the source file")

    again = apply_connectors(connect, connect_chart, tmp_path / "job")
    assert [r["action"] for r in again] == ["unchanged", "unchanged"]

    paused = apply_connectors(connect, connect_chart, tmp_path / "job", states={"lines-out": "paused"})
    assert ("lines-out", "pause", "PAUSED") in {(r["connector"], r["action"], r["state"]) for r in paused}
    connect.wait_until(lambda: rest(connect, "GET", "/connectors/lines-out/status")["connector"]["state"] == "PAUSED",
                       60, "lines-out is paused")
    resumed = apply_connectors(connect, connect_chart, tmp_path / "job")
    assert ("lines-out", "resume", "RUNNING") in {(r["connector"], r["action"], r["state"]) for r in resumed}

    deleted = apply_connectors(connect, connect_chart, tmp_path / "job", removed=("lines-out",))
    assert ("lines-out", "deleted") in {(r["connector"], r["action"]) for r in deleted}
    assert rest(connect, "GET", "/connectors") == ["lines-in"]


def test_a_restarted_worker_creates_nothing_again(connect, connect_chart, tmp_path):
    pod = worker(connect)
    connect.stop_container(pod)
    connect.start_container(pod)
    connect.wait_ready([pod], timeout=300)
    result = apply_connectors(connect, connect_chart, tmp_path / "job", removed=("lines-out",))
    assert [(r["connector"], r["action"]) for r in result] == [("lines-in", "unchanged")]
