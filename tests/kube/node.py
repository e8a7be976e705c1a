"""The node of the tests' control plane: it binds the pods of the namespaces it serves to
itself and runs them with the pod runner, as a kubelet would.

`NodeAgent.start(plane, ...)` registers the Node `kafkac-node` (Ready, with this
machine's CPUs and memory as capacity) and polls the API server once a second:

* Binding: a Pending pod of a served namespace that names no node is bound to
  this one (the pods/binding subresource, as kube-scheduler does; there is no
  scheduler and no fit check: there is one node).
* Running: each pod bound here runs in tests/e2e/podrunner.py's machinery (its
  own mount namespace and 127.x address), with its volumes from the API:
  ConfigMaps, Secrets, projected volumes (a ServiceAccount token from the
  TokenRequest API bound to the pod, the kube-root-ca.crt ConfigMap, the
  namespace), emptyDirs, and PersistentVolumeClaims as host folders named after
  the claim (the claim must exist; no PersistentVolume ever binds it). A missing
  ConfigMap or Secret leaves the pod waiting in ContainerCreating. Containers
  get the API server in KUBERNETES_SERVICE_HOST/PORT (127.0.0.1 and its port).
* Images: apache/kafka of the node's Kafka version and quay.io/strimzi/kafka get
  the Kafka distribution the tests use; registry.k8s.io/kubectl gets the pinned
  kubectl; any other image waits in ErrImagePull.
* Status: phase, start time, pod address, init container and container states
  with exit codes and restart counts, and the conditions (Initialized,
  ContainersReady, Ready: the real readiness probe, with its initialDelaySeconds,
  periodSeconds and thresholds, run for one pod at a time so that Kafka's JVM
  probes do not outlast their timeoutSeconds on two cores) are written to
  pods/status when they change.
  restartPolicy is followed (Always and OnFailure restart the container after
  the kubelet's back-off: 10 s, doubling, at most 5 min); so the Job controller
  completes or retries Jobs, and the StatefulSet controller rolls pods, by
  their own rules.
* Deletion: a pod being deleted gets SIGTERM, then SIGKILL after its grace
  period, and is then removed with grace 0, as the kubelet confirms a deletion.
* Names: each pod's /etc/hosts holds what cluster DNS would answer in its
  namespace (pods by hostname and subdomain; Services by selector, their ready
  pods, or every pod with publishNotReadyAddresses), rewritten as pods come and go.
* A test may act between a pod's steps: `once_after_init` runs its action when
  an init container ends, before the next container starts.

Not done: liveness and startup probes (never acted on), containers beyond a
pod's first (a pod with more fails), resource limits, Services' cluster IPs
(names resolve to pod addresses), `kubectl logs` and `exec` (the logs are files
under the node's folder: `log_text`), token renewal (tokens last their hour).
The agent acts as the cluster's admin (system:masters), not as system:node.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import ssl
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..e2e import podrunner

NODE_NAME = "kafkac-node"
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0
BACK_OFF_SECONDS, BACK_OFF_MAX = 10.0, 300.0
KAFKA_IMAGES = ("apache/kafka:", "docker.io/apache/kafka:")
STRIMZI_KAFKA_IMAGE = re.compile(r"^quay\.io/strimzi/kafka:[\w.]+-kafka-[\w.]+$")
KUBECTL_IMAGE = "registry.k8s.io/kubectl:"


class ApiError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class Api:
    """The API server's REST interface, as the cluster's admin (client certificate)."""

    def __init__(self, server: str, context: ssl.SSLContext):
        self.server = server
        self.context = context
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                  urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: dict | None = None,
             content_type: str = "application/json") -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server + path, data=data, method=method,
                                         headers={"Content-Type": content_type, "Accept": "application/json"})
        try:
            with self.opener.open(request, timeout=30) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as problem:
            text = problem.read().decode(errors="replace")
            try:
                text = json.loads(text).get("message", text)
            except ValueError:
                pass
            raise ApiError(problem.code, text) from None

    def get(self, path: str) -> dict | None:
        try:
            return self.call("GET", path)
        except ApiError as problem:
            if problem.code == 404:
                return None
            raise

    def merge_patch(self, path: str, body: dict) -> dict:
        return self.call("PATCH", path, body, "application/merge-patch+json")


def now() -> str:
    return _stamp(datetime.datetime.now(datetime.timezone.utc))


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class BoundPod(podrunner.Pod):
    """A pod bound to this node, with what the kubelet knows of it."""

    namespace: str = ""
    uid: str = ""
    object: dict = field(default_factory=dict)  # the pod as the API server gave it
    phase: str = "Pending"
    start_time: str = ""
    init_statuses: list[dict] = field(default_factory=list)
    waiting: tuple[str, str] | None = ("ContainerCreating", "")
    started_at: str = ""
    terminated: dict | None = None  # the container's last exit, while it is not running
    last_state: dict = field(default_factory=dict)
    restarts: int = 0
    ready: bool = False
    transitions: dict[str, tuple[str, str]] = field(default_factory=dict)  # condition -> (status, time)
    deleting: bool = False
    grace: float | None = None  # the deletion's grace period, once deleting
    gone: bool = False  # no longer in the API: nothing more to write
    written: dict | None = None  # the status last written
    worker: threading.Thread | None = None

    @property
    def initialized(self) -> bool:
        return len(self.init_statuses) == len(self.spec.get("initContainers") or []) and all(
            "terminated" in s["state"] and s["state"]["terminated"]["exitCode"] == 0 for s in self.init_statuses)


def pod_status(pod: BoundPod) -> dict:
    """The pod's status, as the kubelet writes it."""
    container = pod.container_spec
    if pod.running:
        state = {"running": {"startedAt": pod.started_at}}
    elif pod.terminated is not None:
        state = {"terminated": pod.terminated}
    else:
        reason, message = pod.waiting or ("ContainerCreating", "")
        state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    status = {
        "name": container["name"], "image": container["image"], "imageID": "",
        "ready": pod.ready, "started": pod.running, "restartCount": pod.restarts, "state": state,
        **({"lastState": pod.last_state} if pod.last_state else {}),
    }
    conditions = {"PodScheduled": True, "Initialized": pod.initialized,
                  "ContainersReady": pod.ready, "Ready": pod.ready}
    result = {
        "phase": pod.phase, "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
        "podIP": pod.address, "podIPs": [{"ip": pod.address}],
        "conditions": [_condition(pod, kind, value) for kind, value in conditions.items()],
        "containerStatuses": [status],
    }
    if pod.start_time:
        result["startTime"] = pod.start_time
    if pod.spec.get("initContainers"):
        result["initContainerStatuses"] = _init_statuses(pod)
    return result


def _condition(pod: BoundPod, kind: str, value: bool) -> dict:
    status = "True" if value else "False"
    if pod.transitions.get(kind, ("",))[0] != status:
        pod.transitions[kind] = (status, now())
    return {"type": kind, "status": status, "lastProbeTime": None,
            "lastTransitionTime": pod.transitions[kind][1]}


def _init_statuses(pod: BoundPod) -> list[dict]:
    statuses = list(pod.init_statuses)
    for init in (pod.spec.get("initContainers") or [])[len(statuses):]:
        statuses.append({"name": init["name"], "image": init["image"], "imageID": "", "ready": False,
                         "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}})
    return statuses


class ApiPods(podrunner.PodRuntime):
    """The pod runner with a pod's sources taken from the API server."""

    def __init__(self, agent: NodeAgent, work_dir: Path, **options):
        super().__init__(work_dir, **options)
        self.agent = agent
        self.init_timeout = 900.0  # the Job's activeDeadlineSeconds is the real bound

    def _namespaced(self, pod: BoundPod, kind: str, name: str) -> dict | None:
        return self.agent.api.get(f"/api/v1/namespaces/{pod.namespace}/{kind}/{urllib.parse.quote(name)}")

    def config_map_data(self, pod: BoundPod, name: str) -> dict | None:
        config_map = self._namespaced(pod, "configmaps", name)
        if config_map is None:
            return None
        data: dict = dict(config_map.get("data") or {})
        data.update({k: base64.b64decode(v) for k, v in (config_map.get("binaryData") or {}).items()})
        return data

    def secret_data(self, pod: BoundPod, name: str) -> dict[str, bytes] | None:
        secret = self._namespaced(pod, "secrets", name)
        if secret is None:
            return None
        return {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}

    def field_value(self, pod: BoundPod, field_path: str) -> str:
        metadata = pod.object["metadata"]
        fields = {"metadata.name": pod.name, "metadata.namespace": pod.namespace, "metadata.uid": pod.uid,
                  "spec.nodeName": NODE_NAME, "spec.serviceAccountName": pod.spec.get("serviceAccountName", ""),
                  "status.podIP": pod.address, "status.hostIP": "127.0.0.1"}
        match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", field_path)
        if match:
            return (metadata.get(match[1]) or {}).get(match[2], "")
        if field_path not in fields:
            raise podrunner.PodError(f"{pod.name}: no value for fieldRef {field_path}")
        return fields[field_path]

    def service_account_token(self, pod: BoundPod, source: dict) -> bytes:
        account = pod.spec.get("serviceAccountName") or "default"
        request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {
            "audiences": [source["audience"]] if source.get("audience") else None,
            "expirationSeconds": source.get("expirationSeconds", 3600),
            "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": pod.name, "uid": pod.uid}}}
        answer = self.agent.api.call(
            "POST", f"/api/v1/namespaces/{pod.namespace}/serviceaccounts/{account}/token", request)
        return answer["status"]["token"].encode()

    def runtime_env(self, pod: BoundPod) -> dict[str, str]:
        host, port = "127.0.0.1", str(self.agent.api_port)
        return {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port,
                "KUBERNETES_SERVICE_PORT_HTTPS": port, "KUBERNETES_PORT": f"tcp://{host}:{port}",
                "KUBERNETES_PORT_443_TCP": f"tcp://{host}:{port}", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
                "KUBERNETES_PORT_443_TCP_ADDR": host, "KUBERNETES_PORT_443_TCP_PORT": port}

    def image_of(self, container: dict) -> str:
        image = container["image"]
        if image.startswith(KAFKA_IMAGES):
            if image.rsplit(":", 1)[1] != self.agent.kafka_version:
                raise ImageMissing(f"{image}: this node has Kafka {self.agent.kafka_version} only")
            return "kafka"
        if STRIMZI_KAFKA_IMAGE.match(image):
            return "kafka"  # its Java tools and openssl are what the chart's steps use
        if image.startswith(KUBECTL_IMAGE):
            return "kubectl"
        raise ImageMissing(f"{image}: this node has no stand-in for it")

    def init_container_ended(self, pod: BoundPod, init: dict, exit_code: int, seconds: float) -> None:
        self.agent.init_container_ended(pod, init, exit_code, seconds)

    def hosts_file(self, pod: BoundPod) -> str:
        lines = ["# Written by the kafkac test node, as the kubelet writes a pod's /etc/hosts.",
                 "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        hostname, subdomain = pod.spec.get("hostname"), pod.spec.get("subdomain")
        if hostname and subdomain:
            lines.append(f"{pod.address}\t{hostname}.{subdomain}.{pod.namespace}.svc.cluster.local\t{hostname}")
        else:
            lines.append(f"{pod.address}\t{pod.name}")
        for name, addresses in sorted(self.agent.dns.get(pod.namespace, {}).items()):
            lines.extend(f"{address}\t{name}" for address in addresses)
        return "\n".join(lines) + "\n"


class ImageMissing(podrunner.PodError):
    """The node has nothing to run for the container's image."""


class Resolver:
    """Cluster DNS of one namespace, for clients in the test process (conftest.resolving)."""

    def __init__(self, agent: NodeAgent, namespace: str):
        self.agent, self.namespace = agent, namespace

    def resolve(self, host: str) -> list[str] | None:
        return self.agent.dns.get(self.namespace, {}).get(host.rstrip(".").lower())


class NodeAgent:
    """The node: binds, runs and reports the pods of the namespaces it serves."""

    def __init__(self, plane, work_dir: Path, addresses: Iterator[str], kafka_version: str,
                 **runtime_options):
        self.api = Api(plane.server, plane.ssl_context())
        self.api_port = plane.api_port
        self.work_dir = Path(work_dir)
        self.kafka_version = kafka_version
        self.runtime = ApiPods(self, self.work_dir, **runtime_options)
        self.addresses = addresses
        self.namespaces: set[str] = set()
        self.dns: dict[str, dict[str, list[str]]] = {}
        self.bound: dict[str, BoundPod] = {}  # uid -> pod
        self.lock = threading.Lock()
        self.probe_lock = threading.Lock()
        self.stopping = threading.Event()
        self.log_file = self.work_dir / "node.log"
        self.thread = threading.Thread(target=self._loop, name="kafkac-node", daemon=True)
        self._heartbeat_at = 0.0
        self._after_init: dict[tuple[str, str], Callable[[str], None]] = {}

    @classmethod
    def start(cls, plane, work_dir: Path, addresses: Iterator[str], kafka_version: str,
              **runtime_options) -> NodeAgent:
        work_dir.mkdir(parents=True, exist_ok=True)
        agent = cls(plane, work_dir, addresses, kafka_version, **runtime_options)
        agent._register()
        agent.thread.start()
        return agent

    def once_after_init(self, namespace: str, container: str, action: Callable[[str], None]) -> None:
        """Call action(pod name) when the next init container of that name in the namespace
        ends, before its pod's next container starts: a test's change between two steps."""
        with self.lock:
            self._after_init[namespace, container] = action

    def log(self, message: str) -> None:
        with self.lock, open(self.log_file, "a") as log:
            log.write(f"{now()} {message}\n")

    # --- the Node ------------------------------------------------------------------------------

    def _register(self) -> None:
        capacity = {"cpu": str(os.cpu_count() or 1), "memory": f"{_memory_kib()}Ki", "pods": "110",
                    "ephemeral-storage": "20Gi"}
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": NODE_NAME, "labels": {
                    "kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64"}},
                "status": {"capacity": capacity, "allocatable": capacity,
                           "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                         {"type": "Hostname", "address": NODE_NAME}]}}
        try:
            self.api.call("POST", "/api/v1/nodes", node)
        except ApiError as problem:
            if problem.code != 409:
                raise
        self._heartbeat()

    def _heartbeat(self) -> None:
        stamp = now()
        conditions = [{"type": kind, "status": "False", "reason": f"KubeletHas{reason}",
                       "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}
                      for kind, reason in (("MemoryPressure", "SufficientMemory"),
                                           ("DiskPressure", "NoDiskPressure"),
                                           ("PIDPressure", "SufficientPID"))]
        conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                           "message": "kafkac test node is posting ready status",
                           "lastHeartbeatTime": stamp, "lastTransitionTime": stamp})
        self.api.merge_patch(f"/api/v1/nodes/{NODE_NAME}/status", {"status": {"conditions": conditions}})
        self._heartbeat_at = time.monotonic()

    # --- namespaces ----------------------------------------------------------------------------

    def serve(self, namespace: str) -> Resolver:
        self.namespaces.add(namespace)
        return Resolver(self, namespace)

    def release(self, namespace: str) -> None:
        """Stop serving the namespace: kill its pods and remove them from the API at once."""
        self.namespaces.discard(namespace)
        pods = self._bound_in(namespace)
        for pod in pods:
            pod.grace, pod.deleting = 0.0, True
        for pod in pods:
            if pod.worker is not None:
                pod.worker.join(timeout=60)
        self.dns.pop(namespace, None)

    def _bound_in(self, namespace: str) -> list[BoundPod]:
        # list() copies the values at once: the pods' threads remove entries meanwhile.
        return [p for p in list(self.bound.values()) if p.namespace == namespace]

    def pods(self, namespace: str) -> dict[str, BoundPod]:
        """The pods of the namespace running here, by name."""
        return {p.name: p for p in self._bound_in(namespace) if not p.gone}

    # --- the loop ------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                if time.monotonic() - self._heartbeat_at >= HEARTBEAT_SECONDS:
                    self._heartbeat()
                for namespace in list(self.namespaces):
                    self._sync(namespace)
            except Exception:  # an API hiccup: the next round tries again
                self.log(f"sync failed:\n{traceback.format_exc()}")
            self.stopping.wait(POLL_SECONDS)

    def _sync(self, namespace: str) -> None:
        items = self.api.call("GET", f"/api/v1/namespaces/{namespace}/pods")["items"]
        present = set()
        for item in items:
            metadata, spec = item["metadata"], item["spec"]
            present.add(metadata["uid"])
            phase = (item.get("status") or {}).get("phase", "Pending")
            if not spec.get("nodeName"):
                if not metadata.get("deletionTimestamp") and phase == "Pending":
                    self._bind(item)
            elif spec["nodeName"] != NODE_NAME:
                continue
            elif metadata["uid"] in self.bound:
                pod = self.bound[metadata["uid"]]
                pod.object = item
                if metadata.get("deletionTimestamp") and not pod.deleting:
                    pod.grace = float(metadata.get("deletionGracePeriodSeconds", 30))
                    pod.deleting = True
            elif metadata.get("deletionTimestamp") or phase in ("Succeeded", "Failed"):
                if metadata.get("deletionTimestamp"):  # never run here, or run by an earlier node
                    self._delete_now(namespace, metadata["name"], metadata["uid"])
            else:
                self._admit(item)
        for pod in self._bound_in(namespace):
            if pod.uid not in present:
                pod.gone = pod.deleting = True
        self._update_dns(namespace)

    def _bind(self, item: dict) -> None:
        metadata = item["metadata"]
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": metadata["name"], "uid": metadata["uid"]},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME}}
        try:
            self.api.call("POST", f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}/binding",
                          binding)
            self.log(f"bound {metadata['namespace']}/{metadata['name']}")
        except ApiError as problem:
            self.log(f"binding {metadata['namespace']}/{metadata['name']} failed: {problem}")

    def _admit(self, item: dict) -> None:
        metadata, spec = item["metadata"], item["spec"]
        namespace, name, uid = metadata["namespace"], metadata["name"], metadata["uid"]
        owner = next((o for o in metadata.get("ownerReferences") or [] if o.get("controller")), {})
        pod = BoundPod(
            name=name, statefulset=owner.get("name", "") if owner.get("kind") == "StatefulSet" else "",
            ordinal=int((metadata.get("labels") or {}).get("apps.kubernetes.io/pod-index", 0)),
            address=next(self.addresses), spec=spec, labels=metadata.get("labels") or {}, claim_names=[],
            dir=self.work_dir / namespace / "pods" / f"{name}-{uid[:8]}",
            namespace=namespace, uid=uid, object=item, start_time=now())
        self.bound[uid] = pod
        self.log(f"running {namespace}/{name} ({uid}) at {pod.address}")
        pod.worker = threading.Thread(target=self._run_pod, args=(pod,), name=f"pod-{name}", daemon=True)
        pod.worker.start()

    # --- one pod -------------------------------------------------------------------------------

    def _run_pod(self, pod: BoundPod) -> None:
        try:
            self._live(pod)
        except Exception as problem:
            # What the runner cannot do fails the pod rather than retrying it forever.
            self.log(f"{pod.namespace}/{pod.name}: {traceback.format_exc()}")
            self.runtime.delete_pod(pod, grace=0)
            pod.phase, pod.ready = "Failed", False
            pod.waiting = ("RunContainerError", str(problem).splitlines()[0] if str(problem) else repr(problem))
            self._write_status(pod)
            while not pod.deleting and not self.stopping.is_set():
                time.sleep(POLL_SECONDS)
        finally:
            self.runtime.delete_pod(pod, grace=0)
            if pod.deleting and not pod.gone:
                self._confirm_deletion(pod)
            self.bound.pop(pod.uid, None)

    def _live(self, pod: BoundPod) -> None:
        """Create the pod, run its container by its restartPolicy, report it, until it is deleted."""
        if len(pod.spec["containers"]) != 1:
            raise podrunner.PodError(f"{pod.name}: the node runs pods of one container only")
        policy = pod.spec.get("restartPolicy", "Always")
        self._write_status(pod)
        if not self._create(pod, policy):
            return
        probes = Probes(pod.container_spec.get("readinessProbe"))
        restart_at: float | None = None
        while not pod.deleting and not self.stopping.is_set():
            if pod.running:
                pod.ready = probes.ready(lambda: self._probe(pod))
            elif pod.phase == "Running" and restart_at is None:
                code = pod.container.returncode if pod.container else -1
                pod.terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                  "startedAt": pod.started_at, "finishedAt": now()}
                pod.ready = False
                self.runtime.stop_container(pod, grace=0)  # what is left of its processes
                if policy == "Always" or (policy == "OnFailure" and code != 0):
                    restart_at = time.monotonic() + min(BACK_OFF_SECONDS * 2 ** pod.restarts, BACK_OFF_MAX)
                    pod.waiting = ("CrashLoopBackOff", f"back-off restarting the container (exit code {code})")
                else:
                    pod.phase = "Succeeded" if code == 0 else "Failed"
                    self.runtime.delete_pod(pod, grace=0)  # the sandbox goes, the record stays
            elif restart_at is not None and time.monotonic() >= restart_at:
                restart_at = None
                pod.last_state = {"terminated": pod.terminated}
                pod.terminated = None
                pod.restarts += 1
                self._start(pod)
                probes = Probes(pod.container_spec.get("readinessProbe"))
            self._write_status(pod)
            time.sleep(POLL_SECONDS)
        if pod.deleting and pod.running:
            grace = pod.grace if pod.grace is not None else pod.spec.get("terminationGracePeriodSeconds", 30)
            self.runtime.stop_container(pod, grace=float(grace))

    def _create(self, pod: BoundPod, policy: str) -> bool:
        """The sandbox and init containers, waiting for what the pod needs; False if it never ran."""
        attempt = 0
        while not pod.deleting and not self.stopping.is_set():
            try:
                self._check_claims(pod)
                for container in (pod.spec.get("initContainers") or []) + pod.spec["containers"]:
                    self.runtime.image_of(container)
                self._create_with_init_statuses(pod)
                self._start(pod)
                return True
            except ImageMissing as problem:
                pod.waiting = ("ErrImagePull", str(problem))
            except podrunner.NotYet as problem:
                pod.waiting = ("ContainerCreating", str(problem))
            except podrunner.InitFailed as problem:
                self.runtime.delete_pod(pod, grace=0)
                if policy == "Never":
                    pod.phase = "Failed"
                    pod.waiting = ("PodInitializing", "")
                    self._write_status(pod)
                    while not pod.deleting and not self.stopping.is_set():
                        time.sleep(POLL_SECONDS)
                    return False
                pod.waiting = ("PodInitializing", str(problem).splitlines()[0])
                attempt += 1
                self._write_status(pod)
                time.sleep(min(BACK_OFF_SECONDS * 2 ** (attempt - 1), BACK_OFF_MAX))
                continue
            self._write_status(pod)
            time.sleep(2 * POLL_SECONDS)
        return False

    def _check_claims(self, pod: BoundPod) -> None:
        for volume in pod.spec.get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim and self.runtime._namespaced(pod, "persistentvolumeclaims", claim) is None:
                raise podrunner.NotYet(f"{pod.name}: PersistentVolumeClaim {claim} does not exist")

    def _create_with_init_statuses(self, pod: BoundPod) -> None:
        pod.init_statuses = []
        self.runtime.create_pod(pod)

    def init_container_ended(self, pod: BoundPod, init: dict, exit_code: int, seconds: float) -> None:
        # Kept beside the containers' logs: the pod's folder goes when it fails.
        logs = pod.dir.parent.parent / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        (logs / f"{pod.dir.name}.init-{init['name']}.log").write_bytes(
            (pod.dir / f"init-{init['name']}.log").read_bytes())
        finished = datetime.datetime.now(datetime.timezone.utc)
        started = finished - datetime.timedelta(seconds=seconds)
        pod.init_statuses.append({
            "name": init["name"], "image": init["image"], "imageID": "", "ready": exit_code == 0,
            "restartCount": 0, "state": {"terminated": {
                "exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                "startedAt": _stamp(started), "finishedAt": _stamp(finished)}}})
        self._write_status(pod)
        with self.lock:
            action = self._after_init.pop((pod.namespace, init["name"]), None)
        if action is not None:
            action(pod.name)

    def _probe(self, pod: BoundPod) -> bool:
        """The readiness probe, one pod at a time: Kafka's starts a JVM, and several at once on
        two cores would each outlast the probe's timeoutSeconds."""
        with self.probe_lock:
            liveness = pod.container_spec.get("livenessProbe") or {}
            if "tcpSocket" in liveness and not self.runtime.probe(pod, "livenessProbe").ok:
                return False  # not listening yet: the readiness probe cannot pass
            result = self.runtime.probe(pod)
        if not result.ok:
            self.log(f"{pod.namespace}/{pod.name}: readiness probe failed after {result.seconds:.1f} s: "
                     f"{result.output.splitlines()[-1] if result.output else ''}")
        return result.ok

    def _start(self, pod: BoundPod) -> None:
        self.runtime.start_container(pod)
        pod.phase, pod.waiting, pod.started_at = "Running", None, now()

    def _write_status(self, pod: BoundPod) -> None:
        status = pod_status(pod)
        if pod.gone or status == pod.written:
            return
        try:
            self.api.merge_patch(f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}/status",
                                 {"metadata": {"uid": pod.uid}, "status": status})
            pod.written = status
        except ApiError as problem:
            if problem.code in (404, 409):
                pod.gone = pod.deleting = True
            else:
                self.log(f"{pod.namespace}/{pod.name}: status not written: {problem}")

    def _confirm_deletion(self, pod: BoundPod) -> None:
        self._delete_now(pod.namespace, pod.name, pod.uid)
        pod.gone = True

    def _delete_now(self, namespace: str, name: str, uid: str) -> None:
        try:
            self.api.call("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}",
                          {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                           "preconditions": {"uid": uid}})
        except ApiError as problem:
            if problem.code not in (404, 409):
                self.log(f"{namespace}/{name}: not deleted: {problem}")

    # --- names ---------------------------------------------------------------------------------

    def _update_dns(self, namespace: str) -> None:
        services = self.api.call("GET", f"/api/v1/namespaces/{namespace}/services")["items"]
        pods = [p for p in self._bound_in(namespace) if not p.deleting]
        names = cluster_names(namespace, pods, services)
        if names != self.dns.get(namespace):
            self.dns[namespace] = names
            for pod in pods:
                hosts = pod.dir / "hosts"
                if hosts.is_file():
                    hosts.write_text(self.runtime.hosts_file(pod))  # in place: the pod's bind mount sees it

    # --- the end -------------------------------------------------------------------------------

    def log_text(self, namespace: str, name: str) -> str:
        """The output of the container's latest start, or "" if it never started."""
        pod = self.pods(namespace).get(name)
        if pod is not None:
            return pod.log_text()
        logs = sorted((self.work_dir / namespace / "logs").glob(f"{name}-*[0-9].log"),
                      key=lambda p: p.stat().st_mtime)
        return logs[-1].read_text(errors="replace") if logs else ""

    def init_log_text(self, namespace: str, name: str, container: str) -> str:
        """The output of the pod's init container, or "" if it never ran."""
        logs = sorted((self.work_dir / namespace / "logs").glob(f"{name}-*.init-{container}.log"),
                      key=lambda p: p.stat().st_mtime)
        return logs[-1].read_text(errors="replace") if logs else ""

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
        self.runtime.close()
        try:
            self.api.call("DELETE", f"/api/v1/nodes/{NODE_NAME}")
        except (ApiError, OSError):
            pass


class Probes:
    """The readiness probe's schedule and thresholds, as the kubelet keeps them."""

    def __init__(self, spec: dict | None):
        self.spec = spec
        self.started = time.monotonic()
        self.next_at = self.started + (spec or {}).get("initialDelaySeconds", 0)
        self.successes = self.failures = 0
        self.ready = self._ready if spec else lambda probe: True
        self.state = False

    def _ready(self, probe) -> bool:
        if time.monotonic() < self.next_at:
            return self.state
        self.next_at = time.monotonic() + self.spec.get("periodSeconds", 10)
        if probe():
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= self.spec.get("successThreshold", 1):
                self.state = True
        else:
            self.successes, self.failures = 0, self.failures + 1
            if self.failures >= self.spec.get("failureThreshold", 3):
                self.state = False
        return self.state


def cluster_names(namespace: str, pods: list[BoundPod], services: list[dict]) -> dict[str, list[str]]:
    """What cluster DNS answers in the namespace: pod names by hostname and subdomain, and
    Service names by selector (ready pods, or every pod with publishNotReadyAddresses)."""
    names: dict[str, list[str]] = {}
    for pod in pods:
        hostname, subdomain = pod.spec.get("hostname"), pod.spec.get("subdomain")
        if hostname and subdomain:
            for suffix in ("svc", "svc.cluster.local"):
                names[f"{hostname}.{subdomain}.{namespace}.{suffix}"] = [pod.address]
    for service in services:
        selector = service["spec"].get("selector")
        if not selector:
            continue
        everyone = service["spec"].get("publishNotReadyAddresses", False)
        addresses = sorted(p.address for p in pods if (everyone or p.ready)
                           and all(p.labels.get(k) == v for k, v in selector.items()))
        name = service["metadata"]["name"]
        for full in (name, f"{name}.{namespace}", f"{name}.{namespace}.svc",
                     f"{name}.{namespace}.svc.cluster.local"):
            names[full] = addresses
    return names


def addresses(prefixes: list[str]) -> Iterator[str]:
    """Pod addresses, never given twice: .10 to .249 of each /24 prefix in turn."""
    for prefix in prefixes:
        for last in range(10, 250):
            yield f"{prefix}.{last}"


def _memory_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 4 * 2**20
