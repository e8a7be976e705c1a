"""OpenShift's Route API (route.openshift.io/v1) in the tests' control plane.

kube-apiserver has no Routes of its own; charts render them for OpenShift.
`ensure_route_api(plane)` registers a CustomResourceDefinition of the Route
kind, once per control plane (applying it again changes nothing), and waits
until the API serves it. Its schema keeps whatever spec and status are given
(OpenShift's own validation is not the tests' subject: the chart's Routes are
checked against OpenShift's schema at compile time), and status is a
subresource, as OpenShift's is: a router writes `status.ingress` through
`kubectl patch --subresource=status`, an object's owner cannot.
"""

from __future__ import annotations

import time

import yaml

from .control_plane import ControlPlane

ESTABLISHED_TIMEOUT = "60s"
DISCOVERY_TIMEOUT = 30.0
PRESERVED = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
ROUTE_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "routes.route.openshift.io"},
    "spec": {
        "group": "route.openshift.io", "scope": "Namespaced",
        "names": {"kind": "Route", "listKind": "RouteList", "plural": "routes", "singular": "route"},
        "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                          "spec": PRESERVED, "status": PRESERVED}}}}],
    },
}
_registered: set[str] = set()  # API servers that serve Routes


def ensure_route_api(plane: ControlPlane) -> None:
    """The API server serves route.openshift.io/v1 Routes (registered on first use)."""
    if plane.server in _registered:
        return
    plane.kubectl("apply", "--filename", "-", input=yaml.safe_dump(ROUTE_CRD))
    plane.kubectl("wait", "--for=condition=Established", f"--timeout={ESTABLISHED_TIMEOUT}",
                  f"customresourcedefinition/{ROUTE_CRD['metadata']['name']}")
    # Established: the API serves the kind; kubectl's discovery may still miss it for a moment.
    deadline = time.monotonic() + DISCOVERY_TIMEOUT
    while plane.kubectl("get", "routes.route.openshift.io", "--all-namespaces", "--output", "name",
                        check=False).returncode != 0:
        assert time.monotonic() < deadline, f"Routes not served {DISCOVERY_TIMEOUT:g} s after Established"
        time.sleep(0.5)
    _registered.add(plane.server)
