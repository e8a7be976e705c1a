"""Run a chart's certificates Job on this machine: its steps, in order, as rendered.

The Job comes from the chart rendered by the real `helm template`. Each of its
containers (the init containers fetch and issue, then the container store)
runs to completion, in order, as the pod's runAsUser/runAsGroup, with exactly
its rendered command and environment; a step that fails fails the Job, as
with restartPolicy: Never. The scripts are the chart's own, from the rendered
hook ConfigMap.

What stands in for the cluster:

* Volumes: each of the Job's volumes is a folder, shared by the steps as the
  pod's volumes are; a mount path in a command or environment value is
  rewritten to its folder (this is the only change made to what was rendered).
* Images: the steps of the kubectl image (fetch, store) find bash, jq and
  coreutils, as that image has them, and `kubectl-stand-in/kubectl` first on
  PATH: no Kubernetes API server runs here, so that stand-in keeps Secrets as
  files in a store folder (see its docstring). Every other step (issue, in
  Strimzi's Kafka image; the users Job's apply, in the Kafka image) finds the
  machine's JDK first on PATH, for java, and its openssl.

`secrets_in(store, namespace)` reads the store back as Secret data, which
podrunner.LocalCluster mounts into the Kafka pods.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path


from compiler.model import DEFAULT_KUBECTL_IMAGE

from ..util import JobRun, run_steps

HERE = Path(__file__).resolve().parent
KUBECTL_STAND_IN = HERE / "kubectl-stand-in"
STEP_TIMEOUT = 300.0


class JobFailed(Exception):
    """A step of the Job exited with an error."""


def certificate_job(manifests: list[dict], suffix: str = "-kafka-certificates") -> tuple[dict, dict]:
    """The rendered certificates Job (or the Job named `<cluster><suffix>`) and the ConfigMap
    its scripts come from."""
    (job,) = [m for m in manifests if m.get("kind") == "Job"
              and m["metadata"]["name"].endswith(suffix)]
    volumes = job["spec"]["template"]["spec"]["volumes"]
    scripts_name = next(v["configMap"]["name"] for v in volumes if "configMap" in v)
    (scripts,) = [m for m in manifests if m.get("kind") == "ConfigMap"
                  and m["metadata"]["name"] == scripts_name]
    return job, scripts


def shared_folder(prefix: str) -> Path:
    """A new folder under /tmp that the Job's (non-root) user can reach, unlike pytest's tmp_path."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(folder, 0o711)
    return folder


def run_certificate_job(manifests: list[dict], namespace: str, store: Path, work: Path,
                        java_home: Path, env: dict[str, dict[str, str]] | None = None,
                        check: bool = True,
                        before: dict[str, Callable[[], None]] | None = None,
                        job_suffix: str = "-kafka-certificates",
                        steps: tuple[str, ...] | None = None) -> JobRun:
    """Run the Job's steps against the Secrets in `store`.

    `store` and `work` must be in a folder the Job's user can reach (shared_folder).
    `env` overrides environment variables per step (step name -> name -> value), for
    tests that act out an older chart; `before` calls a function before a step (step
    name -> function), for tests that change the store meanwhile; `check` raises
    JobFailed when a step fails. `job_suffix` picks another Job that works with Secrets
    only (the users Job), and `steps` runs only the steps so named.
    """
    job, scripts = certificate_job(manifests, job_suffix)
    pod = job["spec"]["template"]["spec"]
    security = pod.get("securityContext") or {}
    uid, gid = security.get("runAsUser", 0), security.get("runAsGroup", 0)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.chmod(work, 0o755)
    stand_in = work / "bin"
    shutil.copytree(KUBECTL_STAND_IN, stand_in)
    os.chmod(stand_in, 0o755)
    folders = {}
    for volume in pod["volumes"]:
        folder = work / "volumes" / volume["name"]
        folder.mkdir(parents=True)
        os.chmod(folder.parent, 0o755)
        if "configMap" in volume:
            for key, text in scripts["data"].items():
                (folder / key).write_text(text)
                os.chmod(folder / key, 0o644)
            os.chmod(folder, 0o755)
        else:  # emptyDir: writable by the pod's user and fsGroup
            os.chown(folder, 0, security.get("fsGroup", gid))
            os.chmod(folder, 0o2770)
        folders[volume["name"]] = folder
    store.mkdir(parents=True, exist_ok=True)
    os.chmod(store, 0o777)
    for entry in store.rglob("*"):
        os.chmod(entry, 0o777 if entry.is_dir() else 0o666)

    def run_container(container: dict) -> subprocess.CompletedProcess:
        mounts = {m["mountPath"]: folders[m["name"]] for m in container.get("volumeMounts", [])}

        def local(text: str) -> str:
            for path in sorted(mounts, key=len, reverse=True):
                if text == path or text.startswith(path + "/"):
                    return str(mounts[path]) + text[len(path):]
            return text

        if container["image"] == DEFAULT_KUBECTL_IMAGE:
            path = f"{stand_in}:/usr/local/bin:/usr/bin:/bin"
        else:
            path = f"{java_home}/bin:/usr/local/bin:/usr/bin:/bin"
        variables = {"PATH": path, "LANG": "C.UTF-8", "KAFKAC_TEST_KUBECTL_STORE": str(store)}
        for item in container.get("env", []):
            if "valueFrom" not in item:  # no value is an empty one, as the kubelet sets it
                variables[item["name"]] = local(str(item.get("value", "")))
            elif item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
                variables[item["name"]] = namespace
            else:
                raise JobFailed(f"{container['name']}: env {item['name']} has a source the runner does not know")
        variables.update((env or {}).get(container["name"], {}))
        command = [local(arg) for arg in container["command"] + container.get("args", [])]
        if (before or {}).get(container["name"]):
            before[container["name"]]()
        return subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--",
             "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in variables.items()), *command],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=STEP_TIMEOUT,
            cwd=str(folders.get("tmp", work)))

    run = run_steps(pod, run_container, steps)
    if check and run.exit_code != 0:
        failed = next(s for s in run.steps if s.returncode != 0)
        raise JobFailed(f"step {failed.name} failed:\n{run.log}")
    return run


def secrets_in(store: Path, namespace: str) -> dict[str, dict[str, bytes]]:
    """The Secrets of `namespace` in the stand-in's store, as name -> key -> bytes."""
    secrets = {}
    for path in sorted((store / namespace).glob("*.json")):
        manifest = json.loads(path.read_text())
        secrets[manifest["metadata"]["name"]] = {
            key: base64.b64decode(value) for key, value in (manifest.get("data") or {}).items()}
    return secrets


class StoreReader:
    """Reads back one namespace of a kubectl stand-in store: its Secrets, its cert-manager
    Certificates, and the writes made so far (verb, kind and name, without resourceVersion)."""

    store: Path
    namespace: str

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return secrets_in(self.store, self.namespace)

    def certificate(self, name: str) -> dict:
        return json.loads((self.store / self.namespace / "certificates" / f"{name}.json").read_text())

    def writes(self) -> list[str]:
        log = self.store / "writes.log"
        return [line.rsplit(" resourceVersion=", 1)[0] for line in log.read_text().splitlines()] \
            if log.exists() else []


def put_secrets(store: Path, namespace: str, secrets: dict[str, dict[str, bytes]]) -> None:
    """Put Secrets in the stand-in's store, as `kubectl create secret generic` would before install."""
    folder = store / namespace
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in secrets.items():
        version = next_resource_version(store / "resource-version")  # the stand-in's: versions stay unique
        manifest = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": {"name": name, "namespace": namespace, "resourceVersion": version},
                    "data": {key: base64.b64encode(value).decode() for key, value in data.items()}}
        (folder / f"{name}.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def next_resource_version(counter: Path) -> str:
    """The kubectl stand-in's next resourceVersion, counted under the lock it takes too: the tests'
    cert-manager writes Secrets into the store while a Job's kubectl runs."""
    with open(f"{counter}.lock", "a") as lock:
        os.chmod(lock.name, 0o666)  # the Job's steps run as another user
        fcntl.flock(lock, fcntl.LOCK_EX)
        version = str(int(counter.read_text()) + 1 if counter.exists() else 1)
        counter.write_text(version)
    return version


def secret_manifest(store: Path, namespace: str, name: str) -> dict:
    return json.loads((store / namespace / f"{name}.json").read_text())


def store_bytes(store: Path) -> dict[str, bytes]:
    """Every file of the store, for checking that a run changed nothing."""
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()}
