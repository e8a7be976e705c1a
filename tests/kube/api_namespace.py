"""One namespace of the tests' control plane, as the charts' Jobs and their tests see it.

The Jobs' steps that the tests run one by one (tests/e2e/certjob.py,
tests/e2e/topicjob.py) call the real kubectl against the real API server,
with a kubeconfig holding a token of the Job's own ServiceAccount (the Role
the chart renders decides what they may do); the tests read back what the
Jobs wrote from the API server.

`ApiNamespace.created(plane, name)` makes the namespace (waiting for an
earlier one of that name to be gone) and deletes it when the last user of it
ends: the end-to-end modules boot one after the other in the namespace their
charts were rendered for, and a module may boot two clusters in it side by side.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import host_tools
from .control_plane import ControlPlane

_users: dict[tuple[str, str], int] = {}  # (API server, namespace) -> users of it now
DELETE_TIMEOUT = 120.0  # seconds for the namespace controller to empty and remove a namespace
RBAC_KINDS = ("ServiceAccount", "Role", "RoleBinding")


@dataclass(frozen=True)
class ApiNamespace:
    plane: ControlPlane
    name: str

    @classmethod
    @contextlib.contextmanager
    def created(cls, plane: ControlPlane, name: str) -> Iterator[ApiNamespace]:
        key = (plane.server, name)
        if not _users.get(key):
            _wait_gone(plane, name)
            plane.kubectl("create", "namespace", name)
        _users[key] = _users.get(key, 0) + 1
        try:
            yield cls(plane, name)
        finally:
            _users[key] -= 1
            if not _users[key]:
                plane.kubectl("delete", "namespace", name, "--wait=false", check=False)

    # --- reading ---------------------------------------------------------------------------

    def get(self, kind: str, name: str) -> dict | None:
        """The object, or None when there is none."""
        done = self.plane.kubectl("get", kind, name, "--namespace", self.name, "--ignore-not-found",
                                  "--output", "json")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def items(self, kind: str) -> list[dict]:
        return self.plane.get_json(kind, "--namespace", self.name)["items"]

    def secrets(self) -> dict[str, dict[str, bytes]]:
        """The Secrets of the namespace, name -> key -> bytes."""
        return {s["metadata"]["name"]: {key: base64.b64decode(value) for key, value in (s.get("data") or {}).items()}
                for s in self.items("secrets")}

    def config_maps(self) -> dict[str, dict[str, str]]:
        """The ConfigMaps of the namespace but the cluster's own (kube-root-ca.crt), name -> data."""
        return {c["metadata"]["name"]: c.get("data") or {} for c in self.items("configmaps")
                if c["metadata"]["name"] != "kube-root-ca.crt"}

    def versions(self) -> dict[str, tuple[str, str]]:
        """"<kind>/<name>" -> (uid, resourceVersion) of every Secret and ConfigMap: equal before and after
        a run exactly when the run wrote neither."""
        return {f"{o['kind']}/{o['metadata']['name']}": (o["metadata"]["uid"], o["metadata"]["resourceVersion"])
                for kind in ("secrets", "configmaps") for o in self.items(kind)
                if o["metadata"]["name"] != "kube-root-ca.crt"}

    def writes(self) -> list[str]:
        """What the Jobs' ServiceAccounts wrote here so far (ControlPlane.writes): those of this
        namespace, not the cluster's own controllers (kube-system's, which publish kube-root-ca.crt
        into a new namespace whenever they get to it)."""
        return self.plane.writes(self.name, by=f"system:serviceaccount:{self.name}:")

    # --- writing ---------------------------------------------------------------------------

    def apply(self, manifests: list[dict]) -> None:
        """Create or update the objects in this namespace, as `kubectl apply` does."""
        if manifests:
            self.plane.kubectl("apply", "--namespace", self.name, "--filename", "-",
                               input=yaml.safe_dump_all(manifests))

    def put_secrets(self, secrets: dict[str, dict[str, bytes]]) -> None:
        """Secrets made before install, as `kubectl create secret generic` makes them."""
        self.apply([{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                     "metadata": {"name": name, "namespace": self.name},
                     "data": {key: base64.b64encode(value).decode() for key, value in data.items()}}
                    for name, data in secrets.items()])

    def create(self, manifest: dict) -> None:
        """`kubectl create` of one object in this namespace, as the admin."""
        self.plane.kubectl("create", "--namespace", self.name, "--filename", "-", input=json.dumps(manifest))

    def delete(self, kind: str, *names: str) -> None:
        """Delete the named objects (gone when this returns); missing ones are no error."""
        if names:
            self.plane.kubectl("delete", kind, *names, "--namespace", self.name, "--ignore-not-found", "--wait")

    def delete_all(self, *kinds: str) -> None:
        """Delete every object of these kinds in the namespace (gone when this returns), for a test
        that starts again from an empty namespace without waiting for a new one."""
        self.plane.kubectl("delete", ",".join(kinds), "--all", "--namespace", self.name, "--wait")

    def annotate(self, kind: str, name: str, key: str, value: str) -> None:
        """`kubectl annotate KIND NAME KEY=VALUE --overwrite`, as the admin."""
        self.plane.kubectl("annotate", kind, name, f"{key}={value}", "--overwrite", "--namespace", self.name)

    def patch(self, kind: str, name: str, patch: dict, subresource: str | None = None) -> dict:
        """A JSON merge patch of the object (or of its `subresource`, e.g. status), as the admin;
        the object as written."""
        done = self.plane.kubectl("patch", kind, name, "--namespace", self.name, "--type", "merge",
                                  "--patch", json.dumps(patch), "--output", "json",
                                  *([f"--subresource={subresource}"] if subresource else []))
        return json.loads(done.stdout)

    def apply_job_rbac(self, manifests: list[dict], job: dict) -> str:
        """Create the rendered ServiceAccount, Roles and RoleBindings that `job` runs with (the hook
        objects helm would create before it); the ServiceAccount's name."""
        account = job["spec"]["template"]["spec"].get("serviceAccountName") or "default"
        bindings = [m for m in manifests if m.get("kind") == "RoleBinding"
                    and any(s.get("kind") == "ServiceAccount" and s.get("name") == account
                            for s in m.get("subjects") or [])]
        roles = {b["roleRef"]["name"] for b in bindings if b["roleRef"]["kind"] == "Role"}
        self.apply([m for m in manifests if (m.get("kind") == "ServiceAccount" and m["metadata"]["name"] == account)
                    or (m.get("kind") == "Role" and m["metadata"]["name"] in roles)] + bindings)
        return account

    def kubeconfig_for(self, service_account: str, path: Path) -> Path:
        """A kubeconfig at `path` (readable by any user: the Jobs run as theirs) that reaches the API
        server as `service_account` with a token from the TokenRequest API."""
        token = self.plane.kubectl("create", "token", service_account, "--namespace", self.name,
                                   "--duration", "3600s").stdout.strip()
        ca = base64.b64encode(self.plane.certs.ca.cert.read_bytes()).decode()
        config = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "test", "cluster": {"server": self.plane.server, "certificate-authority-data": ca}}],
            "users": [{"name": service_account, "user": {"token": token}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": service_account,
                                                      "namespace": self.name}}],
            "current-context": "test",
        }
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o644)
        return path


    # --- cluster-wide RBAC ---------------------------------------------------------------------

    @contextlib.contextmanager
    def cluster_rbac(self, manifests: list[dict], service_account: str) -> Iterator[list[str]]:
        """The rendered ClusterRoleBindings that bind `service_account` of this namespace, and their
        ClusterRoles, created for the time inside (they are no namespace's: deleting one leaves them);
        their "<kind>/<name>"s."""
        bindings = [m for m in manifests if m.get("kind") == "ClusterRoleBinding"
                    and any(s.get("kind") == "ServiceAccount" and s.get("name") == service_account
                            and s.get("namespace") == self.name for s in m.get("subjects") or [])]
        roles = {b["roleRef"]["name"] for b in bindings}
        objects = [m for m in manifests if m.get("kind") == "ClusterRole" and m["metadata"]["name"] in roles] + bindings
        names = [f"{m['kind'].lower()}/{m['metadata']['name']}" for m in objects]
        if objects:
            self.plane.kubectl("apply", "--filename", "-", input=yaml.safe_dump_all(objects))
        try:
            yield names
        finally:
            if names:
                self.plane.kubectl("delete", "--ignore-not-found", *names, check=False)

    # --- RBAC in effect --------------------------------------------------------------------------

    def wait_allowed(self, service_account: str, verb: str, target: str, timeout: float = 30.0) -> None:
        """Until the API server's authorizer lets `service_account` of this namespace do `verb` to
        `target` ("configmap/NAME", "node/NAME"): Roles and bindings just created take a moment."""
        user = f"system:serviceaccount:{self.name}:{service_account}"
        deadline = time.monotonic() + timeout
        while self.plane.kubectl("auth", "can-i", verb, target, "--namespace", self.name, "--as", user,
                                 check=False).stdout.strip() != "yes":
            if time.monotonic() > deadline:
                raise AssertionError(f"{user} still may not {verb} {target} after {timeout:g} s")
            time.sleep(0.2)


def kubectl_folder(folder: Path) -> Path:
    """`folder` (made, readable by any user) holding the pinned kubectl, for a Job step's PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    target = folder / "kubectl"
    if not target.exists():
        shutil.copy2(host_tools.control_plane_program("kubectl"), target)
        os.chmod(target, 0o755)
    return folder


def _wait_gone(plane: ControlPlane, name: str) -> None:
    deadline = time.monotonic() + DELETE_TIMEOUT
    while time.monotonic() < deadline:
        if not plane.kubectl("get", "namespace", name, "--ignore-not-found", "--output", "name").stdout.strip():
            return
        time.sleep(0.5)
    raise AssertionError(f"namespace {name} still there {DELETE_TIMEOUT:g} s after its deletion")
