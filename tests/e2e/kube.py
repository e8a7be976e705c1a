"""Fixtures of the tests on a real Kubernetes control plane (tests/kube/control_plane.py).

`control_plane`: one control plane for the whole test session, shared by every
test that asks for it, started on first use and stopped by pid at the end;
its programs are built (pinned, into the tools cache) when missing.
`kube_namespace`: a namespace of its own for each test, deleted after it.
`kube_node`: the node agent (tests/kube/node.py), one per session, started on
first use; `node_namespace`: a namespace of its own whose pods the node runs,
and the cluster DNS of it for the test's clients. When the test ends, its pods
are killed and removed before the namespace is deleted.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from compiler import tools

from .. import host_tools, kafka_dist
from ..kube import node
from ..kube.control_plane import ControlPlane, ControlPlaneError

_namespaces = itertools.count(1)
NODE_ADDRESS_BLOCKS = range(200, 210)  # of the run's slot (podrunner.RunSlot): 2400 pod addresses


@pytest.fixture(scope="session")
def control_plane(installed_tools):
    if shutil.which("openssl") is None:
        problem = "the control plane's certificates are made with openssl: apt-get install openssl"
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    tools.install(host_tools.CONTROL_PLANE)
    folder = Path(tempfile.mkdtemp(prefix="kafkac-kube-"))
    try:
        plane = ControlPlane.start(folder)
    except ControlPlaneError as problem:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(str(problem))
    try:
        yield plane
    finally:
        plane.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def kube_namespace(control_plane, request) -> str:
    """A fresh namespace, named after the test; deleted (without waiting) when the test ends."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")
    name = f"t{next(_namespaces)}-{stem}"[:50].rstrip("-")  # room for a suffix of a test's own
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def kube_node(control_plane, e2e):
    folder = Path(tempfile.mkdtemp(prefix="kafkac-node-"))
    agent = node.NodeAgent.start(
        control_plane, folder, node.addresses([e2e.slot.address_prefix(b) for b in NODE_ADDRESS_BLOCKS]),
        kafka_dist.DEFAULT_KAFKA_VERSION, kafka_home=kafka_dist.kafka_home(kafka_dist.DEFAULT_KAFKA_VERSION),
        shim=e2e.shim, java_home=e2e.java_home, registry=e2e.slot.registry,
        kubectl=host_tools.control_plane_program("kubectl"))
    try:
        yield agent
    finally:
        agent.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def node_namespace(kube_node, kube_namespace):
    """(namespace, its cluster DNS) for a test whose pods run on the node."""
    with served(kube_node, kube_namespace) as resolver:
        yield kube_namespace, resolver


@contextlib.contextmanager
def served(agent: node.NodeAgent, namespace: str):
    """The node runs the namespace's pods, until they are killed and removed at the end."""
    resolver = agent.serve(namespace)
    try:
        yield resolver
    finally:
        agent.release(namespace)


@contextlib.contextmanager
def node_namespace_named(plane: ControlPlane, agent: node.NodeAgent, stem: str):
    """A namespace of the node for a whole module: (name, its cluster DNS); deleted at the end."""
    name = f"m{next(_namespaces)}-{stem}"[:50].rstrip("-")
    plane.kubectl("create", "namespace", name)
    try:
        with served(agent, name) as resolver:
            yield name, resolver
    finally:
        plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


def secrets_of(plane: ControlPlane, namespace: str) -> dict[str, tuple[str, str, dict]]:
    """name -> (uid, resourceVersion, data) of every Secret in the namespace."""
    items = plane.get_json("secrets", "--namespace", namespace)["items"]
    return {s["metadata"]["name"]: (s["metadata"]["uid"], s["metadata"]["resourceVersion"], s.get("data", {}))
            for s in items}


def certificates_job_secrets(values: dict) -> list[str]:
    """The Secrets a chart's certificates Job makes, from its values."""
    certificates = values["certificates"]
    return [certificates["clusterCaCertSecret"], certificates["clusterCaSecret"],
            certificates["nodeCertSecret"], certificates["clientsCa"]["certSecret"],
            certificates["clientsCa"]["secret"]]
