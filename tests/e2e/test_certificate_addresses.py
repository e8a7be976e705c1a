"""The node certificate covers the addresses the platform gives a cluster's listeners.

A load balancer's address and the host OpenShift gives a Route without one
exist only once the platform has made them, after the first install. The
certificates Job reads them on its next run (a `helm upgrade`) and re-issues
the node certificate with them, under the same CA. Its scripts run for real
(see certjob.py); the Services and Routes, with the status the platform would
give them, are written by this test into the kubectl stand-in's store.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest


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
# What the platform gives the objects once they exist.
LOAD_BALANCERS = {"my-cluster-kafka-lb-bootstrap": {"hostname": "LB-Bootstrap.elb.example.com"},
                  "my-cluster-dual-lb-0": {"ip": "203.0.113.10"},
                  "my-cluster-dual-lb-1": {"ip": "2001:DB8::B"}}
ROUTE_HOSTS = {"my-cluster-kafka-route-bootstrap": "my-cluster-kafka-route-bootstrap-kafka.apps.example.com",
               "my-cluster-dual-route-0": "my-cluster-dual-route-0-kafka.apps.example.com"}


def san(pem: bytes) -> tuple[list[str], list[str]]:
    text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=pem,
                          capture_output=True, check=True, timeout=60).stdout.decode()
    return sorted(re.findall(r"DNS:([^,\s]+)", text)), sorted(re.findall(r"IP Address:([^,\s]+)", text))


def write_platform_objects(store) -> None:
    for name, ingress in LOAD_BALANCERS.items():
        service = {"kind": "Service", "metadata": {"name": name},
                   "status": {"loadBalancer": {"ingress": [ingress]}}}
        (store / NAMESPACE / "services").mkdir(parents=True, exist_ok=True)
        (store / NAMESPACE / "services" / f"{name}.json").write_text(json.dumps(service))
    for name, host in ROUTE_HOSTS.items():
        route = {"kind": "Route", "metadata": {"name": name}, "spec": {"host": host},
                 "status": {"ingress": [{"host": host, "routerName": "default"}]}}
        (store / NAMESPACE / "routes").mkdir(parents=True, exist_ok=True)
        (store / NAMESPACE / "routes" / f"{name}.json").write_text(json.dumps(route))


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
    store = folder / "store"
    try:
        # The first install: the Job runs before the Services and Routes exist.
        first = certjob.run_certificate_job(manifests, NAMESPACE, store, folder / "run-1", e2e.java_home)
        assert "service my-cluster-dual-lb-0 does not exist yet" in first.output("fetch")
        installed = certjob.secrets_in(store, NAMESPACE)
        names, ips = san(installed[NODE]["node.crt"])
        # Only the host the spec pins is there from the start.
        assert ips == [] and [name for name in names if "example.com" in name] == ["kafka-1.apps.example.com"]

        write_platform_objects(store)
        certjob.run_certificate_job(manifests, NAMESPACE, store, folder / "run-2", e2e.java_home)
        upgraded = certjob.secrets_in(store, NAMESPACE)
        names, ips = san(upgraded[NODE]["node.crt"])
        # IPv6 as openssl prints it back: every group, upper case.
        assert ips == ["2001:DB8:0:0:0:0:0:B", "203.0.113.10"]
        assert {"lb-bootstrap.elb.example.com", *ROUTE_HOSTS.values(), "kafka-1.apps.example.com"} <= set(names)
        assert upgraded[CA_CERT] == installed[CA_CERT]  # the same CA signs it

        # Nothing changed since: the next run writes nothing.
        writes = (store / "writes.log").read_text()
        third = certjob.run_certificate_job(manifests, NAMESPACE, store, folder / "run-3", e2e.java_home)
        assert (store / "writes.log").read_text() == writes, third.log
    finally:
        shutil.rmtree(folder, ignore_errors=True)
