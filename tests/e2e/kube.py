"""Fixtures of the tests on a real Kubernetes control plane (tests/kube/control_plane.py).

`control_plane`: one control plane for the whole test session, shared by every
test that asks for it, started on first use and stopped by pid at the end;
its programs are built (pinned, into the tools cache) when missing.
`kube_namespace`: a namespace of its own for each test, deleted after it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from compiler import tools

from .. import host_tools
from ..kube.control_plane import ControlPlane, ControlPlaneError

_namespaces = itertools.count(1)


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
