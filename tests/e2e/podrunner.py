"""Run a compiled chart's pods on this machine, as the kubelet would, one process tree per pod.

The chart is rendered with the real `helm template`; for every pod of every
StatefulSet the runner takes the container's command, environment, probes,
volumes and security context exactly as rendered, and runs them:

* Each pod gets a *sandbox*: a process holding its own mount and UTS
  namespaces (made with util-linux `unshare`), like the pause container holds
  a pod's namespaces. Its root file system is a read-only tmpfs
  (`readOnlyRootFilesystem: true`) with the host's /usr, /etc, /lib* bound
  read-only, Kafka at /opt/kafka as in the apache/kafka image (the jars from
  Maven Central, see tests/kafka_dist.py), and every volumeMount at its rendered
  path: ConfigMaps and Secrets as files, emptyDirs as fresh folders,
  volumeClaimTemplates as folders that outlive the pod. Nothing of the chart
  is edited; paths inside the pod are the rendered ones.
* The container runs inside the sandbox (`nsenter` + `chroot`) as the pod's
  runAsUser/runAsGroup with fsGroup as supplementary group, with a clean
  environment: the rendered env (fieldRefs resolved to the pod's name,
  namespace and address) plus what the image and the runtime set (PATH,
  JAVA_HOME, HOSTNAME, HOME).
* Network: every pod has its own loopback address (127.S.B.N, see RunSlot). The shim
  (shim/loopback.c, LD_PRELOAD) turns a bind() to the wildcard address into a
  bind to the pod's address, and a connect() to 127.0.0.1/::1 into a connect
  to it, so each pod can listen on 0.0.0.0:9092 and "localhost" is the pod,
  as with a pod's own network namespace. The pod's /etc/hosts maps every
  pod's DNS name (`<pod>.<headless service>.<namespace>.svc[.cluster.local]`)
  and every Service name to those addresses, as cluster DNS would; its
  /etc/resolv.conf names no server, so no lookup leaves the machine.
  `KAFKAC_E2E_POD_IP` and `LD_PRELOAD` are the only variables a real pod does
  not have.
* Init containers run to completion, in order, before the container starts,
  each in a sandbox of its own mounts; emptyDirs are shared with the container.
  Their image is taken to be the Kafka image; an init container of another
  image (Strimzi's kafka-init, kubectl) needs a stand-in command from the test
  (`init_commands`), which then runs in its place with its mounts and environment.
* Probes: an exec probe runs its command inside the pod the same way (as
  `kubectl exec` would); a tcpSocket probe connects to the pod's address.
* Secrets: those the chart defines come from the rendered manifests; those it
  does not define (made by its hook Job, by cert-manager or by a person) are
  given by the test as `secrets=`, name -> key -> bytes. A pod whose Secret
  volume names neither fails to start, where a real one would wait.

The machinery is PodRuntime's; where a pod's ConfigMaps, Secrets, field values
and names come from is its subclass's. LocalCluster takes them from the rendered
chart (above); tests/kube/node.py, the node agent of the tests' control plane,
from the Kubernetes API, and runs the pods the API server binds to it, the
kubectl image's containers included (the pinned kubectl, first on PATH);
LocalCluster does the same for them once a test gives it that program
(`kubectl`, as tests/e2e/topicjob.py's give_kubectl does).

Stopping a pod sends SIGTERM to the container's main process and SIGKILL to
its whole process group after terminationGracePeriodSeconds, as the kubelet
does. `close()` kills every process group the runner started; the fixtures
call it in a `finally`, and an atexit hook calls it if nothing else did.
"""

from __future__ import annotations

import atexit
import base64
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compiler import tools
from compiler.verify import render

SHIM_DIR = "/kafkac-e2e"  # where the LD_PRELOAD shim is bound inside a pod
KAFKA_HOME_IN_POD = "/opt/kafka"  # the apache/kafka image's distribution folder
KUBECTL_BIN_IN_POD = "/opt/kubectl/bin"  # where the kubectl image's program is, first on PATH
KUBECTL_IMAGE = "registry.k8s.io/kubectl:"
HOST_SYSTEM_DIRS = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Every name a pod looks up is in its /etc/hosts; without a nameserver line the
# resolver would ask 127.0.0.1, so no lookup ever leaves the machine.
RESOLV_CONF = "# No cluster DNS here: every cluster name is in /etc/hosts.\noptions attempts:1 timeout:1\n"
SANDBOX_START_TIMEOUT = 30.0


class PodError(Exception):
    """A pod could not be set up or started as its manifest says."""


class NotYet(PodError):
    """What the pod needs (a ConfigMap, a Secret, a claim) does not exist yet: the kubelet waits."""


class InitFailed(PodError):
    """An init container exited with an error."""

    def __init__(self, message: str, container: str, exit_code: int):
        super().__init__(message)
        self.container = container
        self.exit_code = exit_code


@dataclass
class ProbeResult:
    ok: bool
    output: str
    seconds: float

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class Pod:
    name: str
    statefulset: str
    ordinal: int
    address: str
    spec: dict  # the pod template's spec, as rendered
    labels: dict
    claim_names: list[str]
    dir: Path
    sandbox: subprocess.Popen | None = None
    container: subprocess.Popen | None = None
    starts: int = 0
    generation: int = 0  # how many times the pod (sandbox and emptyDirs) was created
    logs: list[Path] = field(default_factory=list)

    @property
    def container_spec(self) -> dict:
        return self.spec["containers"][0]

    @property
    def root(self) -> Path:
        return self.dir / "root"

    def claim_dir(self, claim: str) -> Path:
        """The folder standing in for PersistentVolumeClaim `<claim>-<pod>`."""
        return self.claim_folder(f"{claim}-{self.name}")

    @property
    def running(self) -> bool:
        return self.container is not None and self.container.poll() is None

    def claim_folder(self, claim_name: str) -> Path:
        """The folder standing in for the PersistentVolumeClaim so named."""
        return self.dir.parent.parent / "claims" / claim_name

    def log_text(self, start: int = -1) -> str:
        """The container's output of its `start`th start (default: the latest)."""
        if not self.logs:
            return ""
        return self.logs[start].read_text(errors="replace")


class PodRuntime:
    """Runs pods on this machine, as the kubelet would: sandboxes, volumes, containers, probes.

    Where a pod's ConfigMaps, Secrets, ServiceAccount tokens, field values and
    cluster DNS come from is a subclass's: LocalCluster takes them from a rendered
    chart, tests/kube/node.py from the Kubernetes API.
    """

    def __init__(self, work_dir: Path, *, kafka_home: Path, shim: Path, java_home: Path,
                 registry: Path | None = None, kubectl: Path | None = None,
                 init_commands: dict[str, Callable[[Pod], list[str] | None]] | None = None):
        # Init containers whose image the runner cannot stand in for: name -> the
        # command to run instead, in the init container's own mounts, user and
        # environment, or None to leave it to the test.
        self.init_commands = dict(init_commands or {})
        self.work_dir = Path(work_dir)
        self.kafka_home = Path(kafka_home)
        self.shim = Path(shim)
        self.java_home = Path(java_home)
        self.kubectl = kubectl  # the kubectl image's program, when the runtime has one
        self.init_timeout = 120.0  # seconds an init container may take
        self.registry = registry
        self.pods: dict[str, Pod] = {}
        self._groups: set[int] = set()  # process groups to kill on close
        self._closed = False
        atexit.register(self.close)

    # ------------------------------------------------------- a pod's sources

    def config_map_data(self, pod: Pod, name: str) -> dict | None:
        """The ConfigMap's data (key -> str or bytes), or None when it does not exist."""
        raise NotImplementedError

    def secret_data(self, pod: Pod, name: str) -> dict[str, bytes] | None:
        """The Secret's data, or None when it does not exist."""
        raise NotImplementedError

    def field_value(self, pod: Pod, field_path: str) -> str:
        """A fieldRef's value (downward API)."""
        raise NotImplementedError

    def hosts_file(self, pod: Pod) -> str:
        """The pod's /etc/hosts: its own name and what cluster DNS would answer."""
        raise NotImplementedError

    def service_account_token(self, pod: Pod, source: dict) -> bytes:
        """A token for a projected serviceAccountToken volume source."""
        raise PodError(f"{pod.name}: a ServiceAccount token needs an API server")

    def runtime_env(self, pod: Pod) -> dict[str, str]:
        """Variables the kubelet adds to every container (the API server's address)."""
        return {}

    def image_of(self, container: dict) -> str:
        """Which image layout the container gets: "kafka" or "kubectl"."""
        return "kafka"

    def init_container_ended(self, pod: Pod, init: dict, exit_code: int, seconds: float) -> None:
        """Called as each init container exits (the kubelet reports it)."""

    # ------------------------------------------------------------- sandboxes

    def _security(self, pod: Pod, container: dict | None = None) -> tuple[int, int, int | None]:
        pod_ctx = pod.spec.get("securityContext") or {}
        ctx = {**pod_ctx, **((container or pod.container_spec).get("securityContext") or {})}
        uid = ctx.get("runAsUser", 0)
        gid = ctx.get("runAsGroup", uid)
        if ctx.get("runAsNonRoot") and uid == 0:
            raise PodError(f"{pod.name}: runAsNonRoot with runAsUser 0 would not start")
        return uid, gid, pod_ctx.get("fsGroup")

    def volume_folder(self, pod: Pod, name: str) -> Path:
        """The host folder behind the pod's volume `name`."""
        if name in pod.claim_names:
            return pod.claim_dir(name)
        volume = next((v for v in pod.spec.get("volumes") or [] if v["name"] == name), {})
        if "persistentVolumeClaim" in volume:
            return pod.claim_folder(volume["persistentVolumeClaim"]["claimName"])
        return pod.dir / "volumes" / name

    def _volume_source(self, pod: Pod, volume: dict, fs_group: int | None) -> Path:
        """Make the host folder that backs one of the pod's volumes."""
        name = volume["name"]
        folder = self.volume_folder(pod, name)
        if name in pod.claim_names or "persistentVolumeClaim" in volume:
            if not folder.exists():
                folder.mkdir(parents=True)
                _own(folder, 0, fs_group, 0o2775 if fs_group is not None else 0o755)
            return folder
        if "emptyDir" in volume and folder.is_dir():
            return folder  # made for an init container of the same pod: the same emptyDir
        folder.mkdir(parents=True, exist_ok="emptyDir" not in volume)
        if "emptyDir" in volume:
            _own(folder, 0, fs_group, 0o2777 if fs_group is not None else 0o777)
        elif "configMap" in volume:
            source = volume["configMap"]
            self._write_items(folder, self._config_map(pod, source["name"], source), source, fs_group)
        elif "secret" in volume:
            source = volume["secret"]
            self._write_items(folder, self._secret(pod, source["secretName"], source), source, fs_group)
        elif "projected" in volume:
            self._write_projected(pod, folder, volume["projected"], fs_group)
        else:
            raise PodError(f"{pod.name}: volume {name} has a type the runner does not know: {volume}")
        return folder

    def _config_map(self, pod: Pod, name: str, source: dict) -> dict:
        data = self.config_map_data(pod, name)
        if data is None and not source.get("optional"):
            raise NotYet(f"{pod.name}: ConfigMap {name} does not exist "
                         "(a real pod waits in ContainerCreating)")
        return data or {}

    def _secret(self, pod: Pod, name: str, source: dict) -> dict[str, bytes]:
        data = self.secret_data(pod, name)
        if data is None and not source.get("optional"):
            raise NotYet(f"{pod.name}: Secret {name} does not exist "
                         "(a real pod waits in ContainerCreating)")
        return data or {}

    def _write_projected(self, pod: Pod, folder: Path, projected: dict, fs_group: int | None) -> None:
        """A projected volume: ServiceAccount token, ConfigMap, Secret and downward API files
        in one folder, as the kubelet writes the ServiceAccount admission's kube-api-access."""
        mode = projected.get("defaultMode", 0o644)
        for source in projected.get("sources") or []:
            if "serviceAccountToken" in source:
                token = source["serviceAccountToken"]
                data = {token["path"]: self.service_account_token(pod, token)}
                self._write_items(folder, data, {"defaultMode": mode}, fs_group)
            elif "configMap" in source:
                ref = source["configMap"]
                self._write_items(folder, self._config_map(pod, ref["name"], ref),
                                  {"defaultMode": mode, **ref}, fs_group)
            elif "secret" in source:
                ref = source["secret"]
                self._write_items(folder, self._secret(pod, ref["name"], ref),
                                  {"defaultMode": mode, **ref}, fs_group)
            elif "downwardAPI" in source:
                items = source["downwardAPI"].get("items") or []
                data = {item["path"]: self.field_value(pod, item["fieldRef"]["fieldPath"]) for item in items}
                self._write_items(folder, data, {"defaultMode": mode}, fs_group)
            else:
                raise PodError(f"{pod.name}: a projected source the runner does not know: {source}")

    @staticmethod
    def _write_items(folder: Path, data: dict, source: dict, fs_group: int | None) -> None:
        mode = source.get("defaultMode", 0o644)
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        for item in items:
            if item["key"] not in data:
                raise PodError(f"key {item['key']} is missing from {source}")
            target = folder / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            value = data[item["key"]]
            target.write_bytes(value if isinstance(value, bytes) else value.encode())
            _own(target, 0, fs_group, item.get("mode", mode))
        _own(folder, 0, fs_group, 0o755)

    def _sandbox_script(self, pod: Pod, fs_group: int | None, container: dict | None = None) -> str:
        root = shlex.quote(str(pod.root))
        lines = [
            "set -eu",
            f"root={root}",
            f"hostname {shlex.quote(pod.name)}",
            # The pod's root file system: a tmpfs, made read-only at the end.
            'mount -t tmpfs -o mode=0755,size=8m kafkac-pod "$root"',
            "bind_ro() { mkdir -p \"$2\"; mount --bind \"$1\" \"$2\"; "
            "mount -o remount,bind,ro \"$2\"; }",
        ]
        for name in HOST_SYSTEM_DIRS:
            host = Path("/") / name
            if host.is_symlink():
                lines.append(f'ln -s {shlex.quote(os.readlink(host))} "$root/{name}"')
            elif host.is_dir():
                lines.append(f'bind_ro /{name} "$root/{name}"')
        java = Path(os.path.realpath(self.java_home))
        if not any(java.is_relative_to(Path("/") / d) for d in HOST_SYSTEM_DIRS):
            lines.append(f'bind_ro {shlex.quote(str(java))} "$root"{shlex.quote(str(java))}')
        lines += [
            'mkdir -p "$root/dev" "$root/proc" "$root/sys"',
            'mount --rbind /dev "$root/dev"',
            'mount -t proc proc "$root/proc"',
            'mount --rbind /sys "$root/sys"',
        ]
        image = self.image_of(container or pod.container_spec)
        if image == "kafka":
            for entry in sorted(self.kafka_home.iterdir()):
                lines.append(f'bind_ro {shlex.quote(str(entry))} '
                             f'"$root"{shlex.quote(f"{KAFKA_HOME_IN_POD}/{entry.name}")}')
        elif image == "kubectl":
            if self.kubectl is None:
                raise PodError(f"{pod.name}: the kubectl image needs a kubectl program")
            program = f'"$root"{KUBECTL_BIN_IN_POD}/kubectl'
            lines += [f'mkdir -p "$root"{KUBECTL_BIN_IN_POD}; touch {program}',
                      f'mount --bind {shlex.quote(str(self.kubectl))} {program}']
        lines.append(f'bind_ro {shlex.quote(str(self.shim.parent))} "$root"{SHIM_DIR}')
        volumes = {v["name"]: v for v in pod.spec.get("volumes") or []}
        claims = set(pod.claim_names)
        mounts = sorted((container or pod.container_spec).get("volumeMounts") or [],
                        key=lambda m: m["mountPath"].count("/"))
        for mount in mounts:
            name = mount["name"]
            if name not in volumes and name not in claims:
                raise PodError(f"{pod.name}: volumeMount {name} names no volume")
            source = self._volume_source(pod, volumes.get(name, {"name": name}), fs_group)
            target = '"$root"' + shlex.quote(mount["mountPath"])
            if mount.get("readOnly"):
                lines.append(f"bind_ro {shlex.quote(str(source))} {target}")
            else:
                lines.append(f"mkdir -p {target}; mount --bind {shlex.quote(str(source))} {target}")
        for name, text in (("hosts", self.hosts_file(pod)), ("resolv.conf", RESOLV_CONF)):
            host = Path("/etc") / name
            if host.is_symlink() or not host.is_file():
                raise PodError(f"{host} is not a plain file, so a pod's own cannot be bound over it")
            file = pod.dir / name
            file.write_text(text)
            file.chmod(0o644)
            lines.append(f'mount --bind {shlex.quote(str(file))} "$root/etc/{name}"')
        lines += [
            'mount -o remount,ro "$root"',
            f"touch {shlex.quote(str(pod.dir / 'sandbox.ready'))}",
            "exec sleep infinity",
        ]
        return "\n".join(lines) + "\n"

    def create_pod(self, pod: Pod) -> None:
        """Make the pod's sandbox: fresh emptyDirs, its claims as they are; then run its init containers."""
        if pod.sandbox is not None:
            raise PodError(f"{pod.name} already exists")
        self._remove_pod_dir(pod)
        pod.dir.mkdir(parents=True)
        pod.root.mkdir()
        for init in pod.spec.get("initContainers") or []:
            self._run_init_container(pod, init)
        pod.sandbox = self._make_sandbox(pod, pod.container_spec)
        pod.generation += 1

    def _make_sandbox(self, pod: Pod, container: dict) -> subprocess.Popen:
        _, _, fs_group = self._security(pod, container)
        (pod.dir / "sandbox.ready").unlink(missing_ok=True)
        script = pod.dir / "sandbox.sh"
        script.write_text(self._sandbox_script(pod, fs_group, container))
        log = open(pod.dir / "sandbox.log", "wb")
        with log:
            sandbox = self._spawn(["unshare", "--mount", "--uts", "--propagation", "private",
                                   "/bin/sh", str(script)], log)
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT
        while not (pod.dir / "sandbox.ready").exists():
            if sandbox.poll() is not None:
                raise PodError(f"{pod.name}: the sandbox failed:\n"
                               f"{(pod.dir / 'sandbox.log').read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise PodError(f"{pod.name}: the sandbox was not ready in {SANDBOX_START_TIMEOUT:g} s")
            time.sleep(0.05)
        return sandbox

    def _run_init_container(self, pod: Pod, init: dict) -> None:
        """Run an init container to completion in a sandbox with its own mounts, as the kubelet does.

        Its image is laid out as image_of says (the Kafka image: the jars at
        /opt/kafka/libs); emptyDirs it writes are the ones the main container mounts.
        """
        command = list(init.get("command") or []) + list(init.get("args") or [])
        if init["name"] in self.init_commands:
            command = self.init_commands[init["name"]](pod)
            if command is None:
                return
        sandbox = self._make_sandbox(pod, init)
        began = time.monotonic()
        try:
            argv = self._in_pod(pod, command, container=init, sandbox=sandbox)
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.init_timeout)
        finally:
            self._kill_group(sandbox)
        (pod.dir / f"init-{init['name']}.log").write_text(done.stdout + done.stderr)
        self.init_container_ended(pod, init, done.returncode, time.monotonic() - began)
        if done.returncode != 0:
            raise InitFailed(f"{pod.name}: init container {init['name']} failed "
                             f"({done.returncode}):\n{done.stdout}{done.stderr}", init["name"], done.returncode)

    def _remove_pod_dir(self, pod: Pod) -> None:
        if pod.dir.exists():
            subprocess.run(["rm", "-rf", "--one-file-system", str(pod.dir)], check=True)

    # ------------------------------------------------------------ containers

    def _env(self, pod: Pod, container: dict) -> dict[str, str]:
        java_bin = self.java_home / "bin"
        path = f"{java_bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        if self.image_of(container) == "kubectl":
            path = f"{KUBECTL_BIN_IN_POD}:{path}"
        result = {
            # What the image and the container runtime set.
            "PATH": path,
            "JAVA_HOME": str(self.java_home),
            "HOSTNAME": pod.name,
            "HOME": "/",
            "LANG": "C.UTF-8",
            **self.runtime_env(pod),
        }
        for item in container.get("env") or []:
            result[item["name"]] = self._env_value(pod, item)
        # The only additions: this pod's own address, for the loopback shim.
        result["KAFKAC_E2E_POD_IP"] = pod.address
        result["LD_PRELOAD"] = f"{SHIM_DIR}/{self.shim.name}"
        return result

    def _env_value(self, pod: Pod, item: dict) -> str:
        if "valueFrom" not in item:  # the API server leaves an empty value out
            return str(item.get("value", ""))
        source = item["valueFrom"]
        if "fieldRef" in source:
            return self.field_value(pod, source["fieldRef"]["fieldPath"])
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            value = self._config_map(pod, ref["name"], ref).get(ref["key"])
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            value = self._secret(pod, ref["name"], ref).get(ref["key"])
        else:
            raise PodError(f"{pod.name}: env {item['name']} has a source the runner does not know")
        if value is None and not ref.get("optional"):
            raise NotYet(f"{pod.name}: env {item['name']}: key {ref['key']} of {ref['name']} does not exist")
        return "" if value is None else value.decode() if isinstance(value, bytes) else value

    def _in_pod(self, pod: Pod, command: list[str], env: dict[str, str] | None = None,
                container: dict | None = None, sandbox: subprocess.Popen | None = None) -> list[str]:
        """argv that runs `command` in the pod as its container runs: user, root, environment."""
        sandbox = sandbox or pod.sandbox
        if sandbox is None or sandbox.poll() is not None:
            raise PodError(f"{pod.name} has no sandbox")
        container = container or pod.container_spec
        uid, gid, fs_group = self._security(pod, container)
        groups = ",".join(str(g) for g in dict.fromkeys([gid, fs_group]) if g is not None)
        variables = self._env(pod, container)
        variables.update(env or {})
        return ["nsenter", f"--target={sandbox.pid}", "--mount", "--uts", "--",
                "chroot", f"--userspec={uid}:{gid}", f"--groups={groups}", str(pod.root),
                "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in variables.items()), *command]

    def start_container(self, pod: Pod) -> None:
        """Run the container's command (as rendered) in its pod."""
        if pod.running:
            raise PodError(f"{pod.name} is already running")
        if pod.sandbox is None:
            self.create_pod(pod)
        container = pod.container_spec
        command = list(container.get("command") or []) + list(container.get("args") or [])
        if not command:
            raise PodError(f"{pod.name}: the container has no command; the image's would run")
        pod.starts += 1
        log_path = pod.dir.parent.parent / "logs" / f"{pod.dir.name}.{pod.starts}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        pod.logs.append(log_path)
        with open(log_path, "wb") as log:
            pod.container = self._spawn(self._in_pod(pod, command), log)

    def start(self, pods: Iterable[Pod] | None = None) -> None:
        """Create and start pods (all of them by default), in parallel as podManagementPolicy: Parallel."""
        for pod in pods if pods is not None else self.pods.values():
            self.start_container(pod)

    def stop_container(self, pod: Pod, grace: float | None = None) -> int | None:
        """SIGTERM to the container's main process, SIGKILL to all of it after the grace period."""
        if pod.container is None:
            return None
        if grace is None:
            grace = float(pod.spec.get("terminationGracePeriodSeconds", 30))
        process = pod.container
        if process.poll() is None:
            _signal(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group(process)
        pod.container = None
        return process.returncode

    def delete_pod(self, pod: Pod, grace: float | None = None) -> None:
        """Stop the container and remove the sandbox and emptyDirs; claims stay."""
        self.stop_container(pod, grace)
        if pod.sandbox is not None:
            self._kill_group(pod.sandbox)
            pod.sandbox = None
        self._remove_pod_dir(pod)

    def exec(self, pod: Pod, command: list[str], timeout: float = 120,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """`kubectl exec` into the pod's container (its sandbox must exist)."""
        process = self._spawn(self._in_pod(pod, command, env), subprocess.PIPE,
                              stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill_group(process)
            out, err = process.communicate()
            return subprocess.CompletedProcess(command, -9, out.decode(errors="replace"),
                                               err.decode(errors="replace") + f"\n(timed out after {timeout:g} s)")
        finally:
            self._forget(process.pid)
        return subprocess.CompletedProcess(command, process.returncode, out.decode(errors="replace"),
                                           err.decode(errors="replace"))

    # ---------------------------------------------------------------- probes

    def probe(self, pod: Pod, kind: str = "readinessProbe") -> ProbeResult:
        """Run one of the container's probes once, as the kubelet does."""
        spec = pod.container_spec.get(kind)
        if spec is None:
            raise PodError(f"{pod.name} has no {kind}")
        timeout = float(spec.get("timeoutSeconds", 1))
        began = time.monotonic()
        if "exec" in spec:
            if pod.sandbox is None:
                return ProbeResult(False, "the pod does not exist", 0.0)
            done = self.exec(pod, spec["exec"]["command"], timeout=timeout)
            return ProbeResult(done.returncode == 0, (done.stdout + done.stderr).strip(),
                               time.monotonic() - began)
        if "tcpSocket" in spec:
            port = self._port(pod, spec["tcpSocket"]["port"])
            try:
                with socket.create_connection((pod.address, port), timeout=timeout):
                    return ProbeResult(True, f"{pod.address}:{port} accepts", time.monotonic() - began)
            except OSError as exc:
                return ProbeResult(False, f"{pod.address}:{port}: {exc}", time.monotonic() - began)
        if "httpGet" in spec:
            port = self._port(pod, spec["httpGet"]["port"])
            url = f"http://{pod.address}:{port}{spec['httpGet'].get('path', '/')}"
            try:
                # Straight to the pod, never through a proxy of the environment.
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(url, timeout=timeout) as answer:
                    return ProbeResult(200 <= answer.status < 400, f"{url}: {answer.status}", time.monotonic() - began)
            except urllib.error.HTTPError as exc:
                return ProbeResult(False, f"{url}: {exc.code}", time.monotonic() - began)
            except OSError as exc:
                return ProbeResult(False, f"{url}: {exc}", time.monotonic() - began)
        raise PodError(f"{pod.name}: {kind} has a handler the runner does not know: {spec}")

    def _ready_now(self, pod: Pod) -> bool:
        """The readiness probe's answer, asked only once the pod accepts connections on its
        tcpSocket liveness port: a pod that does not cannot be ready, and Kafka's readiness
        probe starts a JVM, which would take the CPU the booting pods need."""
        liveness = pod.container_spec.get("livenessProbe") or {}
        if "tcpSocket" in liveness and not self.probe(pod, "livenessProbe").ok:
            return False
        return self.probe(pod).ok

    @staticmethod
    def _port(pod: Pod, port) -> int:
        if isinstance(port, int):
            return port
        for item in pod.container_spec.get("ports") or []:
            if item.get("name") == port:
                return item["containerPort"]
        raise PodError(f"{pod.name}: no port named {port}")

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str,
                   interval: float = 1.0, pods: Iterable[Pod] = (),
                   may_exit: Callable[[Pod], bool] = lambda pod: False) -> None:
        """Poll `condition` until it holds; fail naming `what` and any pod that died
        (unless `may_exit` says it will be started again)."""
        deadline = time.monotonic() + timeout
        watched = list(pods)
        while True:
            if condition():
                return
            dead = [p for p in watched if p.container is not None and p.container.poll() is not None
                    and not may_exit(p)]
            if dead:
                raise AssertionError(f"while waiting for {what}: {self.describe(dead)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not after {timeout:g} s\n{self.describe(watched)}")
            time.sleep(interval)

    def wait_ready(self, pods: Iterable[Pod] | None = None, timeout: float = 300,
                   restarts: int = 0) -> None:
        """Until each pod's readiness probe succeeds (polled more often than the kubelet would).

        A container that exits is started again up to `restarts` times, after the kubelet's
        back-off (10 s, doubling), as restartPolicy: Always does: after `helm install`,
        brokers in ZooKeeper mode exit until the ensemble that starts beside them serves.
        A container that exits once more fails the wait with its output."""
        pending = list(pods if pods is not None else self.pods.values())
        watched = list(pending)
        restarted = {p.name: 0 for p in pending}
        exited_at: dict[str, float] = {}

        def restart_exited() -> None:
            for pod in pending:
                if pod.running or pod.container is None or restarted[pod.name] >= restarts:
                    continue
                exited_at.setdefault(pod.name, time.monotonic())
                if time.monotonic() - exited_at[pod.name] >= 10.0 * 2 ** restarted[pod.name]:
                    restarted[pod.name] += 1
                    del exited_at[pod.name]
                    self.stop_container(pod, grace=0)  # what is left of its processes
                    self.start_container(pod)

        def all_ready() -> bool:
            restart_exited()
            pending[:] = [p for p in pending if not self._ready_now(p)]
            return not pending

        self.wait_until(all_ready, timeout, "pods ready", interval=1.0, pods=watched,
                        may_exit=lambda pod: restarted[pod.name] < restarts)

    def host_path(self, pod: Pod, path: str) -> Path:
        """The host file behind `path` as the pod sees it (through its volumeMounts)."""
        best = None
        for mount in pod.container_spec.get("volumeMounts") or []:
            prefix = mount["mountPath"].rstrip("/")
            if (path == prefix or path.startswith(prefix + "/")) and (
                    best is None or len(prefix) > len(best["mountPath"].rstrip("/"))):
                best = mount
        if best is None:
            raise PodError(f"{pod.name}: {path} is on no volume")
        return self.volume_folder(pod, best["name"]) / path[len(best["mountPath"].rstrip("/")):].lstrip("/")

    def empty_dir_usage(self, pod: Pod) -> dict[str, tuple[int, str | None]]:
        """Disk space each emptyDir of the pod uses (bytes, as du counts), with its sizeLimit."""
        usage = {}
        for volume in pod.spec.get("volumes") or []:
            if "emptyDir" in volume:
                folder = pod.dir / "volumes" / volume["name"]
                used = sum(p.lstat().st_blocks * 512 for p in folder.rglob("*")) if folder.is_dir() else 0
                usage[volume["name"]] = (used, (volume["emptyDir"] or {}).get("sizeLimit"))
        return usage

    def describe(self, pods: Iterable[Pod]) -> str:
        parts = []
        for pod in pods:
            state = "running" if pod.running else (
                f"exited {pod.container.returncode}" if pod.container else "not started")
            tail = "\n".join(pod.log_text().splitlines()[-40:])
            parts.append(f"--- {pod.name} ({state}), last lines of its output:\n{tail}")
        return "\n".join(parts)

    # ------------------------------------------------------------- processes

    def _spawn(self, argv: list[str], stdout, stderr=subprocess.STDOUT) -> subprocess.Popen:
        if self._closed:
            raise PodError("the cluster was closed")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                   start_new_session=True)
        self._groups.add(process.pid)
        self._register(process.pid)
        return process

    def _kill_group(self, process: subprocess.Popen) -> None:
        _signal(process.pid, signal.SIGKILL, group=True)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            pass
        self._forget(process.pid)

    def _register(self, pid: int) -> None:
        """Note the process group in the registry, for kill_leftovers after a hard stop."""
        started = _start_time(pid)
        if self.registry is not None and started is not None:
            self.registry.mkdir(parents=True, exist_ok=True)
            (self.registry / f"{pid}-{started}").touch()

    def _forget(self, pid: int) -> None:
        self._groups.discard(pid)
        if self.registry is not None:
            for entry in self.registry.glob(f"{pid}-*"):
                entry.unlink(missing_ok=True)

    def memory(self) -> dict[str, int]:
        """Resident memory (bytes) of each running pod's processes."""
        usage = {}
        for pod in self.pods.values():
            if pod.running:
                usage[pod.name] = sum(_rss(pid) for pid in _group_members(pod.container.pid))
        return usage

    def close(self) -> None:
        """Kill every process the runner started. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        for pod in self.pods.values():
            for process in (pod.container, pod.sandbox):
                if process is not None:
                    _signal(process.pid, signal.SIGKILL, group=True)
        for pgid in list(self._groups):
            _signal(pgid, signal.SIGKILL, group=True)
            self._forget(pgid)
        for pod in self.pods.values():
            for process in (pod.container, pod.sandbox):
                if process is not None:
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        pass
            pod.container = pod.sandbox = None
            # The pod is gone, and its emptyDirs with it; claims and logs stay for a look.
            self._remove_pod_dir(pod)
        self._groups.clear()
        atexit.unregister(self.close)

    def __enter__(self) -> PodRuntime:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class LocalCluster(PodRuntime):
    """The pods of one rendered chart, run on this machine's loopback."""

    def __init__(self, chart_dir: Path, work_dir: Path, *, kafka_home: Path, shim: Path,
                 java_home: Path, namespace: str = "kafka", release: str | None = None,
                 secrets: dict[str, dict[str, bytes]] | None = None,
                 address_prefix: str = "127.42.0", registry: Path | None = None,
                 kube_version: str = tools.DEFAULT_KUBE_VERSIONS[-1],
                 init_commands: dict[str, Callable[[Pod], list[str] | None]] | None = None,
                 api=None):
        super().__init__(work_dir, kafka_home=kafka_home, shim=shim, java_home=java_home,
                         registry=registry, init_commands=init_commands)
        self.api = api  # the namespace in the tests' API server (tests/kube/api_namespace.py), if any
        self.chart_dir = Path(chart_dir)
        self.namespace = namespace
        self.release = release or self.chart_dir.name
        self.manifest_text = render(self.chart_dir, kube_version, self.release, namespace)
        self.objects = [doc for doc in yaml.safe_load_all(self.manifest_text) if doc]
        self.config_maps = {o["metadata"]["name"]: o for o in self._kind("ConfigMap")}
        self.services = {o["metadata"]["name"]: o for o in self._kind("Service")}
        self.statefulsets = {o["metadata"]["name"]: o for o in self._kind("StatefulSet")}
        self.secrets = self._chart_secrets()
        for name, data in (secrets or {}).items():
            if name in self.secrets:
                raise PodError(f"Secret {name} is defined by the chart; a test cannot provide it too")
            self.secrets[name] = dict(data)
        index = 0
        for sts in self.statefulsets.values():
            start = (sts["spec"].get("ordinals") or {}).get("start", 0)
            for ordinal in range(start, start + sts["spec"]["replicas"]):
                index += 1
                name = f"{sts['metadata']['name']}-{ordinal}"
                self.pods[name] = Pod(
                    name=name, statefulset=sts["metadata"]["name"], ordinal=ordinal,
                    address=f"{address_prefix}.{10 + index}",
                    spec=sts["spec"]["template"]["spec"],
                    labels=sts["spec"]["template"]["metadata"].get("labels", {}),
                    claim_names=[c["metadata"]["name"]
                                 for c in sts["spec"].get("volumeClaimTemplates") or []],
                    dir=self.work_dir / "pods" / name)
        self.dns = self._dns_names()

    # ----------------------------------------------------------------- model

    def _kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o.get("kind") == kind]

    def _chart_secrets(self) -> dict[str, dict[str, bytes]]:
        """The Secrets the chart itself defines (data and stringData), name -> key -> bytes."""
        secrets = {}
        for secret in self._kind("Secret"):
            data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
            data.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
            secrets[secret["metadata"]["name"]] = data
        return secrets

    def _dns_names(self) -> dict[str, list[str]]:
        """Every name cluster DNS would answer for, and the pod addresses behind it."""
        names: dict[str, list[str]] = {}
        for pod in self.pods.values():
            subdomain = self.statefulsets[pod.statefulset]["spec"]["serviceName"]
            for suffix in ("svc", "svc.cluster.local"):
                names[f"{pod.name}.{subdomain}.{self.namespace}.{suffix}"] = [pod.address]
        for service in self.services.values():
            selector = service["spec"].get("selector") or {}
            addresses = [p.address for p in self.pods.values()
                         if all(p.labels.get(k) == v for k, v in selector.items())]
            name = service["metadata"]["name"]
            for full in (name, f"{name}.{self.namespace}", f"{name}.{self.namespace}.svc",
                         f"{name}.{self.namespace}.svc.cluster.local"):
                names[full] = addresses
        return names

    def resolve(self, host: str) -> list[str] | None:
        return self.dns.get(host.rstrip(".").lower())

    def pods_with_label(self, key: str, value: str) -> list[Pod]:
        return [p for p in self.pods.values() if p.labels.get(key) == value]

    @property
    def brokers(self) -> list[Pod]:
        return self.pods_with_label("strimzi.io/broker-role", "true")

    @property
    def controllers(self) -> list[Pod]:
        return self.pods_with_label("strimzi.io/controller-role", "true")

    def bootstrap(self, port: int) -> str:
        """`<bootstrap service>.<namespace>.svc:<port>`, as clients in the cluster write it."""
        service = next(name for name in self.services if name.endswith("-kafka-bootstrap"))
        return f"{service}.{self.namespace}.svc:{port}"

    # ------------------------------------------------------------- sandboxes

    def hosts_file(self, pod: Pod) -> str:
        lines = ["# Written by the kafkac end-to-end tests, as the kubelet writes a pod's /etc/hosts.",
                 "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        if pod.statefulset in self.statefulsets:
            subdomain = self.statefulsets[pod.statefulset]["spec"]["serviceName"]
            lines.append(f"{pod.address}\t{pod.name}.{subdomain}.{self.namespace}.svc.cluster.local"
                         f"\t{pod.name}")
        else:  # a Job's pod has no subdomain
            lines.append(f"{pod.address}\t{pod.name}")
        # What cluster DNS answers, for every other name.
        for name, addresses in sorted(self.dns.items()):
            lines.extend(f"{address}\t{name}" for address in addresses)
        return "\n".join(lines) + "\n"

    def config_map_data(self, pod: Pod, name: str) -> dict | None:
        config_map = self.config_maps.get(name)
        return None if config_map is None else config_map.get("data") or {}

    def secret_data(self, pod: Pod, name: str) -> dict[str, bytes] | None:
        return self.secrets.get(name)

    def image_of(self, container: dict) -> str:
        # The kubectl image's layout (the pinned kubectl first on PATH), once a test has given the
        # runner that program (`kubectl`) for the Jobs' steps it runs against the tests' API server.
        if self.kubectl is not None and container["image"].startswith(KUBECTL_IMAGE):
            return "kubectl"
        return "kafka"

    def field_value(self, pod: Pod, field_path: str) -> str:
        fields = {"metadata.name": pod.name, "metadata.namespace": self.namespace,
                  "status.podIP": pod.address, "spec.nodeName": "localhost"}
        if field_path not in fields:
            raise PodError(f"{pod.name}: no value for fieldRef {field_path}")
        return fields[field_path]


class RunSlot:
    """One test run's share of this machine: its loopback range and its process registry.

    Runs that share a machine (and a cache) take different slots: slot S owns
    the addresses 127.<40+S>.*.* and the folder <root>/slot-S, where every
    process group the run starts is noted by pid and start time. A slot whose
    owner died without cleaning up (killed hard) is taken over: the groups it
    noted that are still running are killed first.
    """

    SLOTS = 200

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        # A slot folder appears whole, owner file included, by one rename.
        staging = root / f".new-{os.getpid()}"
        subprocess.run(["rm", "-rf", str(staging)], check=True)
        staging.mkdir()
        (staging / "owner").write_text(f"{os.getpid()} {_start_time(os.getpid())}")
        for number in range(1, self.SLOTS + 1):
            folder = root / f"slot-{number}"
            if folder.exists() and not _alive(folder / "owner"):
                # Its run was killed hard: stop what it left running, then take the slot.
                trash = root / f".dead-{number}-{os.getpid()}"
                try:
                    folder.rename(trash)
                except OSError:
                    continue  # another run is taking it over
                self._kill_noted(trash)
                subprocess.run(["rm", "-rf", str(trash)], check=True)
            try:
                staging.rename(folder)
            except OSError:
                continue  # taken
            self.number, self.folder = number, folder
            return
        raise PodError(f"all {self.SLOTS} run slots under {root} are taken")

    def address_prefix(self, block: int) -> str:
        """The first three octets of the addresses of address block `block` (0-255)."""
        return f"127.{40 + self.number}.{block}"

    @property
    def registry(self) -> Path:
        return self.folder / "processes"

    def release(self) -> None:
        self._kill_noted(self.folder)
        subprocess.run(["rm", "-rf", str(self.folder)], check=True)

    @staticmethod
    def _kill_noted(folder: Path) -> list[int]:
        killed = []
        registry = folder / "processes"
        if registry.is_dir():
            for entry in registry.iterdir():
                pid_text, _, started = entry.name.partition("-")
                if pid_text.isdigit() and _start_time(int(pid_text)) == started:
                    _signal(int(pid_text), signal.SIGKILL, group=True)
                    killed.append(int(pid_text))
                entry.unlink(missing_ok=True)
        return killed


def _alive(owner_file: Path) -> bool:
    try:
        pid_text, started = owner_file.read_text().split()
    except (OSError, ValueError):
        return False  # being written this instant, or broken: treat a broken one as dead
    return pid_text.isdigit() and _start_time(int(pid_text)) == started


def _start_time(pid: int) -> str | None:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split())[19]
    except (OSError, IndexError):
        return None


def _own(path: Path, uid: int, gid: int | None, mode: int) -> None:
    os.chown(path, uid, gid if gid is not None else 0)
    os.chmod(path, mode)


def _signal(pid: int, sig: int, group: bool = False) -> None:
    try:
        if group:
            os.killpg(pid, sig)  # each process the runner starts leads its own group
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
