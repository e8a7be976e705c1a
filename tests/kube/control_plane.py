"""A Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager.

Everything listens on 127.0.0.1 only, on ports picked free at start; the API
server authenticates clients by certificate and ServiceAccount token, authorizes
with RBAC alone, and admits with its default plugins. The control plane has no
node of its own: pods stay Pending unless their namespace is served by the
tests' node agent (tests/kube/node.py), which binds and runs them.

`ControlPlane.start(folder)` generates the certificates, starts the three
programs (pinned: tests/host_tools.py builds them) and waits until the API
server is ready and its bootstrap RBAC policy is in place; `stop()` ends each by
its pid (SIGTERM, then SIGKILL). Each program is also killed if the test
process dies (parent-death signal).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from compiler import tools

from .. import host_tools
from . import certificates

HOST = "127.0.0.1"
READY_TIMEOUT = 180.0  # seconds: a cold etcd and API server on a busy two-core machine
# Kubernetes allocates Service addresses from this range; nothing is ever sent to them.
SERVICE_RANGE = "10.96.0.0/16"
WRITE_VERBS = ("create", "update", "patch", "delete")


class ControlPlaneError(Exception):
    """A program of the control plane exited or did not become ready; the message has its log."""


@dataclass
class ControlPlane:
    folder: Path
    certs: certificates.Certificates
    api_port: int
    kubeconfig: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return f"https://{HOST}:{self.api_port}"

    @classmethod
    def start(cls, folder: Path) -> ControlPlane:
        certs = certificates.make(folder / "pki")
        plane = cls(folder, certs, _free_port(), folder / "admin.kubeconfig")
        try:
            write_kubeconfig(plane.kubeconfig, plane.server, certs.ca.cert, certs.admin)
            manager_config = folder / "controller-manager.kubeconfig"
            write_kubeconfig(manager_config, plane.server, certs.ca.cert, certs.controller_manager)
            plane._start_etcd()
            plane._start_apiserver()
            plane._wait_ready()
            plane._start_controller_manager(manager_config)
        except BaseException:
            plane.stop()
            raise
        return plane

    # --- the programs ---------------------------------------------------------------------

    def _start_etcd(self) -> None:
        client, peer = _free_port(), _free_port()
        self.etcd_url = f"http://{HOST}:{client}"
        self._spawn("etcd", [
            str(host_tools.control_plane_program("etcd")),
            "--name", "kafkac-test", "--data-dir", str(self.folder / "etcd"),
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", f"http://{HOST}:{peer}",
            "--initial-advertise-peer-urls", f"http://{HOST}:{peer}",
            "--initial-cluster", f"kafkac-test=http://{HOST}:{peer}",
            "--listen-metrics-urls", f"http://{HOST}:{_free_port()}",
            "--unsafe-no-fsync",  # a test's data need not survive a power cut
            "--log-level", "warn",
        ])

    def _start_apiserver(self) -> None:
        c = self.certs
        self._spawn("kube-apiserver", [
            str(host_tools.control_plane_program("kube-apiserver")),
            "--etcd-servers", self.etcd_url,
            "--bind-address", HOST, "--advertise-address", HOST, "--secure-port", str(self.api_port),
            # The `kubernetes` Service's endpoints would name this loopback address: left out.
            "--endpoint-reconciler-type", "none",
            "--tls-cert-file", str(c.apiserver.cert), "--tls-private-key-file", str(c.apiserver.key),
            "--client-ca-file", str(c.ca.cert),
            "--authorization-mode", "RBAC",
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file", str(c.service_account_public),
            "--service-account-signing-key-file", str(c.service_account_key),
            "--service-cluster-ip-range", SERVICE_RANGE,
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            "--cert-dir", str(self.folder / "apiserver-certs"),
            "--audit-policy-file", str(self._write_audit_policy()),
            "--audit-log-path", str(self.audit_log), "--audit-log-format", "json",
        ])

    @property
    def audit_log(self) -> Path:
        return self.folder / "audit.log"

    def _write_audit_policy(self) -> Path:
        """Record every write made to the objects the charts' Jobs keep state in, one line a request."""
        policy = {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["RequestReceived"],
                  "rules": [{"level": "Metadata", "verbs": list(WRITE_VERBS), "resources": [
                      {"group": "", "resources": ["secrets", "configmaps"]},
                      {"group": "cert-manager.io", "resources": ["certificates"]}]},
                            {"level": "None"}]}
        path = self.folder / "audit-policy.json"
        path.write_text(json.dumps(policy))
        return path

    def _start_controller_manager(self, kubeconfig: Path) -> None:
        c = self.certs
        self._spawn("kube-controller-manager", [
            str(host_tools.control_plane_program("kube-controller-manager")),
            "--kubeconfig", str(kubeconfig),
            "--authentication-kubeconfig", str(kubeconfig), "--authorization-kubeconfig", str(kubeconfig),
            "--bind-address", HOST, "--secure-port", "0",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            "--service-account-private-key-file", str(c.service_account_key),
            "--root-ca-file", str(c.ca.cert),
            "--service-cluster-ip-range", SERVICE_RANGE,
            "--profiling=false",
        ])

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.folder / f"{name}.log", "w")
        with log:
            self.processes[name] = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.folder,
                env={**os.environ, "GOGC": tools.GO_GC_PERCENT}, preexec_fn=tools.die_with_parent())

    def log(self, name: str, lines: int = 30) -> str:
        path = self.folder / f"{name}.log"
        text = path.read_text(errors="replace") if path.is_file() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _wait_ready(self) -> None:
        """Until /readyz answers ok, which includes RBAC's bootstrap roles being in etcd."""
        deadline = time.monotonic() + READY_TIMEOUT
        context = self.ssl_context()
        said = ""
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise ControlPlaneError(f"{name} exited with code {process.returncode}:\n{self.log(name)}")
            try:
                with urllib.request.urlopen(f"{self.server}/readyz", context=context, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError) as problem:
                said = str(problem)
            time.sleep(0.5)
        raise ControlPlaneError(f"kube-apiserver not ready after {READY_TIMEOUT:g} s ({said}):\n"
                                f"{self.log('kube-apiserver')}")

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certs.ca.cert))
        context.load_cert_chain(str(self.certs.admin.cert), str(self.certs.admin.key))
        return context

    def stop(self) -> None:
        """End each program by its pid, the controller manager first and etcd last."""
        for name in reversed(list(self.processes)):
            tools.stop_process(self.processes[name], grace=15)

    # --- clients --------------------------------------------------------------------------

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 120) -> subprocess.CompletedProcess:
        """The pinned kubectl as the admin."""
        argv = [str(host_tools.control_plane_program("kubectl")), "--kubeconfig", str(self.kubeconfig),
                *args]
        done = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited with {done.returncode}:\n"
                                 f"{done.stderr}{done.stdout}")
        return done

    def get_json(self, *args: str) -> dict:
        return json.loads(self.kubectl("get", *args, "--output", "json").stdout)

    def writes(self, namespace: str, by: str = "system:serviceaccount:") -> list[str]:
        """The successful writes to Secrets, ConfigMaps and Certificates of `namespace` made so far by
        users whose name starts with `by` (the Jobs' ServiceAccounts), from the audit log, in order:
        "<verb> <resource> <namespace>/<name>" (verbs as the API has them: a `kubectl replace` is an
        update)."""
        writes = []
        text = self.audit_log.read_text() if self.audit_log.is_file() else ""
        for line in text.splitlines():
            event = json.loads(line)
            target = event.get("objectRef") or {}
            if (target.get("namespace") == namespace and event["user"]["username"].startswith(by)
                    and event.get("responseStatus", {}).get("code", 500) < 300):
                writes.append(f"{event['verb']} {target['resource'].removesuffix('s')} {namespace}/{target.get('name', '')}")
        return writes


def write_kubeconfig(path: Path, server: str, ca: Path, user: certificates.Pair) -> None:
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": "user", "user": {"client-certificate": str(user.cert),
                                            "client-key": str(user.key)}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "user"}}],
        "current-context": "test",
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
