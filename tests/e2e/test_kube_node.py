"""Compiled charts installed for real: `helm install --wait`, hooks included, on the tests'
control plane, whose node (tests/kube/node.py) runs the pods.

Nothing stands in for the API server here: the certificates Job's kubectl calls
reach it with the Job's own ServiceAccount token, the Job controller completes
the Job, the StatefulSet controller makes the broker pods, and helm waits for
their readiness as the node reports it from the real probes.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from compiler.model import DEFAULT_KUBECTL_IMAGE

from ..conftest import EXAMPLES
from ..util import compile_chart
from . import clients
from .conftest import resolving
from .kube import certificates_job_secrets, node_namespace_named, secrets_of
from .test_kube_api import helm, rendered

pytestmark = pytest.mark.e2e

PLAIN = 9092
INSTALL_TIMEOUT = "20m"  # the Job's JVMs and the brokers' boot, on a busy two-core machine
HELM_SECONDS = 1500


def _job(name: str, script: str, backoff_limit: int = 0) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": {
        "backoffLimit": backoff_limit, "template": {"spec": {
            "restartPolicy": "Never", "securityContext": {"runAsUser": 1000, "runAsGroup": 1000},
            "containers": [{"name": "main", "image": DEFAULT_KUBECTL_IMAGE,
                            "command": ["/bin/bash", "-c", script]}]}}}}


def _wait_for_job(plane, namespace: str, name: str, condition: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = plane.get_json("job", name, "--namespace", namespace)
        if any(c["type"] == condition and c["status"] == "True" for c in job["status"].get("conditions", [])):
            return job
        time.sleep(1)
    pods = plane.get_json("pods", "--namespace", namespace)["items"]
    raise AssertionError(f"Job {name} not {condition} after {timeout:g} s: {job.get('status')}\n"
                         f"{[(p['metadata']['name'], p.get('status')) for p in pods]}")


def test_a_jobs_pod_reaches_the_api_server_with_its_own_token(control_plane, kube_node, node_namespace):
    plane, (namespace, _) = control_plane, node_namespace
    plane.kubectl("create", "--namespace", namespace, "--filename", "-", input=yaml.safe_dump(
        _job("whoami", "kubectl auth whoami --output jsonpath='{.status.userInfo.username}'")))

    job = _wait_for_job(plane, namespace, "whoami", "Complete")

    assert job["status"]["succeeded"] == 1
    (pod,) = plane.get_json("pods", "--namespace", namespace, "--selector",
                            "batch.kubernetes.io/job-name=whoami")["items"]
    assert pod["spec"]["nodeName"] == "kafkac-node"
    (container,) = pod["status"]["containerStatuses"]
    assert container["state"]["terminated"]["exitCode"] == 0
    assert kube_node.log_text(namespace, pod["metadata"]["name"]) == \
        f"system:serviceaccount:{namespace}:default"


def test_a_failing_job_is_retried_up_to_its_backoff_limit(control_plane, kube_node, node_namespace):
    plane, (namespace, _) = control_plane, node_namespace
    plane.kubectl("create", "--namespace", namespace, "--filename", "-",
                  input=yaml.safe_dump(_job("fails", "echo no; exit 3", backoff_limit=1)))

    job = _wait_for_job(plane, namespace, "fails", "Failed", timeout=240)

    assert job["status"]["failed"] == 2, "one run and one retry (backoffLimit: 1)"
    pods = plane.get_json("pods", "--namespace", namespace, "--selector",
                          "batch.kubernetes.io/job-name=fails")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["phase"] == "Failed"
        assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


@dataclass(frozen=True)
class Release:
    namespace: str
    dns: object  # the namespace's cluster DNS, for conftest.resolving
    chart: Path
    values: dict


@pytest.fixture(scope="module")
def quickstart(control_plane, kube_node, tmp_path_factory):
    """examples/quickstart, installed with `helm install --wait` (hooks included) in a namespace
    of its own for the module's tests."""
    chart = compile_chart(EXAMPLES / "quickstart", tmp_path_factory.mktemp("quickstart") / "chart", verify=False)
    with node_namespace_named(control_plane, kube_node, "quickstart") as (namespace, dns):
        helm(control_plane, "install", chart.name, str(chart), "--namespace", namespace, "--wait",
             "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS)
        yield Release(namespace, dns, chart, yaml.safe_load((chart / "values.yaml").read_text()))


def test_quickstart_installs_with_its_hooks_and_serves(control_plane, quickstart):
    plane, namespace, values = control_plane, quickstart.namespace, quickstart.values
    status = yaml.safe_load(helm(plane, "status", quickstart.chart.name, "--namespace", namespace,
                                 "--output", "yaml").stdout)
    assert status["info"]["status"] == "deployed"
    # The certificates Job ran to completion under the Job controller, with its own ServiceAccount.
    job_name = values["certificates"]["job"]["name"]
    job = plane.get_json("job", job_name, "--namespace", namespace)
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in job["status"]["conditions"])
    (job_pod,) = plane.get_json("pods", "--namespace", namespace, "--selector",
                                f"batch.kubernetes.io/job-name={job_name}")["items"]
    assert job_pod["status"]["phase"] == "Succeeded"
    assert job_pod["spec"]["serviceAccountName"] == job_name
    token_volumes = [v for v in job_pod["spec"]["volumes"]
                     if any("serviceAccountToken" in s for s in (v.get("projected") or {}).get("sources", []))]
    assert token_volumes, "the Job's pod mounts no ServiceAccount token"
    exits = {s["name"]: s["state"]["terminated"]["exitCode"]
             for s in job_pod["status"]["initContainerStatuses"] + job_pod["status"]["containerStatuses"]}
    assert exits == {"fetch": 0, "issue": 0, "store": 0}
    # ... and made the Secrets in the API server, which the broker mounted.
    assert set(certificates_job_secrets(values)) <= set(secrets_of(plane, namespace))

    (broker,) = plane.get_json("pods", "--namespace", namespace, "--selector",
                               "strimzi.io/broker-role=true")["items"]
    assert broker["metadata"]["name"] == "my-cluster-dual-role-0"
    assert broker["spec"]["nodeName"] == "kafkac-node"
    assert {c["type"]: c["status"] for c in broker["status"]["conditions"]}["Ready"] == "True"

    bootstrap = f"my-cluster-kafka-bootstrap.{namespace}.svc:{PLAIN}"
    with resolving(quickstart.dns):
        clients.create_topic(bootstrap, "installed", partitions=3, replication_factor=1)
        sent = [f"record-{i}".encode() for i in range(100)]
        clients.produce(bootstrap, "installed", sent)
        assert sorted(clients.consume_all(bootstrap, "installed")) == sorted(sent)


def test_upgrade_with_an_unchanged_spec_changes_no_secret_and_restarts_no_pod(control_plane, quickstart):
    plane, namespace = control_plane, quickstart.namespace
    secrets_before, pods_before = _secrets_but_releases(plane, namespace), _running_pods(plane, namespace)
    assert pods_before, "no pod runs before the upgrade"

    helm(plane, "upgrade", quickstart.chart.name, str(quickstart.chart), "--namespace", namespace, "--wait",
         "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS)

    assert _secrets_but_releases(plane, namespace) == secrets_before, "helm upgrade changed a Secret"
    assert _running_pods(plane, namespace) == pods_before, "helm upgrade restarted a pod"
    # The pre-upgrade certificates Job ran again (a new Job, before-hook-creation) and kept every Secret.
    job = plane.get_json("job", quickstart.values["certificates"]["job"]["name"], "--namespace", namespace)
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in job["status"]["conditions"])


def test_a_secret_changed_while_the_certificates_job_runs_fails_its_write_and_the_retry_keeps_the_change(
        control_plane, kube_node, quickstart):
    """The Job replaces a re-issued Secret at the resourceVersion it read: a change made to the
    Secret between its fetch and store steps makes the API server refuse the write (a conflict),
    the Job controller runs the Job again, and the second run re-issues the certificate and keeps
    the other writer's annotation."""
    plane, namespace, certificates = control_plane, quickstart.namespace, quickstart.values["certificates"]
    node_secret, job_name = certificates["nodeCertSecret"], certificates["job"]["name"]
    issued_before = plane.get_json("secret", node_secret, "--namespace", namespace)["data"]
    plane.kubectl("annotate", "secret", node_secret, "--namespace", namespace, "kafkac.io/force-renew=true")
    kube_node.once_after_init(namespace, "fetch", lambda pod: plane.kubectl(
        "annotate", "secret", node_secret, "--namespace", namespace, "audit.example.com/reviewed=yes"))

    helm(plane, "upgrade", quickstart.chart.name, str(quickstart.chart), "--namespace", namespace, "--wait",
         "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS)

    job = plane.get_json("job", job_name, "--namespace", namespace)
    assert (job["status"].get("failed"), job["status"].get("succeeded")) == (1, 1), job["status"]
    pods = plane.get_json("pods", "--namespace", namespace, "--selector",
                          f"batch.kubernetes.io/job-name={job_name}")["items"]
    (failed,) = [p for p in pods if p["status"]["phase"] == "Failed"]
    log = kube_node.log_text(namespace, failed["metadata"]["name"])
    assert f'Operation cannot be fulfilled on secrets "{node_secret}": the object has been modified' in log, log
    renewed = plane.get_json("secret", node_secret, "--namespace", namespace)
    annotations = renewed["metadata"].get("annotations", {})
    assert annotations.get("audit.example.com/reviewed") == "yes", "the other writer's change was lost"
    assert "kafkac.io/force-renew" not in annotations
    assert renewed["data"] != issued_before, "the node certificate was not re-issued"


def test_rollback_runs_the_jobs_with_the_earlier_specs_and_restarts_nothing(control_plane, quickstart,
                                                                          tmp_path):
    """The topics Job on the node against the API server's ConfigMaps, through two upgrades that
    add a topic and then change it, and `helm rollback`: the rollback's hooks run with the earlier
    revision's specs, so the topic's setting goes back; no pod restarts and no Secret changes."""
    plane, namespace = control_plane, quickstart.namespace
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLES / "quickstart", specs)
    _edit_kafka(specs, lambda kafka: kafka["spec"].update(entityOperator={"topicOperator": {}}))
    topic = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
             "metadata": {"name": "events", "labels": {"strimzi.io/cluster": "my-cluster"}},
             "spec": {"partitions": 3, "replicas": 1, "config": {"retention.ms": 7200000}}}
    (specs / "topics.yaml").write_text(yaml.safe_dump(topic, sort_keys=False))
    with_topic = compile_chart(specs, tmp_path / "with-topic", verify=False)
    topic["spec"]["config"]["retention.ms"] = 3600000
    (specs / "topics.yaml").write_text(yaml.safe_dump(topic, sort_keys=False))
    changed = compile_chart(specs, tmp_path / "changed", verify=False)
    topics = yaml.safe_load((with_topic / "values.yaml").read_text())["topics"]
    bootstrap = f"my-cluster-kafka-bootstrap.{namespace}.svc:{PLAIN}"

    def upgrade(chart: Path) -> None:
        helm(plane, "upgrade", chart.name, str(chart), "--namespace", namespace, "--wait",
             "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS)

    def retention_ms() -> str:
        with resolving(quickstart.dns):
            return clients.topic_configs(bootstrap, "events")["retention.ms"]

    upgrade(with_topic)
    (record,) = topics["stateConfigMapNames"]
    state = plane.get_json("configmap", record, "--namespace", namespace)["data"]["state.jsonl"]
    assert json.loads(state.splitlines()[0])["name"] == "events", state
    assert retention_ms() == "7200000"
    upgrade(changed)
    assert retention_ms() == "3600000"
    secrets_before, pods_before = _secrets_but_releases(plane, namespace), _running_pods(plane, namespace)
    job_before = plane.get_json("job", topics["jobName"], "--namespace", namespace)["metadata"]["uid"]

    helm(plane, "rollback", with_topic.name, "--namespace", namespace, "--wait",
         "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS)

    job = plane.get_json("job", topics["jobName"], "--namespace", namespace)
    assert job["metadata"]["uid"] != job_before, "no post-rollback topics Job ran"
    assert job["status"].get("succeeded") == 1, job["status"]
    assert retention_ms() == "7200000", "the rollback did not put the topic's setting back"
    assert _secrets_but_releases(plane, namespace) == secrets_before, "helm rollback changed a Secret"
    assert _running_pods(plane, namespace) == pods_before, "helm rollback restarted a pod"


def test_rendered_and_applied_twice_as_gitops_tools_do_the_chart_keeps_every_secret(control_plane, kube_node,
                                                                                   quickstart):
    """`helm template | kubectl apply`, as a GitOps tool that renders charts applies them, in a
    namespace of its own: the hook objects are applied with the rest, the certificates Job makes
    the Secrets, the broker starts once they exist; the same render applied again changes no
    object's spec or data, no Secret, and restarts no pod."""
    plane = control_plane
    with node_namespace_named(plane, kube_node, "gitops") as (namespace, _):
        manifest = yaml.safe_dump_all(rendered(plane, quickstart.chart, namespace))
        plane.kubectl("apply", "--namespace", namespace, "--filename", "-", input=manifest)
        for job in plane.get_json("jobs", "--namespace", namespace)["items"]:
            _wait_for_job(plane, namespace, job["metadata"]["name"], "Complete", timeout=900)
        _wait_until(lambda: all(_is_ready(p) for p in plane.get_json(
            "pods", "--namespace", namespace, "--selector", "strimzi.io/broker-role=true")["items"]),
                    "the broker Ready", timeout=600)
        secrets_before, pods_before = secrets_of(plane, namespace), _running_pods(plane, namespace)
        specs_before = _applied_specs(plane, namespace, manifest)
        assert set(certificates_job_secrets(quickstart.values)) <= set(secrets_before)

        again = plane.kubectl("apply", "--namespace", namespace, "--filename", "-", input=manifest).stdout
        # kubectl says "configured" whenever its patch is not empty, also when the patch changes
        # nothing: a PodDisruptionBudget's selector has the patch strategy "replace", so kubectl
        # sends it every time. Nothing else may differ from what was applied (an env var written
        # with value "" would: the API server drops it). What counts is each object's generation
        # and data.
        assert [line for line in again.splitlines() if not line.endswith(" unchanged")] == \
               ["poddisruptionbudget.policy/my-cluster-kafka configured"], again
        assert _applied_specs(plane, namespace, manifest) == specs_before, again
        assert secrets_of(plane, namespace) == secrets_before
        assert _running_pods(plane, namespace) == pods_before


def test_uninstalled_and_installed_again_the_cluster_keeps_its_ca_and_certificates(control_plane, quickstart):
    """`helm uninstall --wait` stops the pods on the node and leaves the certificates Job's
    Secrets; `helm install` again, over what the uninstall left (the hook Jobs too), starts a
    broker with the same CA and node certificate, which serves."""
    plane, namespace, values = control_plane, quickstart.namespace, quickstart.values
    kept = {name: secret for name, secret in _secrets_but_releases(plane, namespace).items()
            if name in certificates_job_secrets(values)}
    assert len(kept) == len(certificates_job_secrets(values))

    helm(plane, "uninstall", quickstart.chart.name, "--namespace", namespace, "--wait", "--timeout", "5m")

    # The garbage collector deletes the StatefulSet's pods after it; the node stops them. The
    # hook Jobs stay (Helm leaves hook resources), with their pods that ran to the end.
    _wait_until(lambda: all(p["status"]["phase"] in ("Succeeded", "Failed")
                            for p in plane.get_json("pods", "--namespace", namespace)["items"]),
                "only the hook Jobs' finished pods left", timeout=300)
    assert plane.get_json("statefulsets", "--namespace", namespace)["items"] == []
    after = _secrets_but_releases(plane, namespace)
    assert {name: after.get(name) for name in kept} == kept, "helm uninstall changed the certificates' Secrets"

    helm(plane, "install", quickstart.chart.name, str(quickstart.chart), "--namespace", namespace, "--wait",
         "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS)

    after = _secrets_but_releases(plane, namespace)
    assert {name: after.get(name) for name in kept} == kept, "the new install did not keep the CA and certificates"
    bootstrap = f"my-cluster-kafka-bootstrap.{namespace}.svc:{PLAIN}"
    with resolving(quickstart.dns):
        clients.create_topic(bootstrap, "reinstalled", partitions=1, replication_factor=1)
        clients.produce(bootstrap, "reinstalled", [b"again"])
        assert clients.consume_all(bootstrap, "reinstalled") == [b"again"]


def _secrets_but_releases(plane, namespace: str) -> dict[str, tuple[str, str, dict]]:
    """secrets_of the namespace, without helm's release records (one more each revision)."""
    return {name: secret for name, secret in secrets_of(plane, namespace).items()
            if not name.startswith("sh.helm.release.")}


def _applied_specs(plane, namespace: str, manifest: str) -> dict[str, object]:
    """kind/name -> generation (or data, for objects without one) of each object of the manifest."""
    live = json.loads(plane.kubectl("get", "--namespace", namespace, "--filename", "-", "--output", "json",
                                    input=manifest).stdout)["items"]
    return {f"{o['kind']}/{o['metadata']['name']}": o["metadata"].get("generation", o.get("data"))
            for o in live}


def _running_pods(plane, namespace: str) -> dict[str, tuple[str, int, str]]:
    """name -> (uid, restart count, container start) of each running pod."""
    pods = plane.get_json("pods", "--namespace", namespace, "--field-selector", "status.phase=Running")["items"]
    return {p["metadata"]["name"]: (p["metadata"]["uid"], p["status"]["containerStatuses"][0]["restartCount"],
                                    p["status"]["containerStatuses"][0]["state"]["running"]["startedAt"])
            for p in pods}


# --- examples/secure: six nodes, TLS everywhere, the users Job ----------------------------------

SCRAM, MTLS = 9093, 9094
# Kafka's readiness probe starts a JVM. Six Kafka nodes, their probes and the test's clients
# share this machine's two cores, where a probe can outlast Strimzi's 5 s default; on a real
# cluster each node has cores of its own. A probe that times out here makes a pod not Ready
# for a reason no real cluster has, and the StatefulSet controller then waits on it.
PATIENT_READINESS = {"initialDelaySeconds": 15, "timeoutSeconds": 30}


def _edit_kafka(specs: Path, edit) -> None:
    """Changes the Kafka resource of the specs folder's kafka.yaml in place."""
    spec_file = specs / "kafka.yaml"
    documents = list(yaml.safe_load_all(spec_file.read_text()))
    for document in documents:
        if document["kind"] == "Kafka":
            edit(document)
    spec_file.write_text(yaml.safe_dump_all(documents, sort_keys=False))


@pytest.fixture(scope="module")
def secure(control_plane, kube_node, tmp_path_factory):
    """examples/secure, installed with `helm install --wait` in a namespace of its own for the
    module's tests, with its clients' files (client_files)."""
    work = tmp_path_factory.mktemp("secure")
    specs = work / "specs"
    shutil.copytree(EXAMPLES / "secure", specs)
    _edit_kafka(specs, lambda kafka: kafka["spec"]["kafka"].update(readinessProbe=PATIENT_READINESS))
    chart = compile_chart(specs, work / "chart", verify=False)
    with node_namespace_named(control_plane, kube_node, "secure") as (namespace, dns):
        done = _helm_playing_load_balancers(control_plane, namespace, "install", chart)
        assert done.returncode == 0, \
            f"helm install: {done.stderr}{done.stdout}\n{_pods_summary(control_plane, namespace)}"
        values = yaml.safe_load((chart / "values.yaml").read_text())
        release = Release(namespace, dns, chart, values)
        yield release, specs, _client_files(control_plane, namespace, values, work / "clients")


def _helm_playing_load_balancers(plane, namespace: str, command: str, chart: Path):
    """`helm <command> --wait` of the chart, while the test plays the load balancer controller."""
    results: list = []
    run = threading.Thread(target=lambda: results.append(helm(
        plane, command, chart.name, str(chart), "--namespace", namespace, "--wait",
        "--timeout", INSTALL_TIMEOUT, timeout=HELM_SECONDS, check=False)), daemon=True)
    run.start()
    while run.is_alive():
        _give_load_balancers_addresses(plane, namespace)
        run.join(timeout=2)
    return results[0]


def _client_options(files: dict) -> dict[str, dict]:
    """kafka-python options of the superuser (mTLS), orders-app (SCRAM) and billing (mTLS)."""
    ca = {"ssl_cafile": str(files["cluster-ca"])}
    return {
        "admin": {"security_protocol": "SSL", **ca, "ssl_certfile": str(files["admin.crt"]),
                  "ssl_keyfile": str(files["admin.key"])},
        "orders": {"security_protocol": "SASL_SSL", **ca, "sasl_mechanism": "SCRAM-SHA-512",
                   "sasl_plain_username": "orders-app", "sasl_plain_password": files["orders-password"]},
        "billing": {"security_protocol": "SSL", **ca, "ssl_certfile": str(files["billing.crt"]),
                    "ssl_keyfile": str(files["billing.key"])},
    }


def test_secure_installs_and_its_users_jobs_secrets_let_clients_in(control_plane, secure):
    plane, (release, _, files) = control_plane, secure
    namespace = release.namespace
    pods = plane.get_json("pods", "--namespace", namespace, "--selector", "strimzi.io/cluster=secure")["items"]
    nodes = sorted(p["metadata"]["name"] for p in pods if "strimzi.io/pool-name" in p["metadata"]["labels"])
    assert len(nodes) == 6, nodes
    # The post-install users Job made each KafkaUser's Secret through the API server.
    secrets = secrets_of(plane, namespace)
    assert {"orders-app", "billing"} <= set(secrets)
    assert set(certificates_job_secrets(release.values)) <= set(secrets)

    options = _client_options(files)
    bootstrap = f"secure-kafka-bootstrap.{namespace}.svc"
    # The bootstrap name resolves to Ready brokers only; on a busy machine a probe may have timed out.
    _wait_until(lambda: release.dns.resolve(bootstrap), "a Ready broker behind the bootstrap Service", timeout=300)
    with resolving(release.dns):
        clients.create_topic(f"{bootstrap}:{MTLS}", "orders-installed", partitions=3, replication_factor=3,
                             **options["admin"])
        sent = [f"order-{i}".encode() for i in range(100)]
        clients.produce(f"{bootstrap}:{SCRAM}", "orders-installed", sent, **options["orders"])
        received = clients.consume_all(f"{bootstrap}:{MTLS}", "orders-installed", **options["billing"])
    assert sorted(received) == sorted(sent)


def test_a_changed_broker_config_rolls_the_pods_one_at_a_time_and_loses_no_record(control_plane, secure,
                                                                                     tmp_path):
    """helm upgrade with a changed config: the StatefulSet controller replaces each pod in turn,
    the next only once the last is Ready (as the node reports from the real probe), while a
    producer at acks=all writes; every acknowledged record is there afterwards."""
    plane, (release, specs, files) = control_plane, secure
    namespace = release.namespace
    _edit_kafka(specs, lambda kafka: kafka["spec"]["kafka"]["config"].update({"log.retention.hours": 100}))
    chart = compile_chart(specs, tmp_path / "chart", verify=False)
    # The roll starts from six Ready pods, so that each pod it stops is one the test sees go.
    _wait_until(lambda: all(_is_ready(p) for p in _kafka_pods(plane, namespace)), "every Kafka pod Ready",
                timeout=600)
    before = {p["metadata"]["name"]: p["metadata"]["uid"] for p in _kafka_pods(plane, namespace)}

    options = _client_options(files)
    bootstrap = f"secure-kafka-bootstrap.{namespace}.svc"
    with resolving(release.dns):
        clients.create_topic(f"{bootstrap}:{MTLS}", "orders-rolled", partitions=3, replication_factor=3,
                             **options["admin"])
        writer = Writer(f"{bootstrap}:{SCRAM}", "orders-rolled", options["orders"])
        writer.start()
        unavailable: dict[str, int] = {}
        watch = threading.Event()
        watcher = threading.Thread(target=_watch_unavailable, args=(plane, namespace, unavailable, watch))
        watcher.start()
        try:
            done = _helm_playing_load_balancers(plane, namespace, "upgrade", chart)
        finally:
            watch.set()
            watcher.join()
            acknowledged = writer.stop()
        assert done.returncode == 0, f"helm upgrade: {done.stderr}{done.stdout}\n{_pods_summary(plane, namespace)}"
        received = set(clients.consume_all(f"{bootstrap}:{MTLS}", "orders-rolled", **options["billing"]))

    after = {p["metadata"]["name"]: p["metadata"]["uid"] for p in _kafka_pods(plane, namespace)}
    assert after.keys() == before.keys()
    assert all(after[name] != before[name] for name in before), "a pod was not replaced"
    assert set(unavailable.values()) == {1}, f"pods of a pool unavailable at once, at most: {unavailable}"
    assert len(acknowledged) > 100, f"the producer wrote only {len(acknowledged)} records during the roll"
    lost = [value for value in acknowledged if value not in received]
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged records lost: {lost[:5]}"
    print(f"rolling update: {len(acknowledged)} records acknowledged, none lost; unavailable at most: {unavailable}")


def _is_ready(pod: dict) -> bool:
    conditions = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return conditions.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp")


def _wait_until(condition, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {timeout:g} s")
        time.sleep(2)


def _kafka_pods(plane, namespace: str) -> list[dict]:
    pods = plane.get_json("pods", "--namespace", namespace, "--selector", "strimzi.io/cluster=secure")["items"]
    return [p for p in pods if "strimzi.io/pool-name" in p["metadata"]["labels"]]


def _watch_unavailable(plane, namespace: str, most: dict[str, int], stop: threading.Event) -> None:
    """The most pods of each pool missing or not Ready at once, sampled every second."""
    replicas = {s["metadata"]["name"]: s["spec"]["replicas"]
                for s in plane.get_json("statefulsets", "--namespace", namespace)["items"]}
    while not stop.wait(1.0):
        ready: dict[str, int] = {}
        for pod in _kafka_pods(plane, namespace):
            pool = pod["metadata"]["labels"]["strimzi.io/pool-name"]
            ready[pool] = ready.get(pool, 0) + _is_ready(pod)
        for name, count in replicas.items():
            pool = name.removeprefix("secure-")
            most[pool] = max(most.get(pool, 0), count - ready.get(pool, 0))


class Writer:
    """A producer at acks=all writing numbered records until stopped; it keeps what was acknowledged."""

    def __init__(self, bootstrap: str, topic: str, options: dict):
        self.producer = clients.KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=2**31 - 1,
                                              max_in_flight_requests_per_connection=1, linger_ms=5,
                                              **clients.CLIENT_TIMEOUTS, **options)
        self.topic = topic
        self.acknowledged: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _write(self) -> None:
        number = 0
        while not self.stopping.is_set():
            value = f"rolled-{number}".encode()
            self.producer.send(self.topic, value).add_callback(lambda _, v=value: self.acknowledged.append(v))
            number += 1
            time.sleep(0.05)

    def stop(self) -> list[bytes]:
        self.stopping.set()
        self.thread.join()
        self.producer.flush(timeout=120)
        self.producer.close(timeout=30)
        return list(self.acknowledged)


def _give_load_balancers_addresses(plane, namespace: str) -> None:
    """Play the cloud's load balancer controller: each LoadBalancer Service gets a name (where
    nothing answers; the test's clients use the internal listeners), so that helm --wait,
    which waits for it, goes on."""
    services = plane.get_json("services", "--namespace", namespace)["items"]
    for service in services:
        if service["spec"].get("type") == "LoadBalancer" and not service.get("status", {}).get(
                "loadBalancer", {}).get("ingress"):
            name = service["metadata"]["name"]
            plane.kubectl("patch", "service", name, "--namespace", namespace, "--subresource", "status",
                          "--type", "merge", "--patch", json.dumps(
                              {"status": {"loadBalancer": {"ingress": [{"hostname": f"{name}.lb.test"}]}}}))


def _pods_summary(plane, namespace: str) -> str:
    pods = plane.get_json("pods", "--namespace", namespace)["items"]
    return "\n".join(f"{p['metadata']['name']}: {p.get('status', {}).get('phase')} "
                     f"{[s.get('state') for s in p.get('status', {}).get('containerStatuses', [])]}" for p in pods)


def _client_files(plane, namespace: str, values: dict, folder: Path) -> dict:
    """The cluster CA, billing's certificate, orders-app's password (from the Secrets the Jobs made),
    and a certificate of the superuser CN=ops-admin signed with the clients CA's key."""
    folder.mkdir(parents=True)

    def secret(name: str) -> dict[str, bytes]:
        data = plane.get_json("secret", name, "--namespace", namespace)["data"]
        return {k: base64.b64decode(v) for k, v in data.items()}

    files = {"cluster-ca": folder / "cluster-ca.crt", "billing.crt": folder / "billing.crt",
             "billing.key": folder / "billing.key", "clients-ca.crt": folder / "clients-ca.crt",
             "clients-ca.key": folder / "clients-ca.key", "admin.key": folder / "admin.key",
             "admin.crt": folder / "admin.crt"}
    files["cluster-ca"].write_bytes(secret(values["certificates"]["clusterCaCertSecret"])["ca.crt"])
    billing = secret("billing")
    files["billing.crt"].write_bytes(billing["user.crt"])
    files["billing.key"].write_bytes(billing["user.key"])
    files["clients-ca.crt"].write_bytes(secret(values["certificates"]["clientsCa"]["certSecret"])["ca.crt"])
    files["clients-ca.key"].write_bytes(secret(values["certificates"]["clientsCa"]["secret"])["ca.key"])
    request = folder / "admin.csr"
    for argv in (["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", files["admin.key"],
                  "-out", request, "-subj", "/CN=ops-admin"],
                 ["x509", "-req", "-in", request, "-CA", files["clients-ca.crt"], "-CAkey", files["clients-ca.key"],
                  "-CAcreateserial", "-out", files["admin.crt"], "-days", "1"]):
        subprocess.run(["openssl", *map(str, argv)], check=True, capture_output=True)
    return {**files, "orders-password": secret("orders-app")["password"].decode()}


# --- the Roles, narrowed on purpose ----------------------------------------------------------------

@pytest.mark.parametrize("dropped", ["create", "get"])
def test_the_certificates_job_fails_with_forbidden_when_its_role_is_narrowed(control_plane, kube_node,
                                                                            node_namespace, tmp_path, dropped):
    """The Role is what the Job needs: without its `create` on Secrets (or `get` of them),
    the Job's kubectl call is refused by the API server, and the Job's log says so."""
    plane, (namespace, _) = control_plane, node_namespace
    chart = compile_chart(EXAMPLES / "quickstart", tmp_path / "chart", verify=False)
    objects = rendered(plane, chart, namespace)
    job_name = yaml.safe_load((chart / "values.yaml").read_text())["certificates"]["job"]["name"]
    (job,) = [o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == job_name]
    (role,) = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == job_name]
    scripts = {v["configMap"]["name"] for v in job["spec"]["template"]["spec"]["volumes"] if "configMap" in v}
    support = [o for o in objects
               if (o["kind"] in ("ServiceAccount", "RoleBinding") and o["metadata"]["name"] == job_name)
               or (o["kind"] == "ConfigMap" and o["metadata"]["name"] in scripts)]
    role["rules"] = [rule for rule in role["rules"] if dropped not in rule["verbs"]]
    job["spec"]["backoffLimit"] = 0
    plane.kubectl("create", "--namespace", namespace, "--filename", "-",
                  input=yaml.safe_dump_all([*support, role, job]))

    _wait_for_job(plane, namespace, job_name, "Failed", timeout=600)

    (pod,) = plane.get_json("pods", "--namespace", namespace, "--selector",
                            f"batch.kubernetes.io/job-name={job_name}")["items"]
    statuses = {s["name"]: s["state"] for s in
                pod["status"].get("initContainerStatuses", []) + pod["status"]["containerStatuses"]}
    # The step whose kubectl call needs the right: store creates the Secrets, fetch reads them.
    if dropped == "create":
        log = kube_node.log_text(namespace, pod["metadata"]["name"])
        assert statuses["store"]["terminated"]["exitCode"] != 0
    else:
        log = kube_node.init_log_text(namespace, pod["metadata"]["name"], "fetch")
        assert statuses["fetch"]["terminated"]["exitCode"] != 0
    account = f"system:serviceaccount:{namespace}:{job_name}"
    assert f'User "{account}" cannot {dropped} resource "secrets"' in log, log
    assert not {n for n in secrets_of(plane, namespace) if n.startswith("my-cluster-")}, "a Secret was made"
