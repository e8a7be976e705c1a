"""Custom resource definitions the charts' Jobs read or write, registered in the tests' API server.

The definitions are the projects' own, from the Go modules kafkac pins for its
schemas (compiler/kube_schemas.py): cert-manager's Certificate (the certificates
and users Jobs create and replace them when a CA is of type cert-manager.io)
and OpenShift's Route (the certificates Job reads a Route's status for the host
the router gave it). Both have a status subresource, as in a real cluster: a
write of the object keeps its status and bumps metadata.generation only when the
spec changes, and only a write to .../status sets the status.

`ensure(plane, *names)` registers them once per API server (idempotent, `kubectl
apply`) and waits until each is Established, so that the next request may use it.
"""

from __future__ import annotations

import time

import yaml

from compiler import kube_schemas, tools

from .control_plane import ControlPlane

ESTABLISH_TIMEOUT = "120s"
DISCOVERY_TIMEOUT = 30.0
CERTIFICATES = "certificates.cert-manager.io"
ROUTES = "routes.route.openshift.io"

_registered: set[tuple[str, str]] = set()  # (API server, CRD name)


def _definition(name: str) -> dict:
    if name == CERTIFICATES:
        module = tools.go_module_dir(kube_schemas.CERT_MANAGER_MODULE, kube_schemas.CERT_MANAGER_VERSION)
        (path,) = kube_schemas.CERT_MANAGER_CRDS
    elif name == ROUTES:
        module = tools.go_module_dir(kube_schemas.OPENSHIFT_API_MODULE, kube_schemas.OPENSHIFT_API_VERSION)
        (path, _version), = kube_schemas.OPENSHIFT_CRDS.values()
    else:
        raise ValueError(f"no definition known for {name}")
    (crd,) = [d for d in yaml.safe_load_all((module / path).read_text(encoding="utf-8")) if d]
    assert crd["metadata"]["name"] == name, crd["metadata"]["name"]
    return crd


def ensure(plane: ControlPlane, *names: str) -> None:
    """Register the named CRDs (CERTIFICATES, ROUTES) in `plane` unless done already, and wait
    until the API server serves them."""
    missing = [name for name in names if (plane.server, name) not in _registered]
    if not missing:
        return
    plane.kubectl("apply", "--server-side", "--filename", "-",
                  input=yaml.safe_dump_all([_definition(name) for name in missing]))
    plane.kubectl("wait", "--for=condition=Established", f"--timeout={ESTABLISH_TIMEOUT}",
                  *(f"customresourcedefinition/{name}" for name in missing))
    # Established: the API serves the kind; kubectl's discovery may still miss it for a moment.
    deadline = time.monotonic() + DISCOVERY_TIMEOUT
    for name in missing:
        while plane.kubectl("get", name, "--all-namespaces", "--output", "name", check=False).returncode != 0:
            assert time.monotonic() < deadline, f"{name} not served {DISCOVERY_TIMEOUT:g} s after Established"
            time.sleep(0.5)
    _registered.update((plane.server, name) for name in missing)
