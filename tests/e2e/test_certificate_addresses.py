"""The node certificate covers the addresses the platform gives a cluster's listeners.

A load balancer's address and the host OpenShift gives a Route without one
exist only once the platform has made them, after the first install. The
certificates Job reads them on its next run (a `helm upgrade`) and re-issues
the node certificate with them, under the same CA. Its scripts run for real
(see certjob.py), against the tests' API server; the chart's Services and
Routes (OpenShift's Route CRD registered there) are created by this test, and
their status set through the status subresource as the platform's load
balancer controller and router would.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest


from ..kube import crds
from ..kube.api_namespace import ApiNamespace
from ..util import manifests_of
from . import certjob
from .conftest import NAMESPACE, compile_example

pytestmark = pytest.mark.e2e

NODE, CA_CERT = "my-cluster-kafka-node-certs", "my-cluster-cluster-ca-cert"
SPEC = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: dual
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 2
  roles: [controller, broker]
  storage: {type: ephemeral}
---
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations: {kafkac.io/profile: dev}
spec:
  kafka:
    listeners:
      - name: lb
        port: 9094
        type: loadbalancer
        tls: true
        authentication: {type: tls}
      - name: route
        port: 9095
        type: route
        tls: true
        authentication: {type: tls}
        configuration:
          brokers:
            - {broker: 1, host: kafka-1.apps.example.com}
"""
# What the platform gives the objects once they exist (the API server takes a load balancer's
# hostname in lower case only).
LOAD_BALANCERS = {"my-cluster-kafka-lb-bootstrap": {"hostname": "lb-bootstrap.elb.example.com"},
                  "my-cluster-dual-lb-0": {"ip": "203.0.113.10"},
                  "my-cluster-dual-lb-1": {"ip": "2001:DB8::B"}}
ROUTE_HOSTS = {"my-cluster-kafka-route-bootstrap": "my-cluster-kafka-route-bootstrap-kafka.apps.example.com",
               "my-cluster-dual-route-0": "my-cluster-dual-route-0-kafka.apps.example.com"}


def san(pem: bytes) -> tuple[list[str], list[str]]:
    text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=pem,
                          capture_output=True, check=True, timeout=60).stdout.decode()
    return sorted(re.findall(r"DNS:([^,\s]+)", text)), sorted(re.findall(r"IP Address:([^,\s]+)", text))


def make_platform_objects(api: ApiNamespace, manifests: list[dict]) -> None:
    """The chart's Services and Routes as `helm install` creates them, then the addresses the
    platform gives them: a load balancer's ingress, the host the router admitted a Route under."""
    named = set(LOAD_BALANCERS) | set(ROUTE_HOSTS)
    objects = [m for m in manifests if m["kind"] in ("Service", "Route") and m["metadata"]["name"] in named]
    assert {m["metadata"]["name"] for m in objects} == named
    api.apply(objects)
    for name, ingress in LOAD_BALANCERS.items():
        api.patch("service", name, {"status": {"loadBalancer": {"ingress": [ingress]}}}, subresource="status")
    for name, host in ROUTE_HOSTS.items():
        admitted = {"type": "Admitted", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}
        api.patch("routes.route.openshift.io", name,
                  {"status": {"ingress": [{"host": host, "routerName": "default", "conditions": [admitted]}]}},
                  subresource="status")


@pytest.fixture
def manifests(tmp_path):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kafka.yaml").write_text(SPEC)
    chart = compile_example(tmp_path / "spec", tmp_path / "chart")
    return manifests_of(chart)


def test_the_role_reads_exactly_the_objects_whose_addresses_the_job_needs(manifests):
    (role,) = [m for m in manifests if m["kind"] == "Role" and m["metadata"]["name"] == "my-cluster-kafka-certificates"]
    readable = {(rule["resources"][0], name) for rule in role["rules"] if rule["verbs"] == ["get"]
                and rule["resources"] != ["secrets"] for name in rule["resourceNames"]}
    assert readable == ({("services", name) for name in LOAD_BALANCERS}
                        | {("routes", name) for name in ROUTE_HOSTS})


def test_an_upgrade_adds_the_platforms_addresses_to_the_node_certificate(manifests, e2e):
    folder = certjob.shared_folder("kafkac-e2e-certificate-addresses-")
    try:
        with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
            upgrade_adds_the_platforms_addresses(manifests, e2e, api, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upgrade_adds_the_platforms_addresses(manifests: list[dict], e2e, api: ApiNamespace, folder) -> None:
    # The first install, on OpenShift (the Route API is there): the Job runs before the Services and
    # Routes exist.
    crds.ensure(api.plane, crds.ROUTES)
    first = certjob.run_certificate_job(manifests, api, folder / "run-1", e2e.java_home)
    assert "service my-cluster-dual-lb-0 does not exist yet" in first.output("fetch")
    installed = api.secrets()
    names, ips = san(installed[NODE]["node.crt"])
    # Only the host the spec pins is there from the start.
    assert ips == [] and [name for name in names if "example.com" in name] == ["kafka-1.apps.example.com"]

    make_platform_objects(api, manifests)
    done = api.writes()
    second = certjob.run_certificate_job(manifests, api, folder / "run-2", e2e.java_home)
    assert api.writes()[len(done):] == [f"update secret {NAMESPACE}/{NODE}"], second.log
    upgraded = api.secrets()
    names, ips = san(upgraded[NODE]["node.crt"])
    # IPv6 as openssl prints it back: every group, upper case.
    assert ips == ["2001:DB8:0:0:0:0:0:B", "203.0.113.10"]
    assert {"lb-bootstrap.elb.example.com", *ROUTE_HOSTS.values(), "kafka-1.apps.example.com"} <= set(names)
    assert upgraded[CA_CERT] == installed[CA_CERT]  # the same CA signs it

    # Nothing changed since: the next run writes nothing.
    writes, versions = api.writes(), api.versions()
    third = certjob.run_certificate_job(manifests, api, folder / "run-3", e2e.java_home)
    assert api.writes() == writes and api.versions() == versions, third.log
