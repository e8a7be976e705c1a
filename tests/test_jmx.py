"""spec.kafka.jmxOptions: the JMX port of every Kafka node as Strimzi opens it, the credentials
Secret the certificates Job makes, and what kafka-run.sh gives the JVM, run with dash and BusyBox.
The end-to-end proof with a real JMX client is in tests/e2e/test_production.py. The same stand-in
server shows the KAFKA_OPTS kafka-run.sh gives it: the container's own, then kafkac's options."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import BUSYBOX, ROOT, with_busybox
from .util import compile_chart, manifests_of

FILES = ROOT / "charts" / "kafka" / "files"
SHELLS = [["dash"], with_busybox([BUSYBOX, "sh"])]

SPEC = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: dual-role
  labels:
    strimzi.io/cluster: dev
spec:
  replicas: 1
  roles: [controller, broker]
  storage:
    type: ephemeral
---
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: dev
  annotations:
    kafkac.io/profile: dev
spec:
  kafka:
    listeners:
      - name: plain
        port: 9092
        type: internal
        tls: false
        networkPolicyPeers:
          - podSelector:
              matchLabels: {app: client}
"""


def compiled(tmp_path: Path, jmx: str, template: str = "") -> tuple[dict, list[dict]]:
    spec = tmp_path / "kafka.yaml"
    spec.write_text(SPEC + jmx + template)
    chart = compile_chart(spec, tmp_path / "out", verify=False)
    return yaml.safe_load((chart / "values.yaml").read_text()), manifests_of(chart)


def of_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def kafka_container(manifests: list[dict]) -> dict:
    (sts,) = of_kind(manifests, "StatefulSet").values()
    return sts["spec"]["template"]["spec"]["containers"][0]


def job_steps(manifests: list[dict]) -> dict[str, dict]:
    job = of_kind(manifests, "Job")["dev-kafka-certificates"]["spec"]["template"]["spec"]
    return {c["name"]: c for c in job["initContainers"] + job["containers"]}


@pytest.fixture(scope="module")
def open_jmx(tmp_path_factory, installed_tools):
    return compiled(tmp_path_factory.mktemp("open"), "    jmxOptions: {}\n")


@pytest.fixture(scope="module")
def password_jmx(tmp_path_factory, installed_tools):
    return compiled(tmp_path_factory.mktemp("password"),
                    "    jmxOptions:\n      authentication:\n        type: password\n",
                    "    template:\n      jmxSecret:\n        metadata:\n"
                    "          labels: {team: ops, strimzi.io/cluster: other}\n"
                    "          annotations: {example.com/owner: ops}\n")


def test_every_node_and_the_headless_service_have_the_jmx_port_and_the_bootstrap_not(open_jmx):
    _, manifests = open_jmx
    assert {"name": "jmx", "containerPort": 9999, "protocol": "TCP"} in kafka_container(manifests)["ports"]
    services = of_kind(manifests, "Service")
    assert {"name": "jmx", "port": 9999, "targetPort": 9999, "protocol": "TCP"} in \
        services["dev-kafka-brokers"]["spec"]["ports"]
    assert 9999 not in [p["port"] for p in services["dev-kafka-bootstrap"]["spec"]["ports"]]


def test_the_network_policy_opens_the_jmx_port_to_everyone_as_strimzis(open_jmx):
    _, manifests = open_jmx
    (policy,) = of_kind(manifests, "NetworkPolicy").values()
    (rule,) = [r for r in policy["spec"]["ingress"] if r["ports"] == [{"port": 9999, "protocol": "TCP"}]]
    assert "from" not in rule


def test_without_authentication_there_is_no_secret_to_make_or_mount(open_jmx):
    values, manifests = open_jmx
    env = {e["name"]: e.get("value") for e in kafka_container(manifests)["env"]}
    assert env["KAFKAC_JMX_PORT"] == "9999" and "KAFKAC_JMX_SECRET_DIR" not in env
    assert values["certificates"]["jmx"] is None
    assert not [v for v in kafka_container(manifests)["volumeMounts"] if v["name"] == "jmx-secret"]
    assert all("KAFKAC_JMX_SECRET" not in {e["name"] for e in step["env"]} for step in job_steps(manifests).values())


def test_with_a_password_the_job_makes_the_secret_and_every_node_mounts_it(password_jmx):
    values, manifests = password_jmx
    assert "dev-kafka-jmx" not in of_kind(manifests, "Secret"), "no credentials in the chart"
    steps = job_steps(manifests)
    for name in ("fetch", "issue", "store"):
        assert {"name": "KAFKAC_JMX_SECRET", "value": "dev-kafka-jmx"} in steps[name]["env"]
    metadata = yaml.safe_load(next(e["value"] for e in steps["store"]["env"]
                                   if e["name"] == "KAFKAC_JMX_SECRET_METADATA"))
    # Strimzi's labels win over the template's.
    assert metadata["labels"]["team"] == "ops" and metadata["labels"]["strimzi.io/cluster"] == "dev"
    assert metadata["labels"]["strimzi.io/kind"] == "Kafka"
    assert metadata["labels"]["strimzi.io/component-type"] == "kafka"
    assert metadata["annotations"] == {"example.com/owner": "ops"}
    role = of_kind(manifests, "Role")["dev-kafka-certificates"]
    (get,) = [r for r in role["rules"] if r["verbs"] == ["get"] and r["resources"] == ["secrets"]]
    assert "dev-kafka-jmx" in get["resourceNames"]
    assert not [r for r in role["rules"] if r["verbs"] == ["update"] and "dev-kafka-jmx" in r["resourceNames"]]
    container = kafka_container(manifests)
    (sts,) = of_kind(manifests, "StatefulSet").values()
    (volume,) = [v for v in sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "jmx-secret"]
    assert volume["secret"] == {"secretName": "dev-kafka-jmx", "items": [
        {"key": "jmx-username", "path": "jmx-username"}, {"key": "jmx-password", "path": "jmx-password"}]}
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "jmx-secret"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["KAFKAC_JMX_SECRET_DIR"] == mount["mountPath"] and mount["readOnly"]
    # The credentials reach the JVM through files only, never the environment.
    assert not [e for e in container["env"] if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]]


def test_without_jmx_options_nothing_of_it_is_rendered(tmp_path, installed_tools):
    values, manifests = compiled(tmp_path, "")
    text = yaml.safe_dump(values)
    assert "9999" not in text and "KAFKAC_JMX" not in text and values["certificates"]["jmx"] is None


# ------------------------------------------------------------------ kafka-run.sh

# kafka-server-start.sh stand-in: what the JVM would be given, and the files the options name.
SERVER_STAND_IN = """#!/bin/sh
echo "server KAFKA_OPTS=${KAFKA_OPTS:-}"
echo "server KAFKA_JMX_OPTS=${KAFKA_JMX_OPTS:-}"
for option in ${KAFKA_JMX_OPTS:-}; do
  case $option in
    *.access.file=*|*.password.file=*) file=${option#*=}; echo "file ${option%%=*} $(stat -c %a "$file")"; cat "$file" ;;
  esac
done
"""


def run_kafka_run(shell: list[str], tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    if shutil.which(shell[0]) is None and not os.environ.get("CI"):
        pytest.skip(f"no {shell[0]} here (Debian's dash package; BusyBox: `python -m tests.host_tools install`)")
    home = tmp_path / "kafka"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "kafka-server-start.sh").write_text(SERVER_STAND_IN)
    (home / "bin" / "kafka-storage.sh").write_text('#!/bin/sh\necho "storage KAFKA_JMX_OPTS=${KAFKA_JMX_OPTS:-}"\n')
    for tool in (home / "bin").iterdir():
        tool.chmod(0o755)
    config = tmp_path / "config"
    config.mkdir()
    (config / "server.properties").write_text("process.roles=broker,controller\n")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("kafka-run.sh", "log.sh", "node-client.sh"):
        shutil.copy(FILES / name, scripts / name)
    path = os.environ["PATH"]
    if shell[0] == BUSYBOX:
        tools = tmp_path / "busybox-bin"
        tools.mkdir()
        for applet in ("awk", "cat", "chmod", "date", "mkdir", "rm", "sed", "stat", "tail", "sh"):
            (tools / applet).symlink_to(BUSYBOX)
        path = str(tools)
    base = {"PATH": path, "POD_NAME": "dev-dual-role-0", "POD_NAMESPACE": "kafka", "KAFKA_HOME": str(home),
            "KAFKAC_CLUSTER_ID": "abc", "KAFKAC_HEADLESS_SERVICE": "dev-kafka-brokers",
            "KAFKAC_CONTROLLER_VOTERS": "0@dev-dual-role-0:9090", "KAFKAC_LOG_DIRS": str(tmp_path / "data"),
            "KAFKAC_CONFIG_DIR": str(config), "KAFKAC_WORK_DIR": str(tmp_path / "work")}
    return subprocess.run([*shell, str(scripts / "kafka-run.sh")], capture_output=True, text=True,
                          env={**base, **env}, timeout=60)


def secret_dir(tmp_path: Path, user: str, password: str) -> Path:
    folder = tmp_path / "jmx"
    folder.mkdir()
    (folder / "jmx-username").write_text(user)
    (folder / "jmx-password").write_text(password)
    return folder


def options(done: subprocess.CompletedProcess, process: str, variable: str = "KAFKA_JMX_OPTS") -> list[str]:
    """What the stand-in `process` (server, or storage: its lines are logged) was given."""
    (line,) = [l for l in done.stdout.splitlines() if f"{process} {variable}=" in l]
    return line.split(f"{process} {variable}=", 1)[1].split()


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_open_jmx_is_one_port_without_ssl_or_authentication_for_the_server_alone(shell, tmp_path):
    done = run_kafka_run(shell, tmp_path, {"KAFKAC_JMX_PORT": "9999"})
    assert done.returncode == 0, done.stderr
    assert options(done, "storage") == []
    assert options(done, "server") == [
        "-Dcom.sun.management.jmxremote", "-Dcom.sun.management.jmxremote.port=9999",
        "-Dcom.sun.management.jmxremote.rmi.port=9999", "-Dcom.sun.management.jmxremote.ssl=false",
        "-Djava.rmi.server.hostname=dev-dual-role-0.dev-kafka-brokers.kafka.svc",
        "-Dcom.sun.management.jmxremote.authenticate=false"]


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_with_a_password_the_files_are_private_and_the_user_reads_only(shell, tmp_path):
    folder = secret_dir(tmp_path, "Ab3user", "p4ss.word_-")
    done = run_kafka_run(shell, tmp_path, {"KAFKAC_JMX_PORT": "9999", "KAFKAC_JMX_SECRET_DIR": str(folder)})
    assert done.returncode == 0, done.stderr
    work = tmp_path / "work"
    server = options(done, "server")
    assert server[-3:] == ["-Dcom.sun.management.jmxremote.authenticate=true",
                           f"-Dcom.sun.management.jmxremote.access.file={work}/jmx.access",
                           f"-Dcom.sun.management.jmxremote.password.file={work}/jmx.password"]
    assert "-Dcom.sun.management.jmxremote.ssl=false" in server
    assert "file -Dcom.sun.management.jmxremote.access.file 600\nAb3user readonly\n" in done.stdout
    assert "file -Dcom.sun.management.jmxremote.password.file 600\nAb3user p4ss.word_-\n" in done.stdout
    for name in ("jmx.access", "jmx.password"):
        assert stat.S_IMODE((work / name).stat().st_mode) == 0o600
    assert "p4ss" not in done.stderr


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
@pytest.mark.parametrize("user,password", [
    ("admin readwrite\nother", "x"), ("admin", "pass word"), ("admin", "back\\slash"), ("admin", ""),
    ("$(touch pwned)", "x"), ("admin", "`touch pwned`"), ("#admin", "x")],
    ids=["line", "blank", "backslash", "empty", "substitution", "backquote", "comment"])
def test_credentials_that_would_change_the_files_meaning_stop_the_start(shell, tmp_path, user, password):
    folder = secret_dir(tmp_path, user, password)
    done = run_kafka_run(shell, tmp_path, {"KAFKAC_JMX_PORT": "9999", "KAFKAC_JMX_SECRET_DIR": str(folder)})
    assert done.returncode != 0
    assert "must be one word of letters, digits" in done.stderr
    assert "server KAFKA_JMX_OPTS" not in done.stdout
    assert not (tmp_path / "work" / "jmx.password").exists()
    assert not list(tmp_path.rglob("pwned"))


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_the_servers_kafka_opts_keep_the_containers_and_add_the_system_properties_and_the_agent(shell, tmp_path):
    # A Java agent attached through template.kafkaContainer.env, as with Strimzi's start script.
    done = run_kafka_run(shell, tmp_path, {
        "KAFKA_OPTS": "-javaagent:/mnt/otel/agent.jar -Dotel.service.name=kafka",
        "KAFKAC_JAVA_SYSTEM_PROPERTIES": "-Dnetworkaddress.cache.ttl=30",
        "KAFKAC_METRICS_AGENT_OPTS": "-javaagent:/opt/kafka/metrics-agent/agent.jar=9404:/m/c.yml"})
    assert done.returncode == 0, done.stderr
    assert options(done, "server", "KAFKA_OPTS") == [
        "-javaagent:/mnt/otel/agent.jar", "-Dotel.service.name=kafka", "-Dnetworkaddress.cache.ttl=30",
        "-javaagent:/opt/kafka/metrics-agent/agent.jar=9404:/m/c.yml"]


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
@pytest.mark.parametrize("variables, expected", [
    ({}, []),
    ({"KAFKA_OPTS": "-javaagent:/mnt/a.jar"}, ["-javaagent:/mnt/a.jar"]),
    ({"KAFKAC_JAVA_SYSTEM_PROPERTIES": "-Da=b"}, ["-Da=b"]),
], ids=["none", "the-containers-alone", "kafkacs-alone"])
def test_the_servers_kafka_opts_are_what_is_given_and_nothing_else(shell, tmp_path, variables, expected):
    done = run_kafka_run(shell, tmp_path, variables)
    assert done.returncode == 0, done.stderr
    assert options(done, "server", "KAFKA_OPTS") == expected


# --------------------------------------------------------------------- certs-jmx.sh

@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_an_existing_secret_without_both_keys_fails_the_job_and_is_not_replaced(shell, tmp_path):
    if shutil.which(shell[0]) is None and not os.environ.get("CI"):
        pytest.skip(f"no {shell[0]} here")
    existing = tmp_path / "existing" / "dev-kafka-jmx" / "data"
    existing.mkdir(parents=True)
    (existing / "jmx-username").write_text("someone")
    (tmp_path / "new").mkdir()
    script = (f'. "{FILES}/log.sh"; . "{FILES}/tls-tools.sh"; . "{FILES}/certs-stage.sh"; '
              f'. "{FILES}/certs-ca.sh"; . "{FILES}/certs-jmx.sh"; jmx_credentials dev-kafka-jmx')
    done = subprocess.run([*shell, "-c", f'existing={tmp_path}/existing; new={tmp_path}/new; log_name=t; {script}'],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Secret dev-kafka-jmx exists but has no key jmx-password" in done.stderr
    assert not (tmp_path / "new" / "dev-kafka-jmx").exists()
