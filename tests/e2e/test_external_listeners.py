"""External listeners, run for real: each broker advertises the address a client outside reaches.

Three brokers (with the controller role too) and three listeners with Services
of their own:

* `lb` (loadbalancer): the "platform" gives each per-broker Service and the
  bootstrap Service a load balancer address, another loopback address that
  forwards to the broker's port, as a cloud load balancer would; one of them
  only after the broker's address init container has started waiting for it;
* `np` (nodeport): each per-broker Service gets the node port the API server
  allocates it, on the "node" the pods run on (its InternalIP, one more loopback
  address), forwarded to the broker's port, as kube-proxy would;
* `pinned` (nodeport, TLS): every broker's advertisedHost (an IP address) and
  node port are in the spec; the node certificate must cover those addresses,
  and the client checks host names.

The rendered Services exist in the cluster's namespace in the tests' API
server, and so does the Node the pods run on (`localhost`, what the runner
gives spec.nodeName); the platform writes their status as a cloud's load
balancer controller and a kubelet do, through the status subresource. The
address init container is the chart's own kafka-address.sh in the pod's
sandbox, as rendered, with the pinned kubectl of the kubectl image and a token
of the pods' ServiceAccount: the chart's Role, ClusterRole and their bindings,
created as rendered, are all that lets it read the Services and the Node. A
client outside the cluster (this process, which resolves no cluster names for
these listeners) bootstraps from the external bootstrap address, produces and
consumes, and the broker list it gets is exactly the external addresses.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from ..kube.api_namespace import ApiNamespace
from . import clients, podrunner, topicjob
from .conftest import BOOT_TIMEOUT, NAMESPACE, compile_example, issue_certificates

pytestmark = pytest.mark.e2e

ADDRESS_BLOCK = 7
LB, NP, PINNED = 9094, 9095, 9096
LATE_BROKER = 1  # its load balancer gets an address only once the init container waits for it
NODE_NAME = "localhost"  # what the runner gives a pod's spec.nodeName
SERVICE_ACCOUNT = "my-cluster-kafka"  # the Kafka pods'
WAIT_TIMEOUT = 120.0


def spec(prefix: str) -> str:
    pinned = "\n".join(
        f"            - {{broker: {i}, nodePort: {32100 + i}, advertisedHost: {prefix}.{160 + i}, "
        f"advertisedPort: {32100 + i}}}" for i in range(3))
    return f"""\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations:
    kafkac.io/profile: dev
    kafkac.io/waivers: |
      - rule: policy.security.external-listener
        reason: end-to-end test of the addresses, not of authentication
        expires: "2099-12-31"
spec:
  kafka:
    listeners:
      - name: lb
        port: {LB}
        type: loadbalancer
        tls: false
      - name: np
        port: {NP}
        type: nodeport
        tls: false
        configuration:
          preferredNodePortAddressType: InternalIP
      - name: pinned
        port: {PINNED}
        type: nodeport
        tls: true
        configuration:
          brokers:
{pinned}
    config:
      offsets.topic.replication.factor: 3
      transaction.state.log.replication.factor: 3
      transaction.state.log.min.isr: 2
      default.replication.factor: 3
      min.insync.replicas: 2
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: dual
  labels:
    strimzi.io/cluster: my-cluster
spec:
  replicas: 3
  roles: [controller, broker]
  storage:
    type: ephemeral
    sizeLimit: 1Gi
  resources:
    requests: {{cpu: 100m, memory: 768Mi}}
    limits: {{memory: 768Mi}}
"""


class Forwarder:
    """TCP forwarding from listen addresses to pod addresses, as a load balancer or kube-proxy does."""

    def __init__(self):
        self.servers: list[socket.socket] = []
        self.closed = False

    def forward(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(listen)
        server.listen(64)
        self.servers.append(server)
        threading.Thread(target=self._accept, args=(server, target), daemon=True).start()

    def _accept(self, server: socket.socket, target: tuple[str, int]) -> None:
        while not self.closed:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed = True
        for server in self.servers:
            server.close()


class Platform:
    """What Kubernetes and the cloud add to the rendered objects, in the API server: the Services with
    their node ports and load balancers, the Node with its addresses; and the forwarding behind them."""

    def __init__(self, cluster: podrunner.LocalCluster, api: ApiNamespace, prefix: str):
        self.cluster = cluster
        self.api = api
        self.prefix = prefix
        self.node_ip = f"{prefix}.200"
        self.forwarder = Forwarder()

    def broker_pod(self, node_id: int) -> podrunner.Pod:
        return self.cluster.pods[f"my-cluster-dual-{node_id}"]

    def load_balancer_ip(self, node_id: int | None) -> str:
        return f"{self.prefix}.{150 if node_id is None else 151 + node_id}"

    def node_port(self, node_id: int) -> int:
        """The node port the API server allocated to broker `node_id`'s np Service."""
        return self.api.get("service", f"my-cluster-dual-np-{node_id}")["spec"]["ports"][0]["nodePort"]

    def provision(self) -> None:
        """Create the Services and the Node, give the load balancers (all but LATE_BROKER's) their
        addresses, and forward node ports and load balancers to the pods."""
        # The node ports the spec pins first, so that none the API server allocates takes one of them.
        services = sorted((copy.deepcopy(s) for s in self.cluster.services.values()),
                          key=lambda s: not any("nodePort" in p for p in s["spec"]["ports"]))
        self.api.apply(services)
        plane = self.api.plane
        plane.kubectl("apply", "--filename", "-", input=yaml.safe_dump(
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE_NAME}}))
        addresses = [{"type": "Hostname", "address": "node-a"}, {"type": "InternalIP", "address": self.node_ip}]
        plane.kubectl("patch", "node", NODE_NAME, "--subresource=status", "--type=merge",
                      "--patch", json.dumps({"status": {"addresses": addresses}}))
        for node_id in range(3):
            pod = self.broker_pod(node_id)
            self.forwarder.forward((self.node_ip, self.node_port(node_id)), (pod.address, NP))
            self.forwarder.forward((f"{self.prefix}.{160 + node_id}", 32100 + node_id), (pod.address, PINNED))
            self.forwarder.forward((self.load_balancer_ip(node_id), LB), (pod.address, LB))
            if node_id != LATE_BROKER:
                self.assign_load_balancer(node_id)
        self.forwarder.forward((self.load_balancer_ip(None), LB), (self.broker_pod(0).address, LB))
        self.api.patch("service", "my-cluster-kafka-lb-bootstrap",
                       {"status": {"loadBalancer": {"ingress": [{"ip": self.load_balancer_ip(None)}]}}},
                       subresource="status")

    def assign_load_balancer(self, node_id: int) -> None:
        self.api.patch("service", f"my-cluster-dual-lb-{node_id}",
                       {"status": {"loadBalancer": {"ingress": [{"ip": self.load_balancer_ip(node_id)}]}}},
                       subresource="status")

    def close(self) -> None:
        self.forwarder.close()
        self.api.plane.kubectl("delete", "node", NODE_NAME, "--ignore-not-found", check=False)


def rbac_rules(cluster: podrunner.LocalCluster) -> dict:
    """What the chart lets the Kafka ServiceAccount get: Services by name, and nodes."""
    services, nodes = [], False
    bound = {(b["roleRef"]["kind"], b["roleRef"]["name"]) for b in cluster.objects
             if b.get("kind") in ("RoleBinding", "ClusterRoleBinding")
             and any(s["name"] == "my-cluster-kafka" for s in b["subjects"])}
    for role in cluster.objects:
        if (role.get("kind"), role.get("metadata", {}).get("name")) not in bound:
            continue
        for rule in role["rules"]:
            if "get" in rule["verbs"] and "services" in rule["resources"]:
                services += rule["resourceNames"]
            if "get" in rule["verbs"] and "nodes" in rule["resources"] and not rule.get("resourceNames"):
                nodes = True
    return {"services": services, "nodes": nodes}


def init_pod(cluster: podrunner.LocalCluster, pod: podrunner.Pod) -> tuple[podrunner.Pod, dict]:
    """The broker pod's address init container as a podrunner Pod of the same name."""
    (container,) = [c for c in pod.spec["initContainers"] if c["name"] == "kafka-address"]
    container = copy.deepcopy(container)
    spec = copy.deepcopy(pod.spec)
    spec.pop("initContainers")
    spec["containers"] = [container]
    topicjob.with_kubeconfig(spec, container)
    return podrunner.Pod(name=pod.name, statefulset="", ordinal=pod.ordinal, address=pod.address, spec=spec,
                         labels={}, claim_names=["address-volume"],
                         dir=cluster.work_dir / "pods" / f"{pod.name}.kafka-address"), container


def sleeping(pod: podrunner.Pod) -> bool:
    """Whether a `sleep 5` runs in the pod's sandbox: kafka-address.sh sleeps so between its rounds
    only after the API's answer had no address."""
    sandbox = pod.sandbox
    try:
        namespace = os.readlink(f"/proc/{sandbox.pid}/ns/mnt") if sandbox else None
    except OSError:
        return False
    for process in Path("/proc").iterdir():
        try:
            if (process.name.isdigit() and (process / "cmdline").read_bytes() == b"sleep\x005\x00"
                    and os.readlink(process / "ns" / "mnt") == namespace):
                return True
        except OSError:
            continue
    return False


def run_address_init(cluster: podrunner.LocalCluster, platform: Platform, pod: podrunner.Pod,
                     env: dict[str, str]) -> str:
    """Run kafka-address.sh for `pod` as its init container; put what it wrote in the pod's volume."""
    init, container = init_pod(cluster, pod)
    command = list(container["command"])
    late = pod.ordinal == LATE_BROKER
    done_event = threading.Event()

    def assign_when_waiting() -> None:
        # The platform makes the load balancer once the script has asked for it and found no address.
        deadline = time.monotonic() + WAIT_TIMEOUT
        while not sleeping(init):
            if done_event.is_set() or time.monotonic() > deadline:
                return
            time.sleep(0.1)
        platform.assign_load_balancer(pod.ordinal)

    helper = threading.Thread(target=assign_when_waiting, daemon=True) if late else None
    cluster.create_pod(init)
    try:
        if helper:
            helper.start()
        done = cluster.exec(init, command, timeout=WAIT_TIMEOUT, env=env)
    finally:
        done_event.set()
        cluster.delete_pod(init, grace=0)
    assert done.returncode == 0, done.stdout + done.stderr
    cluster.create_pod(pod)
    target = pod.dir / "volumes" / "address-volume"
    for file in init.claim_dir("address-volume").iterdir():
        shutil.copy(file, target / file.name)
        (target / file.name).chmod(0o644)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def external(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("external")
    prefix = e2e.slot.address_prefix(ADDRESS_BLOCK)
    spec_dir = work / "spec"
    spec_dir.mkdir()
    (spec_dir / "kafka.yaml").write_text(spec(prefix))
    chart = compile_example(str(spec_dir), work / "chart")
    version = yaml.safe_load((chart / "values.yaml").read_text())["cluster"]["kafkaVersion"]
    with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
        cluster = podrunner.LocalCluster(
            chart, work / "run", kafka_home=e2e.kafka_home(version), shim=e2e.shim,
            java_home=e2e.java_home, namespace=NAMESPACE, secrets=issue_certificates(chart, e2e),
            address_prefix=prefix, registry=e2e.slot.registry,
            init_commands={"kafka-address": lambda pod: None}, api=api)  # run_address_init runs it
        platform = Platform(cluster, api, prefix)
        (statefulset,) = cluster.statefulsets.values()
        try:
            assert api.apply_job_rbac(cluster.objects, statefulset) == SERVICE_ACCOUNT
            with api.cluster_rbac(cluster.objects, SERVICE_ACCOUNT):
                for target in ("service/my-cluster-dual-lb-0", f"node/{NODE_NAME}"):
                    api.wait_allowed(SERVICE_ACCOUNT, "get", target)
                platform.provision()
                env = topicjob.give_kubectl(cluster, api, SERVICE_ACCOUNT)
                logs = {}
                for node_id in range(3):
                    pod = platform.broker_pod(node_id)
                    logs[node_id] = run_address_init(cluster, platform, pod, env)
                    cluster.start_container(pod)
                cluster.wait_ready(timeout=BOOT_TIMEOUT)
                yield cluster, platform, logs
        finally:
            cluster.close()
            platform.close()


def test_the_init_container_waits_for_the_load_balancer_and_reads_the_node(external):
    cluster, platform, logs = external
    late = logs[LATE_BROKER]
    assert f"kafka-address: waiting for the load balancer address of Service my-cluster-dual-lb-{LATE_BROKER}" in late
    assert (f"kafka-address: listener LB-{LB}: {platform.load_balancer_ip(LATE_BROKER)}:{LB} "
            f"(Service my-cluster-dual-lb-{LATE_BROKER})") in late
    assert "waiting" not in logs[0]
    assert (f"kafka-address: listener NP-{NP}: {platform.node_ip}:{platform.node_port(0)} "
            "(Service my-cluster-dual-np-0)") in logs[0]


def test_the_role_names_only_the_brokers_own_services(external):
    cluster, platform, _ = external
    rules = rbac_rules(cluster)
    assert sorted(rules["services"]) == sorted(
        f"my-cluster-dual-{listener}-{i}" for listener in ("lb", "np") for i in range(3))
    assert rules["nodes"] is True
    # What the API server lets the pods' ServiceAccount do, from the chart's objects alone.
    user = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"

    def may(*args: str) -> bool:
        done = platform.api.plane.kubectl("auth", "can-i", *args, "--as", user, check=False)
        return done.stdout.strip() == "yes"

    assert may("get", "service/my-cluster-dual-lb-0", "--namespace", NAMESPACE)
    assert may("get", f"node/{NODE_NAME}")
    assert not may("get", "service/my-cluster-kafka-lb-bootstrap", "--namespace", NAMESPACE)
    assert not may("list", "services", "--namespace", NAMESPACE)
    assert not may("patch", "service/my-cluster-dual-lb-0", "--namespace", NAMESPACE)


def test_brokers_advertise_their_load_balancers(external):
    _, platform, _ = external
    bootstrap = f"{platform.load_balancer_ip(None)}:{LB}"
    listed = {(b["broker_id"], b["host"], b["port"]) for b in clients.brokers(bootstrap)}
    assert listed == {(i, platform.load_balancer_ip(i), LB) for i in range(3)}
    clients.create_topic(bootstrap, "through-lb", partitions=3, replication_factor=3)
    values = [f"lb-{i}".encode() for i in range(30)]
    clients.produce(bootstrap, "through-lb", values)
    assert sorted(clients.consume_all(bootstrap, "through-lb")) == sorted(values)


def test_brokers_advertise_their_node_address_and_node_port(external):
    _, platform, _ = external
    bootstrap = f"{platform.node_ip}:{platform.node_port(1)}"  # any broker's node port bootstraps
    listed = {(b["broker_id"], b["host"], b["port"]) for b in clients.brokers(bootstrap)}
    assert listed == {(i, platform.node_ip, platform.node_port(i)) for i in range(3)}
    clients.create_topic(bootstrap, "through-np", partitions=3, replication_factor=3)
    values = [f"np-{i}".encode() for i in range(30)]
    clients.produce(bootstrap, "through-np", values)
    assert sorted(clients.consume_all(bootstrap, "through-np")) == sorted(values)


def test_pinned_addresses_are_advertised_and_certified(external, tmp_path):
    cluster, platform, _ = external
    ca = tmp_path / "ca.crt"
    ca.write_bytes(cluster.secrets["my-cluster-cluster-ca-cert"]["ca.crt"])
    # Host names checked: the node certificate must name the pinned IP addresses.
    tls = {"security_protocol": "SSL", "ssl_cafile": str(ca), "ssl_check_hostname": True}
    bootstrap = f"{platform.prefix}.160:32100"
    listed = {(b["broker_id"], b["host"], b["port"]) for b in clients.brokers(bootstrap, **tls)}
    assert listed == {(i, f"{platform.prefix}.{160 + i}", 32100 + i) for i in range(3)}
    clients.create_topic(bootstrap, "through-pinned", partitions=3, replication_factor=3, **tls)
    values = [f"pinned-{i}".encode() for i in range(30)]
    clients.produce(bootstrap, "through-pinned", values, **tls)
    assert sorted(clients.consume_all(bootstrap, "through-pinned", **tls)) == sorted(values)
