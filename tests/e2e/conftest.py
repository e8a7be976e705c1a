"""Fixtures of the end-to-end tests: an example's chart, compiled and run for real.

`boot(example)` compiles examples/<example>, renders the chart with the pinned
helm, runs the chart's certificates Job (certjob.py: its real scripts, the
machine's openssl, the real kubectl against the tests' API server, in the
chart's namespace, which exists there while the cluster runs) to make the
cluster CA and node certificate Secrets, starts every pod of the chart with
podrunner.LocalCluster, those Secrets mounted, and waits until each pod's own
readiness probe passes. Python clients in the tests reach the pods
by their cluster DNS names (resolution is patched in this process only).
Each test module boots its cluster once and stops it when the module ends,
whatever happened.

Prerequisites: Java 17+ (with keytool, which reads the Jobs' key stores), Maven (Kafka's jars come from Maven
Central), gcc, openssl, jq, util-linux (unshare, nsenter, mount, setpriv) and
root, for the pods' mount namespaces. In CI (CI set) a missing one fails the tests; elsewhere they are
skipped with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
import os
import re
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.quantities import quantity_bytes

from .. import host_tools
from ..conftest import EXAMPLES
from ..util import compile_chart, manifests_of
from .. import kafka_dist
from . import certjob, podrunner
from ..kube.api_namespace import ApiNamespace
from ..kube.control_plane import ControlPlane
from .kube import control_plane, kube_namespace, kube_node, node_namespace  # noqa: F401  (shared by every e2e module)

NAMESPACE = "kafka"
BOOT_TIMEOUT = 420.0  # seconds until every pod is ready, on a busy two-core machine
BOOT_RESTARTS = 3  # times a container that exits during the boot is started again, as the kubelet would


@dataclass(frozen=True)
class Environment:
    shim: Path
    java_home: Path
    slot: podrunner.RunSlot
    plane: ControlPlane  # the tests' Kubernetes API server, which the charts' Jobs talk to

    @staticmethod
    def kafka_home(version: str) -> Path:
        """The apache/kafka image's /opt/kafka for `version`, from Maven Central (resolved once)."""
        return kafka_dist.kafka_home(version)


def _missing_prerequisite() -> str | None:
    missing = host_tools.missing_programs()
    if missing:
        return (f"the end-to-end tests need {', '.join(missing)} "
                "(Java 17+ and Maven run Kafka; gcc builds the loopback shim; util-linux runs the pods): "
                f"apt-get install {' '.join(sorted(set(missing.values())))}")
    if os.geteuid() != 0:
        return "the end-to-end tests make a mount namespace per pod and need to run as root"
    version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', version)
    if not match or int(match.group(1)) < 17:
        return f"Kafka 4 needs Java 17 or newer; `java -version` says: {version.strip()}"
    return None


@pytest.fixture(scope="session")
def e2e(installed_tools, control_plane):
    problem = _missing_prerequisite()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    # This run's loopback addresses and process registry; a slot left behind by
    # a run that was killed hard is taken over and its pods are stopped.
    slot = podrunner.RunSlot(tools.cache_dir() / "e2e" / "runs")
    try:
        yield Environment(shim=kafka_dist.loopback_shim(), java_home=kafka_dist.java_home(),
                          slot=slot, plane=control_plane)
    finally:
        slot.release()


@contextlib.contextmanager
def resolving(cluster: podrunner.LocalCluster):
    """Resolve the cluster's DNS names in this process, as cluster DNS would for a client pod."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        addresses = cluster.resolve(host) if isinstance(host, str) else None
        if addresses is None:
            return real(host, port, family, type, proto, flags)
        if family not in (0, socket.AF_UNSPEC, socket.AF_INET):
            raise socket.gaierror(socket.EAI_FAMILY, "cluster addresses are IPv4")
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: no ready endpoints")
        kind = type or socket.SOCK_STREAM
        return [(socket.AF_INET, kind, proto or socket.IPPROTO_TCP, "", (address, int(port or 0)))
                for address in addresses]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


@contextlib.contextmanager
def _stopped_on_sigterm():
    """Turn SIGTERM into KeyboardInterrupt, so that fixture teardown still stops the pods."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def compile_example(example: str | Path, out: Path) -> Path:
    return compile_chart(EXAMPLES / example, out, verify=False)


def issue_certificates(chart: Path, env: Environment, namespace: str = NAMESPACE,
                       provided: dict[str, dict[str, bytes]] | None = None,
                       issuer: Callable[[ApiNamespace], contextlib.AbstractContextManager] | None = None,
                       api: ApiNamespace | None = None) -> dict[str, dict[str, bytes]]:
    """The Secrets in the namespace after the chart's certificates Job ran, name -> key -> bytes:
    the ones `provided` (made by the user before install; none by default) and the Job's.
    The Job runs in `api`, the namespace of the tests' API server the caller holds (boot's), or else
    in `namespace`, held for the Job's run only. `issuer(api)` runs beside the Job (the tests'
    cert-manager, cert_manager.CertManagerStandIn, for CAs of type cert-manager.io)."""
    if api is None:
        with ApiNamespace.created(env.plane, namespace) as held:
            return issue_certificates(chart, env, namespace, provided, issuer, api=held)
    folder = certjob.shared_folder("kafkac-e2e-certificates-")
    try:
        manifests = manifests_of(chart, namespace=api.name)
        api.put_secrets(provided or {})
        with issuer(api) if issuer else contextlib.nullcontext():
            certjob.run_certificate_job(manifests, api, folder / "work", env.java_home)
        return api.secrets()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def boot(example: str | Path, env: Environment, work: Path, *, address_block: int,
         secrets: dict[str, dict[str, bytes]] | None = None, ca_secrets: dict[str, dict[str, bytes]] | None = None,
         extra_jars: tuple[Path, ...] = (),
         extra_folders: dict[str, list[Path]] | None = None, values: dict | None = None,
         init_commands: dict[str, Callable[[podrunner.Pod], list[str] | None]] | None = None,
         certificate_issuer: Callable[[ApiNamespace], contextlib.AbstractContextManager] | None = None):
    """Compile, issue the certificates, start and wait for every pod of `example`; stop everything afterwards.

    `example` is the name of an example or a folder of specs. `secrets` are Secrets
    that a user would have made before installing (e.g. a listener's own
    certificate); the certificates Job's are added to them. `ca_secrets` exist
    before the certificates Job runs (the CAs of generateCertificateAuthority:
    false) and are mounted too. `extra_jars` are added to the image's
    /opt/kafka/libs; `extra_folders` (name -> jars) are folders of their own
    beside it. `values` are set over the chart's values, as `helm --set` does.
    `init_commands` stand in for init containers of images the runner does not
    have (see podrunner.LocalCluster). `certificate_issuer` runs beside the
    certificates Job (see issue_certificates). The cluster's namespace exists in
    the tests' API server meanwhile: `cluster.api` (tests/kube/api_namespace.py).
    """
    chart = compile_example(example, work / "chart")
    if values:
        set_values(chart / "values.yaml", values)
    # The Kafka the chart's image would hold: apache/kafka:<spec.kafka.version>.
    version = yaml.safe_load((chart / "values.yaml").read_text())["cluster"]["kafkaVersion"]
    kafka_home = env.kafka_home(version)
    for jar in extra_jars:
        kafka_home = kafka_dist.kafka_home_with_agent(kafka_home, jar)
    for folder, jars in (extra_folders or {}).items():
        kafka_home = kafka_dist.kafka_home_with_jars(kafka_home, jars, folder)
    with ApiNamespace.created(env.plane, NAMESPACE) as api:
        cluster = podrunner.LocalCluster(
            chart, work / "run", kafka_home=kafka_home, shim=env.shim,
            java_home=env.java_home, namespace=NAMESPACE,
            secrets={**issue_certificates(chart, env, provided=ca_secrets, issuer=certificate_issuer, api=api),
                     **(secrets or {})},
            address_prefix=env.slot.address_prefix(address_block), registry=env.slot.registry,
            init_commands=init_commands, api=api)
        with _stopped_on_sigterm():
            try:
                with resolving(cluster):
                    cluster.start()
                    cluster.wait_ready(timeout=BOOT_TIMEOUT, restarts=BOOT_RESTARTS)
                    yield cluster
            finally:
                cluster.close()


def set_values(values_file: Path, overrides: dict) -> None:
    """Set dotted keys (`metrics.agent.source`) in a chart's values file."""
    values = yaml.safe_load(values_file.read_text())
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        node = values
        for key in parents:
            node = node[key]
        node[last] = value
    values_file.write_text(yaml.safe_dump(values, sort_keys=False))


def assert_within_size_limits(cluster: podrunner.LocalCluster) -> None:
    """No emptyDir holds more than its sizeLimit (the kubelet would evict the pod)."""
    over = []
    for pod in cluster.pods.values():
        for name, (used, limit) in cluster.empty_dir_usage(pod).items():
            if limit is not None and used > quantity_bytes(limit):
                over.append(f"{pod.name}: emptyDir {name} holds {used / 2**20:.1f} MiB, limit {limit}")
    assert not over, "\n".join(over)
