"""Kafka Connect: a KafkaConnect is read with Strimzi's defaults and refusals, compiled to a
chart of its own whose worker properties hold no secret, its build context's fetch step checks
checksums, and the connectors Job is idempotent against a REST API."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import unquote

import pytest

from compiler.check_options import CheckOptions
from compiler.load import load_text
from compiler.pipeline import read_documents
from compiler.load import Documents
from compiler.plan import plan
from compiler.plan.connect import build_files, connectors_values, worker_properties

from .conftest import EXAMPLES
from .util import compiled_manifests

CHART_FILES = Path(__file__).parent.parent / "charts" / "connect" / "files"

CONNECT = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaConnect
metadata:
  name: pipeline
  annotations:
    strimzi.io/use-connector-resources: "true"
spec:
  replicas: 1
  bootstrapServers: {bootstrap}
{extra}"""


def _read(text: str):
    documents, findings = load_text(text, "spec.yaml")
    assert findings == []
    return read_documents(Documents(documents, []))


def _connect_spec(extra: str = "", bootstrap: str = "remote:9092") -> str:
    return CONNECT.format(bootstrap=bootstrap, extra=extra)


def _errors(findings) -> list[tuple[str, tuple]]:
    return [(f.rule, f.path) for f in findings if f.is_error]


# --- reading -------------------------------------------------------------------------------

def test_strimzi_defaults_apply_and_v1_fields_name_the_group_and_topics():
    model, findings = _read(_connect_spec("  groupId: g\n  configStorageTopic: c\n"))
    assert _errors(findings) == []
    connect = model.connects[0]
    assert connect.replicas == 1 and connect.image == "apache/kafka:4.3.1"
    assert connect.config["group.id"] == "g" and connect.config["config.storage.topic"] == "c"
    assert connect.config["status.storage.topic"] == "connect-cluster-status"
    assert connect.config["config.storage.replication.factor"] == "3"


@pytest.mark.parametrize("option", ["ssl.keystore.location", "sasl.jaas.config", "plugin.path", "rest.port",
                                    "bootstrap.servers", "producer.interceptor.classes"])
def test_options_strimzi_sets_itself_are_refused_at_their_key(option):
    model, findings = _read(_connect_spec(f"  config:\n    {option}: x\n"))
    assert model is None
    [finding] = [f for f in findings if f.is_error]
    assert (finding.rule, finding.path) == ("connect.config-forbidden", ("spec", "config", option))
    assert (finding.span.line, finding.span.col) == (11, 5)
    assert "reserved prefixes" in finding.expected


def test_the_options_strimzi_lets_through_are_kept():
    model, findings = _read(_connect_spec("  config:\n    ssl.endpoint.identification.algorithm: \"\"\n"
                                          "    key.converter.schemas.enable: false\n"))
    assert _errors(findings) == []
    assert model.connects[0].config["key.converter.schemas.enable"] == "false"


def test_a_v1_field_and_the_same_option_in_config_are_refused():
    _, findings = _read(_connect_spec("  groupId: g\n  config:\n    group.id: h\n"))
    assert _errors(findings) == [("connect.config-twice", ("spec", "config", "group.id"))]


def test_scram_without_a_password_secret_names_what_it_needs():
    _, findings = _read(_connect_spec("  authentication:\n    type: scram-sha-512\n    username: u\n"))
    [finding] = [f for f in findings if f.is_error]
    assert finding.rule == "connect.authentication" and "passwordSecret" in finding.expected


def test_an_unsupported_authentication_type_is_refused_with_the_accepted_ones():
    _, findings = _read(_connect_spec("  authentication:\n    type: oauth\n"))
    [finding] = [f for f in findings if f.is_error]
    assert finding.rule == "schema.enum" and finding.path == ("spec", "authentication", "type")
    assert "scram-sha-512" in finding.expected and "plain" in finding.expected


def test_a_version_kafkac_does_not_run_is_refused():
    _, findings = _read(_connect_spec("  version: 3.1.0\n"))
    assert _errors(findings) == [("connect.version", ("spec", "version"))]


def test_a_maven_artifact_is_fetched_from_maven_central_by_its_coordinates():
    model, _ = _read(_connect_spec(
        "  build:\n    output: {type: docker, image: r/i:1}\n    plugins:\n      - name: p\n        artifacts:\n"
        "          - {type: maven, group: org.apache.kafka, artifact: connect-file, version: 4.3.1}\n"))
    [artifact] = model.connects[0].build.plugins[0].artifacts
    assert artifact.url == ("https://repo1.maven.org/maven2/org/apache/kafka/connect-file/4.3.1/"
                            "connect-file-4.3.1.jar")
    assert model.connects[0].image == "r/i:1"


def test_each_maven_artifact_is_warned_about_as_its_own_jar_without_dependencies():
    _, findings = _read(_connect_spec(
        "  build:\n    output: {type: docker, image: r/i:1}\n    plugins:\n      - name: p\n        artifacts:\n"
        "          - {type: maven, group: io.debezium, artifact: debezium-connector-mysql, version: 3.1.0.Final}\n"
        "          - {type: jar, url: \"https://x/a.jar\"}\n"
        "          - {type: maven, group: org.apache.kafka, artifact: connect-file, version: 4.3.1}\n"))
    assert _errors(findings) == []
    assert [(f.rule, f.path, f.span.line, f.span.col, f.is_error) for f in findings] == [
        ("connect.maven-dependencies", ("spec", "build", "plugins", 0, "artifacts", i), line, 13, False)
        for i, line in ((0, 15), (2, 17))]
    first = findings[0]
    assert first.message.startswith("maven artifact io.debezium:debezium-connector-mysql:3.1.0.Final: the build "
                                    "fetches its own jar only, not the runtime dependencies")
    assert "mvn dependency:copy-dependencies" in first.message and "NoClassDefFoundError" in first.message
    assert "type jar or maven" in first.expected and "tgz or zip archive" in first.expected


PROVIDERS = """\
  config:
    config.providers: secrets,configmaps,env
    config.providers.secrets.class: io.strimzi.kafka.KubernetesSecretConfigProvider
    config.providers.configmaps.class: io.strimzi.kafka.KubernetesConfigMapConfigProvider
    config.providers.env.class: org.apache.kafka.common.config.provider.EnvVarConfigProvider
"""
TOPOLOGY_RACK = "  rack: {topologyKey: topology.kubernetes.io/zone}\n"


def _provider_warnings(findings) -> list:
    return [f for f in findings if f.rule == "connect.kubernetes-config-provider"]


def test_strimzis_kubernetes_config_providers_are_warned_about_at_their_class():
    _, findings = _read(_connect_spec(PROVIDERS))
    assert _errors(findings) == []
    secrets, config_maps = _provider_warnings(findings)
    assert not secrets.is_error
    assert secrets.path == ("spec", "config", "config.providers.secrets.class")
    assert (secrets.span.line, secrets.span.col) == (12, 5)
    assert config_maps.path == ("spec", "config", "config.providers.configmaps.class")
    assert secrets.message == (
        "config provider secrets is Strimzi's io.strimzi.kafka.KubernetesSecretConfigProvider: the image "
        "apache/kafka:4.3.1 does not carry it (Strimzi's images do), so the workers fail at start, and the pods "
        "mount no ServiceAccount token (automountServiceAccountToken: false) for it to read a Secret from the "
        "Kubernetes API with")
    assert "a ConfigMap" in config_maps.message
    assert "strimzidir" in secrets.expected and "template.pod.volumes" in secrets.expected
    assert "spec.image naming an image that carries the provider" in secrets.expected


@pytest.mark.parametrize("extra, image_missing, token_missing", [
    ("  build:\n    output: {type: docker, image: r/i:1}\n    plugins:\n      - name: p\n        artifacts:\n"
     "          - {type: jar, url: \"https://x/a.jar\"}\n", True, True),
    ("  image: quay.io/strimzi/kafka:0.48.0-kafka-4.1.0\n", False, True),
    (TOPOLOGY_RACK, True, False),
    ("  build:\n    output: {type: docker, image: r/i:1}\n    plugins:\n      - name: k8s-config\n"
     "        artifacts:\n          - type: tgz\n            url: https://github.com/strimzi/"
     "kafka-kubernetes-config-provider/releases/download/1.2.0/kafka-kubernetes-config-provider-1.2.0.tar.gz\n",
     False, True),
    ("  image: quay.io/strimzi/kafka:0.48.0-kafka-4.1.0\n" + TOPOLOGY_RACK, False, False),
], ids=["build-on-apache-kafka", "an-image-of-strimzi", "a-token", "a-build-that-brings-it", "an-image-and-a-token"])
def test_the_warning_names_what_the_workers_lack(extra, image_missing, token_missing):
    _, findings = _read(_connect_spec(PROVIDERS + extra))
    assert _errors(findings) == []
    warnings = _provider_warnings(findings)
    assert len(warnings) == (2 if image_missing or token_missing else 0)
    for finding in warnings:
        assert ("does not carry it" in finding.message) == image_missing
        assert ("no ServiceAccount token" in finding.message) == token_missing
        assert ("spec.image" in finding.expected) == image_missing
    if image_missing and "build" in extra:
        assert "the image r/i:1 (spec.build's, on apache/kafka:4.3.1) does not carry it" in warnings[0].message


def test_a_kubernetes_provider_the_workers_do_not_list_is_no_concern():
    _, findings = _read(_connect_spec(PROVIDERS.replace("secrets,configmaps,env", "env")))
    assert _provider_warnings(findings) == []


def test_connectors_join_their_connect_by_label_and_without_the_annotation_are_not_applied():
    connector = ("---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaConnector\nmetadata:\n  name: src\n"
                 "  labels: {strimzi.io/cluster: pipeline}\nspec:\n  class: C\n  state: paused\n")
    model, findings = _read(_connect_spec() + connector)
    assert [c.name for c in model.connects[0].connectors] == ["src"]
    without = _connect_spec().replace('    strimzi.io/use-connector-resources: "true"\n', "    a: b\n")
    model, findings = _read(without + connector)
    assert model.connects[0].connectors == ()
    assert [f.rule for f in findings] == ["connect.connector-resources"]


# --- against the Kafka of the same input -----------------------------------------------------

KAFKA = (EXAMPLES / "secure" / "kafka.yaml").read_text() + "\n---\n" + \
    (EXAMPLES / "secure" / "node-pools.yaml").read_text() + "\n---\n"


@pytest.mark.parametrize("bootstrap, extra, rule", [
    ("secure-kafka-bootstrap:9999", "", "connect.listener"),
    ("secure-kafka-bootstrap:9093", "  authentication: {type: scram-sha-512, username: u, "
                                    "passwordSecret: {secretName: s, password: p}}\n", "connect.listener-tls"),
    ("secure-kafka-bootstrap.kafka.svc:9093", "  tls: {}\n", "connect.listener-authentication"),
])
def test_a_connect_is_checked_against_the_listener_it_names(bootstrap, extra, rule):
    _, findings = _read(KAFKA + _connect_spec(extra, bootstrap))
    assert [f.rule for f in findings if f.is_error] == [rule]


def test_the_example_matches_its_cluster():
    text = KAFKA + (EXAMPLES / "connect" / "connect.yaml").read_text()
    model, findings = _read(text)
    assert _errors(findings) == []
    assert model.connects[0].kafka_cluster == "secure"


# --- the chart ------------------------------------------------------------------------------

def _example():
    model, findings = _read((EXAMPLES / "connect" / "connect.yaml").read_text() + "\n---\n"
                            + (EXAMPLES / "connect" / "connectors.yaml").read_text())
    assert _errors(findings) == []
    return model.connects[0]


def test_a_connect_is_a_chart_of_its_own_named_as_strimzi_names_its_workers():
    [chart] = plan([], [_example()])
    assert (chart.name, chart.library) == ("orders-pipeline-connect", "connect")
    assert chart.values["services"]["api"] == {"name": "orders-pipeline-connect-api", "port": 8083,
                                               "portName": "rest-api", "labels": {}, "annotations": {}}
    assert chart.values["workers"]["name"] == "orders-pipeline-connect"


def test_worker_properties_name_the_password_and_never_hold_it():
    text = worker_properties(_example())
    assert 'password="${strimzidir:/opt/kafka/connect-password/orders-pipeline:password}"' in text
    for prefix in ("", "producer.", "consumer.", "admin."):
        assert f"\n{prefix}security.protocol=SASL_SSL\n" in "\n" + text
    assert "config.providers=strimzienv,strimzifile,strimzidir\n" in text


def test_the_build_context_pins_every_artifact():
    files = build_files(_example())
    assert set(files) == {"build/Containerfile", "build/fetch-plugins.sh", "build/plugins.txt"}
    assert files["build/Containerfile"].count("FROM apache/kafka:4.3.1") == 1
    lines = files["build/plugins.txt"].splitlines()
    assert [line.split()[:2] for line in lines] == [["file-connectors", "maven"], ["debezium-postgres", "tgz"]]
    assert all(len(line.split()[3]) == 128 for line in lines)


def test_with_a_build_spec_image_is_the_base_and_the_workers_run_what_the_build_makes():
    text = (EXAMPLES / "connect" / "connect.yaml").read_text().replace(
        "spec:\n", "spec:\n  image: registry.example.com/kafka-base:4.3.1\n", 1)
    model, findings = _read(text)
    assert _errors(findings) == []
    (connect,) = model.connects
    assert connect.image == connect.build.image != "registry.example.com/kafka-base:4.3.1"
    assert "FROM registry.example.com/kafka-base:4.3.1\n" in build_files(connect)["build/Containerfile"]


# --- the build context's fetch step -----------------------------------------------------------

class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Files(*a, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _fetch(tmp_path: Path, lines: list[str]) -> subprocess.CompletedProcess:
    (tmp_path / "plugins.txt").write_text("\n".join(lines) + "\n")
    return subprocess.run(["sh", str(CHART_FILES / "fetch-plugins.sh"), str(tmp_path / "plugins.txt"),
                           str(tmp_path / "plugins")], capture_output=True, text=True, timeout=60)


def test_fetch_places_a_download_whose_checksum_matches(tmp_path, file_server):
    served, url = file_server
    (served / "a.jar").write_bytes(b"jar bytes")
    digest = subprocess.run(["sha512sum", str(served / "a.jar")], capture_output=True, text=True).stdout.split()[0]
    done = _fetch(tmp_path, [f"p jar a.jar {digest} {url}/a.jar"])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "plugins" / "p" / "a.jar").read_bytes() == b"jar bytes"


def test_fetch_refuses_a_download_whose_checksum_differs(tmp_path, file_server):
    served, url = file_server
    (served / "a.jar").write_bytes(b"tampered")
    done = _fetch(tmp_path, [f"p jar a.jar {'0' * 128} {url}/a.jar"])
    assert done.returncode != 0
    assert "refusing to build" in done.stderr
    assert not (tmp_path / "plugins" / "p" / "a.jar").exists()


# --- the connectors Job --------------------------------------------------------------------------

class FakeConnect:
    """Kafka Connect's REST API, as much of it as the connectors Job uses."""

    def __init__(self):
        self.connectors: dict[str, dict] = {}
        self.writes: list[str] = []

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, object]:
        parts = [unquote(part) for part in path.split("?")[0].strip("/").split("/")]
        if parts == ["connectors"] and method == "GET":
            return 200, sorted(self.connectors)  # sent as Connect does: compact, no final line break
        name = parts[1]
        connector = self.connectors.get(name)
        if method != "GET":
            self.writes.append(f"{method} {path}")
        if parts[2:] == ["config"] and method == "PUT":
            created = connector is None
            self.connectors[name] = {"config": json.loads(body), "state": "RUNNING"} if created else \
                {**connector, "config": json.loads(body)}
            return (201 if created else 200), {"name": name}
        if connector is None:
            return 404, {"error_code": 404, "message": f"Connector {name} not found"}
        if parts[2:] == ["config"]:
            return 200, connector["config"]
        if parts[2:] == ["status"]:
            return 200, {"name": name, "connector": {"state": connector["state"], "worker_id": "w:8083"}, "tasks": []}
        if parts[2:] in (["pause"], ["resume"], ["stop"]):
            connector["state"] = {"pause": "PAUSED", "resume": "RUNNING", "stop": "STOPPED"}[parts[2]]
            return 202, None
        if method == "DELETE" and parts[2:] == []:
            del self.connectors[name]
            return 204, None
        return 405, None


@pytest.fixture
def fake_connect():
    api = FakeConnect()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = api.handle(self.command, self.path, self.rfile.read(length))
            data = b"" if answer is None else json.dumps(answer, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = _serve

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield api, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _apply(tmp_path: Path, url: str, connect) -> list[dict]:
    """Run connectors-apply.sh as the Job does, with the files its ConfigMap holds."""
    values = connectors_values(connect)
    job_dir = tmp_path / "job"
    shutil.rmtree(job_dir, ignore_errors=True)
    job_dir.mkdir()
    for name in ("connectors-apply.sh", "log.sh"):
        shutil.copy(CHART_FILES / name, job_dir / name)
    (job_dir / "connectors.txt").write_text("".join(
        f"{c['name']} {c['state']} {str(c['autoRestart']).lower()}{' ' + c['file'] if 'file' in c else ''}\n"
        for c in values["connectors"]))
    for c in values["connectors"]:
        (job_dir / c.get("file", f"{c['name']}.json")).write_text(c["config"])
    done = subprocess.run(["sh", str(job_dir / "connectors-apply.sh")], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "KAFKAC_CONNECT_API": url, "KAFKAC_CONNECTORS_DIR": str(job_dir),
                               "KAFKAC_MANAGED_BY": values["managedBy"], "KAFKAC_WAIT_SECONDS": "4"})
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _with_connectors(connect, **changes):
    from dataclasses import replace
    return replace(connect, connectors=tuple(replace(c, **changes.get(c.name, {})) for c in connect.connectors
                                             if changes.get(c.name) != "removed"))


def test_connectors_are_created_then_left_alone_then_changed(tmp_path, fake_connect):
    api, url = fake_connect
    connect = _example()
    first = _apply(tmp_path, url, connect)
    assert [(r["connector"], r["action"], r["state"]) for r in first] == [
        ("orders-file-source", "created", "RUNNING"), ("orders-file-sink", "created", "RUNNING")]
    writes = len(api.writes)
    second = _apply(tmp_path, url, connect)
    assert [r["action"] for r in second] == ["unchanged", "unchanged"]
    assert len(api.writes) == writes, "a run with nothing changed wrote to the REST API"
    paused = _apply(tmp_path, url, _with_connectors(connect, **{"orders-file-sink": {"state": "paused"}}))
    assert [(r["action"], r["state"]) for r in paused] == [("unchanged", "RUNNING"), ("pause", "PAUSED")]
    resumed = _apply(tmp_path, url, connect)
    assert [(r["action"], r["state"]) for r in resumed] == [("unchanged", "RUNNING"), ("resume", "RUNNING")]
    changed = _apply(tmp_path, url, _with_connectors(connect, **{"orders-file-source": {"tasks_max": 2}}))
    assert changed[0]["action"] == "updated"
    assert api.connectors["orders-file-source"]["config"]["tasks.max"] == "2"


def test_only_connectors_the_chart_created_are_deleted(tmp_path, fake_connect):
    api, url = fake_connect
    connect = _example()
    _apply(tmp_path, url, connect)
    api.connectors["by-hand"] = {"config": {"connector.class": "X"}, "state": "RUNNING"}
    # The removed connector comes last in the REST API's list, which ends without a line break.
    result = _apply(tmp_path, url, _with_connectors(connect, **{"orders-file-source": "removed"}))
    assert {(r["connector"], r["action"]) for r in result} == {
        ("orders-file-sink", "unchanged"), ("orders-file-source", "deleted"), ("by-hand", "not-managed")}
    assert sorted(api.connectors) == ["by-hand", "orders-file-sink"]


@pytest.mark.parametrize("extra, rule", [
    ("  template:\n    connectContainer:\n      env:\n        - {name: KAFKA_HEAP_OPTS, value: x}\n",
     "connect.env-reserved"),
    ("  template:\n    connectContainer:\n      volumeMounts:\n        - {name: v, mountPath: /opt/kafka}\n",
     "connect.volume-mount"),
    ("  build:\n    output: {type: imagestream, image: quay.io/x/y:1}\n    plugins:\n      - name: p\n"
     "        artifacts:\n          - {type: jar, url: \"https://x/a.jar\"}\n", "connect.image-stream"),
])
def test_what_strimzi_refuses_in_a_connects_template_and_build_is_refused(extra, rule):
    _, findings = _read(_connect_spec(extra))
    assert [f.rule for f in findings if f.is_error] == [rule]


def test_kafka_opts_is_the_users_and_the_refusal_names_it():
    model, findings = _read(_connect_spec(
        "  template:\n    connectContainer:\n      env:\n        - {name: KAFKA_OPTS, value: -javaagent:/mnt/a.jar}\n"
        "        - {name: KAFKAC_WORK_DIR, value: /tmp}\n"))
    [finding] = [f for f in findings if f.is_error]
    assert finding.path == ("spec", "template", "connectContainer", "env", 1, "name")
    assert finding.message == ("environment variable KAFKAC_WORK_DIR is reserved: names starting with KAFKA_, "
                               "STRIMZI_ or KAFKAC_, other than KAFKA_OPTS, are set by kafkac")
    assert finding.expected == "KAFKA_OPTS, or a name that does not start with KAFKA_, STRIMZI_ or KAFKAC_"
    model, findings = _read(_connect_spec(
        "  template:\n    connectContainer:\n      env:\n        - {name: KAFKA_OPTS, value: -javaagent:/mnt/a.jar}\n"))
    assert _errors(findings) == [] and model.connects


def test_a_kafka_opts_of_the_container_reaches_the_workers_once_beside_the_system_properties(
        tmp_path, installed_tools):
    spec = tmp_path / "connect.yaml"
    spec.write_text(_connect_spec(
        "  jvmOptions:\n    javaSystemProperties:\n      - {name: networkaddress.cache.ttl, value: \"30\"}\n"
        "  template:\n    connectContainer:\n      env:\n"
        "        - {name: KAFKA_OPTS, value: -javaagent:/mnt/otel/opentelemetry-javaagent.jar}\n"))
    manifests = compiled_manifests(spec, tmp_path / "out", check=CheckOptions(profile="dev"))
    [workers] = [m for m in manifests if m["kind"] == "StatefulSet"]
    env = workers["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["value"] for e in env if e["name"] == "KAFKA_OPTS"] == [
        "-javaagent:/mnt/otel/opentelemetry-javaagent.jar"]
    assert {"name": "KAFKAC_JAVA_SYSTEM_PROPERTIES", "value": "-Dnetworkaddress.cache.ttl=30"} in env


def test_connect_run_keeps_the_containers_kafka_opts_and_adds_kafkacs(tmp_path):
    home, config = tmp_path / "kafka", tmp_path / "config"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "connect-distributed.sh").write_text('#!/bin/sh\necho "KAFKA_OPTS=$KAFKA_OPTS"\n')
    (home / "bin" / "connect-distributed.sh").chmod(0o755)
    config.mkdir()
    (config / "worker.properties").write_text("bootstrap.servers=k:9092\n")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("connect-run.sh", "log.sh"):
        shutil.copy(CHART_FILES / name, scripts / name)
    base = {"PATH": "/usr/bin:/bin", "POD_NAME": "p-connect-0", "POD_NAMESPACE": "ns", "KAFKA_HOME": str(home),
            "KAFKAC_HEADLESS_SERVICE": "p-connect", "KAFKAC_CONFIG_DIR": str(config),
            "KAFKAC_WORK_DIR": str(tmp_path / "work")}
    kafkacs = {"KAFKAC_JAVA_SYSTEM_PROPERTIES": "-Dnetworkaddress.cache.ttl=30",
               "KAFKAC_METRICS_AGENT_OPTS": "-javaagent:/opt/kafka/metrics-agent/agent.jar=9404:/m/c.yml"}
    for variables, expected in [
        ({"KAFKA_OPTS": "-javaagent:/mnt/otel/agent.jar -Dotel.service.name=p", **kafkacs},
         "-javaagent:/mnt/otel/agent.jar -Dotel.service.name=p -Dnetworkaddress.cache.ttl=30 "
         "-javaagent:/opt/kafka/metrics-agent/agent.jar=9404:/m/c.yml"),
        ({"KAFKA_OPTS": "-javaagent:/mnt/otel/agent.jar"}, "-javaagent:/mnt/otel/agent.jar"),
        (kafkacs, "-Dnetworkaddress.cache.ttl=30 -javaagent:/opt/kafka/metrics-agent/agent.jar=9404:/m/c.yml"),
        ({}, ""),
    ]:
        done = subprocess.run(["sh", str(scripts / "connect-run.sh")], capture_output=True, text=True, timeout=30,
                              env={**base, **variables})
        assert done.returncode == 0, done.stderr
        assert f"KAFKA_OPTS={expected}\n" in done.stdout


def test_an_image_with_a_line_break_is_refused():
    _, findings = _read(_connect_spec('  image: "a\\nRUN x"\n'))
    assert [f.rule for f in findings if f.is_error] == ["schema.pattern"]


def test_connect_run_adds_the_pods_address_and_rack_and_joins_the_trusted_certificates(tmp_path):
    home, config, certs, work = (tmp_path / d for d in ("kafka", "config", "certs", "work"))
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "connect-distributed.sh").write_text('#!/bin/sh\ncat "$1"\necho "CLASSPATH=$CLASSPATH"\n')
    (home / "bin" / "connect-distributed.sh").chmod(0o755)
    config.mkdir()
    (config / "worker.properties").write_text("bootstrap.servers=k:9093\n")
    (certs / "ca").mkdir(parents=True)
    (certs / "ca" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n")
    (certs / "ca" / "more.crt").write_text("-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n")
    (certs / "ca" / "ca.password").write_text("not a certificate")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("connect-run.sh", "log.sh"):
        shutil.copy(CHART_FILES / name, scripts / name)
    done = subprocess.run(["sh", str(scripts / "connect-run.sh")], capture_output=True, text=True, timeout=30, env={
        "PATH": "/usr/bin:/bin", "POD_NAME": "p-connect-0", "POD_NAMESPACE": "ns", "KAFKA_HOME": str(home),
        "KAFKAC_HEADLESS_SERVICE": "p-connect", "KAFKAC_CONFIG_DIR": str(config), "KAFKAC_WORK_DIR": str(work),
        "KAFKAC_TRUSTED_CERTIFICATES": f"{certs}/ca/*.crt", "KAFKAC_TRUSTSTORE": str(work / "trusted.pem"),
        "KAFKAC_RACK_ENV_VAR": "ZONE", "ZONE": "zone-a", "KAFKAC_METRICS_CLASSPATH": "/opt/kafka/metrics-agent/*"})
    assert done.returncode == 0, done.stderr
    assert "rest.advertised.host.name=p-connect-0.p-connect.ns.svc\n" in done.stdout
    assert "consumer.client.rack=zone-a\n" in done.stdout
    assert "CLASSPATH=/opt/kafka/metrics-agent/*" in done.stdout
    assert (work / "trusted.pem").read_text().count("BEGIN CERTIFICATE") == 2


def test_connect_run_refuses_a_trusted_certificate_that_is_not_there(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "worker.properties").write_text("")
    for name in ("connect-run.sh", "log.sh"):
        shutil.copy(CHART_FILES / name, scripts / name)
    done = subprocess.run(["sh", str(scripts / "connect-run.sh")], capture_output=True, text=True, timeout=30, env={
        "PATH": "/usr/bin:/bin", "POD_NAME": "p-connect-0", "POD_NAMESPACE": "ns",
        "KAFKAC_HEADLESS_SERVICE": "p-connect", "KAFKAC_CONFIG_DIR": str(tmp_path / "config"),
        "KAFKAC_WORK_DIR": str(tmp_path / "work"), "KAFKAC_TRUSTED_CERTIFICATES": f"{tmp_path}/certs/ca/ca.crt",
        "KAFKAC_TRUSTSTORE": str(tmp_path / "work" / "trusted.pem")})
    assert done.returncode != 0
    assert "no trusted certificate matches ca.crt in Secret ca" in done.stderr
